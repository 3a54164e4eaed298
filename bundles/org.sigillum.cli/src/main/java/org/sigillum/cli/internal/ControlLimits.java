package org.sigillum.cli.internal;

import java.util.function.UnaryOperator;

/**
 * How much the control socket gives one client. Framework properties (set with
 * {@code SIGILLUM_JAVA_OPTS=-Dsigillum.control.…}), read once at start; each has a default that
 * suits an operator at a terminal.
 *
 * @param workers         commands that run at once; one more slot is kept for {@code status}
 * @param requestTimeoutMs from connecting to the last byte of the request; the command line sends
 *                        its request at once, so a peer still sending after this is stuck
 * @param secretTimeoutMs how long a PIN prompt waits for its answer (a person types it)
 * @param writeTimeoutMs  how long one write of the answer may wait for a client that does not read
 */
record ControlLimits(int workers, long requestTimeoutMs, long secretTimeoutMs, long writeTimeoutMs) {

    static final String WORKERS = "sigillum.control.workers";
    static final String TIMEOUT = "sigillum.control.timeout";
    static final String SECRET_TIMEOUT = "sigillum.control.secretTimeout";
    static final String WRITE_TIMEOUT = "sigillum.control.writeTimeout";

    ControlLimits {
        if (workers < 1 || requestTimeoutMs < 1 || secretTimeoutMs < 1 || writeTimeoutMs < 1) {
            throw new IllegalArgumentException("control socket limits must be positive");
        }
    }

    /** Timeouts in whole seconds, as an operator writes them. */
    static ControlLimits from(UnaryOperator<String> property) {
        return new ControlLimits(number(property, WORKERS, 16), 1000L * number(property, TIMEOUT, 10),
                1000L * number(property, SECRET_TIMEOUT, 120), 1000L * number(property, WRITE_TIMEOUT, 60));
    }

    private static int number(UnaryOperator<String> property, String name, int fallback) {
        String v = property.apply(name);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n < 1) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a positive whole number, not '" + v + "'");
        }
    }
}
