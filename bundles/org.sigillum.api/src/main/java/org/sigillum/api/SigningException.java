package org.sigillum.api;

import java.util.Objects;

/**
 * A failure with a {@link Reason}. The message is meant for a person and never contains a PIN,
 * password or key material.
 */
public class SigningException extends Exception {
    private static final long serialVersionUID = 1L;

    private final Reason reason;

    public SigningException(Reason reason, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public SigningException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public Reason reason() {
        return reason;
    }

    public boolean retryable() {
        return reason.retryable();
    }

    @Override
    public String toString() {
        return reason.label() + ": " + getMessage();
    }
}
