package org.sigillum.api;

/** How a token gets its PIN. */
public enum ActivationMode {
    /** Needs no PIN from anyone at run time (a software key whose password is configured). */
    NONE,
    /** Activated once with its PIN, then signs until its signature count or time is used up. */
    MASS,
    /** Needs the PIN with every signature; the PIN is used once and wiped. */
    INDIVIDUAL
}
