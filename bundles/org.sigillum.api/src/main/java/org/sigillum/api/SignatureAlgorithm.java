package org.sigillum.api;

import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.Objects;

/**
 * A signature algorithm: the key kind, the digest and, for RSA, the padding. PSS always uses MGF1
 * with the same digest and a salt as long as the digest (the profile ETSI and most validators expect).
 */
public record SignatureAlgorithm(KeyAlgorithm key, DigestAlgorithm digest, Padding padding) {

    public SignatureAlgorithm {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(digest, "digest");
        padding = key == KeyAlgorithm.EC ? null : Objects.requireNonNull(padding, "padding");
    }

    /** The JCA name for signing the data itself (the provider hashes). */
    public String jcaName() {
        String d = digest.name();
        return switch (key) {
            case EC -> d + "withECDSA";
            case RSA -> padding == Padding.PSS ? "RSASSA-PSS" : d + "withRSA";
        };
    }

    /** Parameters to pass to {@code Signature.setParameter}, or null when there are none. */
    public AlgorithmParameterSpec parameterSpec() {
        if (key == KeyAlgorithm.RSA && padding == Padding.PSS) {
            return new PSSParameterSpec(digest.jcaName(), "MGF1", new MGF1ParameterSpec(digest.jcaName()),
                    digest.length(), PSSParameterSpec.TRAILER_FIELD_BC);
        }
        return null;
    }

    @Override
    public String toString() {
        return key == KeyAlgorithm.EC ? digest.name() + "withECDSA"
                : digest.name() + "withRSA" + (padding == Padding.PSS ? "/PSS" : "");
    }
}
