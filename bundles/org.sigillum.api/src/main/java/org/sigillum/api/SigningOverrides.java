package org.sigillum.api;

import java.util.List;

/**
 * What a request may change against its profile; null means "as the profile says". The profile's
 * {@code allowedOverrides} decides which of these are accepted; any other is refused with
 * {@link Reason#BAD_REQUEST}.
 *
 * @param tokens the tokens that may sign this request, a subset of the profile's (a hot-folder root
 *        narrows the pool this way); null or empty for the profile's own list
 */
public record SigningOverrides(String format, SignatureLevel level, List<String> tokens, DigestAlgorithm digest,
        Padding padding, Packaging packaging) {

    public SigningOverrides {
        tokens = tokens == null || tokens.isEmpty() ? null : List.copyOf(tokens);
    }

    public static SigningOverrides none() {
        return new SigningOverrides(null, null, null, null, null, null);
    }

    public SigningOverrides withFormat(String value) {
        return new SigningOverrides(value, level, tokens, digest, padding, packaging);
    }

    public SigningOverrides withLevel(SignatureLevel value) {
        return new SigningOverrides(format, value, tokens, digest, padding, packaging);
    }

    /** One token of the profile's pool. */
    public SigningOverrides withToken(String value) {
        return withTokens(value == null ? null : List.of(value));
    }

    public SigningOverrides withTokens(List<String> value) {
        return new SigningOverrides(format, level, value, digest, padding, packaging);
    }

    public SigningOverrides withDigest(DigestAlgorithm value) {
        return new SigningOverrides(format, level, tokens, value, padding, packaging);
    }

    public SigningOverrides withPadding(Padding value) {
        return new SigningOverrides(format, level, tokens, digest, value, packaging);
    }

    public SigningOverrides withPackaging(Packaging value) {
        return new SigningOverrides(format, level, tokens, digest, padding, value);
    }
}
