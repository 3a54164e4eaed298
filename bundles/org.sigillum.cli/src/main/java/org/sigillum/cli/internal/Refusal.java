package org.sigillum.cli.internal;

/**
 * A request the control socket did not carry out, and why. {@code detail} is safe to log as it
 * is: any text the peer sent went through {@link LogText#quote}.
 */
record Refusal(Kind kind, String detail) {

    enum Kind {
        TOO_LARGE("too large", "the request is too large (split the command into smaller ones)", Protocol.EXIT_REFUSED),
        TIMED_OUT("timed out", "the request timed out", Protocol.EXIT_REFUSED),
        MALFORMED("malformed", "malformed request", Protocol.EXIT_REFUSED),
        BUSY("server busy", "server busy, try again shortly", Protocol.EXIT_BUSY);

        private final String label;
        private final String message;
        private final int exit;

        Kind(String label, String message, int exit) {
            this.label = label;
            this.message = message;
            this.exit = exit;
        }

        /** Short, for the log. */
        String label() {
            return label;
        }

        /** The one line the client prints. */
        String message() {
            return "sigillum: " + message;
        }

        int exit() {
            return exit;
        }
    }

    /** One log line. */
    String line() {
        return "control socket: refused a request: " + kind.label() + ": " + detail;
    }
}
