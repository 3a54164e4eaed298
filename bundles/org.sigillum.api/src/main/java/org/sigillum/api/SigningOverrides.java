package org.sigillum.api;

import java.util.List;
import java.util.Map;

/**
 * What a request may change against its profile; null means "as the profile says". The profile's
 * {@code allowedOverrides} decides which of these are accepted; any other is refused with
 * {@link Reason#BAD_REQUEST}.
 *
 * @param tokens the tokens that may sign this request, a subset of the profile's (a hot-folder root
 *        narrows the pool this way); null or empty for the profile's own list
 * @param options format-specific settings that replace the profile's options of the same name (a
 *        visible stamp's page, rectangle or text, a PDF signature's reason); accepted only when the
 *        profile lists {@code options} among its overrides, and never for options that name files
 */
public record SigningOverrides(String format, SignatureLevel level, List<String> tokens, DigestAlgorithm digest,
        Padding padding, Packaging packaging, Map<String, String> options) {

    public SigningOverrides {
        tokens = tokens == null || tokens.isEmpty() ? null : List.copyOf(tokens);
        options = options == null ? Map.of() : Map.copyOf(options);
    }

    public SigningOverrides(String format, SignatureLevel level, List<String> tokens, DigestAlgorithm digest,
            Padding padding, Packaging packaging) {
        this(format, level, tokens, digest, padding, packaging, Map.of());
    }

    public static SigningOverrides none() {
        return new SigningOverrides(null, null, null, null, null, null, Map.of());
    }

    public SigningOverrides withOptions(Map<String, String> value) {
        return new SigningOverrides(format, level, tokens, digest, padding, packaging, value);
    }

    public SigningOverrides withFormat(String value) {
        return new SigningOverrides(value, level, tokens, digest, padding, packaging, options);
    }

    public SigningOverrides withLevel(SignatureLevel value) {
        return new SigningOverrides(format, value, tokens, digest, padding, packaging, options);
    }

    /** One token of the profile's pool. */
    public SigningOverrides withToken(String value) {
        return withTokens(value == null ? null : List.of(value));
    }

    public SigningOverrides withTokens(List<String> value) {
        return new SigningOverrides(format, level, value, digest, padding, packaging, options);
    }

    public SigningOverrides withDigest(DigestAlgorithm value) {
        return new SigningOverrides(format, level, tokens, value, padding, packaging, options);
    }

    public SigningOverrides withPadding(Padding value) {
        return new SigningOverrides(format, level, tokens, digest, value, packaging, options);
    }

    public SigningOverrides withPackaging(Packaging value) {
        return new SigningOverrides(format, level, tokens, digest, padding, value, options);
    }
}
