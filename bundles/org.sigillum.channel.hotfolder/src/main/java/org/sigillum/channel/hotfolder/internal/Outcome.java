package org.sigillum.channel.hotfolder.internal;

/**
 * Why a document was not signed. {@link Refused}: the document itself is the problem; it goes to
 * error. {@link Held}: the server's side is (TSA down, token not activated, profile missing, disk
 * full); the document waits and is tried again, the batch is never failed for it.
 */
sealed abstract class Outcome extends Exception permits Outcome.Refused, Outcome.Held {
    private static final long serialVersionUID = 1L;
    final String reason;

    Outcome(String reason, String message, Throwable cause) {
        super(message, cause, false, false);
        this.reason = reason;
    }

    static final class Refused extends Outcome {
        private static final long serialVersionUID = 1L;
        /** True when the signing service refused it and so already wrote its audit record. */
        final boolean audited;

        Refused(String reason, String message) {
            this(reason, message, false);
        }

        Refused(String reason, String message, boolean audited) {
            super(reason, message, null);
            this.audited = audited;
        }
    }

    static final class Held extends Outcome {
        private static final long serialVersionUID = 1L;

        Held(String reason, String message, Throwable cause) {
            super(reason, message, cause);
        }
    }
}
