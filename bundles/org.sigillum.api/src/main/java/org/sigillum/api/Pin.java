package org.sigillum.api;

import java.util.Arrays;

/**
 * A PIN or password handed from a caller to a token. It is used for one activation or one signature
 * and then wiped; it is never logged, stored or shown ({@link #toString()} hides it).
 */
public final class Pin implements AutoCloseable {
    private final char[] value;
    private boolean destroyed;

    private Pin(char[] value) {
        this.value = value.clone();
    }

    /** Copies the characters; the caller should wipe its own array. */
    public static Pin of(char[] value) {
        return new Pin(value);
    }

    /** A copy of the PIN for the token call; the caller wipes the copy after use. */
    public synchronized char[] chars() {
        if (destroyed) {
            throw new IllegalStateException("PIN already used and wiped");
        }
        return value.clone();
    }

    public synchronized boolean isDestroyed() {
        return destroyed;
    }

    /** Overwrites the PIN. */
    public synchronized void destroy() {
        Arrays.fill(value, '\0');
        destroyed = true;
    }

    @Override
    public void close() {
        destroy();
    }

    @Override
    public String toString() {
        return "Pin[hidden]";
    }
}
