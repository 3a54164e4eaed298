package org.sigillum.cli.internal;

/**
 * The control socket's framing, shared by {@link Client} (plain JDK, outside OSGi) and
 * {@link ControlServer}. Request: an int count, then that many UTF strings (working directory,
 * command, arguments), at most {@link #MAX_REQUEST_BYTES} in all. Response: frames of a type byte
 * and a payload, ending with {@link #EXIT}.
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
    /** The server runs as many commands as it can take; try again later (sysexits' EX_UNAVAILABLE). */
    static final int EXIT_BUSY = 69;
    /** A request the server refused as malformed, too large or too slow, like a usage error. */
    static final int EXIT_REFUSED = 2;

    /**
     * The most a request may hold. Documents travel as file names, not contents (the server reads
     * the files itself), so a request is a command line: Linux lets one command line carry about
     * 2 MiB under the default 8 MiB stack limit, and this leaves room above that.
     */
    static final int MAX_REQUEST_BYTES = 4 << 20;
    /** Each string costs at least its two length bytes, so this follows from the cap; it is checked first. */
    static final int MAX_STRINGS = MAX_REQUEST_BYTES / 2;

    private Protocol() {
    }
}
