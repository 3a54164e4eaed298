package org.sigillum.api;

/**
 * What a request may change against its profile; null means "as the profile says". The profile's
 * {@code allowedOverrides} decides which of these are accepted; any other is refused with
 * {@link Reason#BAD_REQUEST}.
 */
public record SigningOverrides(String format, SignatureLevel level, String token, DigestAlgorithm digest,
        Padding padding, Packaging packaging) {

    public static SigningOverrides none() {
        return new SigningOverrides(null, null, null, null, null, null);
    }

    public SigningOverrides withFormat(String value) {
        return new SigningOverrides(value, level, token, digest, padding, packaging);
    }

    public SigningOverrides withLevel(SignatureLevel value) {
        return new SigningOverrides(format, value, token, digest, padding, packaging);
    }

    public SigningOverrides withToken(String value) {
        return new SigningOverrides(format, level, value, digest, padding, packaging);
    }

    public SigningOverrides withDigest(DigestAlgorithm value) {
        return new SigningOverrides(format, level, token, value, padding, packaging);
    }

    public SigningOverrides withPadding(Padding value) {
        return new SigningOverrides(format, level, token, digest, value, packaging);
    }

    public SigningOverrides withPackaging(Packaging value) {
        return new SigningOverrides(format, level, token, digest, padding, value);
    }
}
