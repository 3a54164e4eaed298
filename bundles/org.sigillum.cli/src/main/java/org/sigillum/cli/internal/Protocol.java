package org.sigillum.cli.internal;

/**
 * The control socket's framing, shared by {@link Client} (plain JDK, outside OSGi) and
 * {@link ControlServer}. Request: an int count, then that many UTF strings (working directory,
 * command, arguments). Response: frames of a type byte and a payload, ending with {@link #EXIT}.
 */
final class Protocol {
    static final byte OUT = 'o';
    static final byte ERR = 'e';
    static final byte EXIT = 'x';
    /** The server asks the client for a secret; the client answers with one UTF string. */
    static final byte ASK_SECRET = 's';

    static final String SOCKET = "run/control.sock";

    /**
     * A server started for one command listens on a private socket (this property, relative to the
     * home), so other launchers never send it work it would drop when its own command is done.
     */
    static final String SOCKET_PROPERTY = "sigillum.socket";

    static String socket(String configured) {
        return configured == null || configured.isBlank() ? SOCKET : configured;
    }
    static final int EXIT_NO_SERVER = 75;

    private Protocol() {
    }
}
