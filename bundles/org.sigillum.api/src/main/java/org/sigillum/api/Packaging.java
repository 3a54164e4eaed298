package org.sigillum.api;

import java.util.Locale;

/**
 * Where the signature goes. {@code DETACHED}: a separate signature file beside the untouched
 * document. {@code EMBEDDED}: one file holding both; for CMS that is an enveloping {@code .p7m},
 * for PDF and XML an enveloped signature inside the document.
 */
public enum Packaging {
    DETACHED, EMBEDDED;

    public static Packaging parse(String text) {
        String s = text.trim().toUpperCase(Locale.ROOT);
        return switch (s) {
            case "DETACHED" -> DETACHED;
            case "EMBEDDED", "ENVELOPING", "ENVELOPED" -> EMBEDDED;
            default -> throw new IllegalArgumentException("unknown packaging '" + text + "' (use detached or embedded)");
        };
    }
}
