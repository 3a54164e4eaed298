package org.sigillum.api;

/** What a token can do right now. */
public enum TokenState {
    /** Ready to sign (for an individual token: ready once a PIN comes with the request). */
    AVAILABLE,
    /** A mass-signature token waiting for its PIN. */
    NEEDS_ACTIVATION,
    /** Locked after wrong PINs; only an administrator with the PUK can help. */
    LOCKED,
    /** Configured but not present (card removed, file missing). */
    MISSING,
    /** Present but broken (unreadable key store, wrong configuration); see the detail. */
    FAILED
}
