package org.sigillum.api;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * The resolved parameters a format signer works with: the profile with the request's overrides
 * applied. {@code options} carries format-specific settings from the profile (such as a visible
 * stamp's position) under their configuration names.
 */
public record SignatureParameters(String format, SignatureLevel level, DigestAlgorithm digest, Padding padding,
        Packaging packaging, Instant signingTime, Map<String, String> options) {

    public SignatureParameters {
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(level, "level");
        Objects.requireNonNull(digest, "digest");
        Objects.requireNonNull(padding, "padding");
        Objects.requireNonNull(packaging, "packaging");
        Objects.requireNonNull(signingTime, "signingTime");
        options = options == null ? Map.of() : Map.copyOf(options);
    }
}
