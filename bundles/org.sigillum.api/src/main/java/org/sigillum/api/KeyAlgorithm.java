package org.sigillum.api;

/** The kind of key a token holds. */
public enum KeyAlgorithm {
    RSA, EC;

    public static KeyAlgorithm of(java.security.PublicKey key) {
        return switch (key.getAlgorithm()) {
            case "RSA", "RSASSA-PSS" -> RSA;
            case "EC" -> EC;
            default -> throw new IllegalArgumentException("unsupported key algorithm " + key.getAlgorithm());
        };
    }
}
