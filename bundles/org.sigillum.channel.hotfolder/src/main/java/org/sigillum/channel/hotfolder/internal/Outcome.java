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

        Refused(String reason, String message) {
            super(reason, message, null);
        }
    }

    static final class Held extends Outcome {
        private static final long serialVersionUID = 1L;

        Held(String reason, String message, Throwable cause) {
            super(reason, message, cause);
        }
    }
}
