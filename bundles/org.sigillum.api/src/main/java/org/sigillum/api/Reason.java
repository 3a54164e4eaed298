package org.sigillum.api;

/**
 * Why signing or verifying failed, in terms a channel can map to an error file, an HTTP status or a
 * semaphore. A retryable reason means the same request can succeed later without any change to it
 * (a TSA comes back, a card is activated); a permanent one means the input or request must change.
 */
public enum Reason {
    /** The document cannot be read as what it claims to be (truncated, garbage, encrypted, hostile). */
    BAD_INPUT(false, 422),
    /** The request itself is wrong: unknown option, an override the profile does not allow. */
    BAD_REQUEST(false, 400),
    /** No profile of that name is configured. */
    PROFILE_UNKNOWN(false, 404),
    /** No bundle for the requested format is installed and started. */
    FORMAT_UNAVAILABLE(true, 503),
    /** No token of the profile can sign now (missing, busy, failed). */
    TOKEN_UNAVAILABLE(true, 503),
    /** A mass-signature token is configured but has not been activated with its PIN. */
    TOKEN_NEEDS_ACTIVATION(true, 503),
    /** An individual token needs the PIN with the request. */
    PIN_REQUIRED(false, 401),
    /** The PIN was wrong; the server never retries it. */
    PIN_INCORRECT(false, 403),
    /** The token is locked (too many wrong PINs). */
    TOKEN_LOCKED(false, 423),
    /** The signer's certificate is expired, not yet valid, revoked or unsuitable. */
    CERTIFICATE_INVALID(false, 422),
    /** No time-stamp authority answered correctly. */
    TSA_UNAVAILABLE(true, 503),
    /** Revocation data for the signer could not be obtained. */
    REVOCATION_UNAVAILABLE(true, 503),
    /** The new signature failed its own check or does not chain to a trust anchor. */
    VERIFICATION_FAILED(false, 500),
    /** The archive could not record the document. */
    ARCHIVE_UNAVAILABLE(true, 503),
    /** An input or output could not be read or written. */
    IO_ERROR(true, 500),
    /** A defect in the server; the log says more. */
    INTERNAL(false, 500);

    private final boolean retryable;
    private final int httpStatus;

    Reason(boolean retryable, int httpStatus) {
        this.retryable = retryable;
        this.httpStatus = httpStatus;
    }

    public boolean retryable() {
        return retryable;
    }

    public int httpStatus() {
        return httpStatus;
    }

    /** The form used in files and the command line: {@code format unavailable}. */
    public String label() {
        String s = name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
        // Acronyms stay as people write them: "PIN incorrect", "TSA unavailable".
        return s.replace("pin ", "PIN ").replace("tsa ", "TSA ");
    }
}
