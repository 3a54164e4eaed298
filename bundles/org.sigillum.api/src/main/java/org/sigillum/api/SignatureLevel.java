package org.sigillum.api;

import java.util.Locale;

/** Baseline levels shared by CAdES, PAdES and XAdES (ETSI EN 319 1x2-1). */
public enum SignatureLevel {
    B_B("B"), B_T("T"), B_LT("LT"), B_LTA("LTA");

    private final String shortName;

    SignatureLevel(String shortName) {
        this.shortName = shortName;
    }

    public String shortName() {
        return shortName;
    }

    /** True when this level includes everything {@code other} does. */
    public boolean includes(SignatureLevel other) {
        return ordinal() >= other.ordinal();
    }

    /** Accepts {@code B}, {@code T}, {@code LT}, {@code LTA} and the {@code B-T} / {@code B_T} forms. */
    public static SignatureLevel parse(String text) {
        String s = text.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        if (s.startsWith("B_")) {
            s = s.substring(2);
        }
        for (SignatureLevel level : values()) {
            if (level.shortName.equals(s)) {
                return level;
            }
        }
        throw new IllegalArgumentException("unknown signature level '" + text + "' (use B, T, LT or LTA)");
    }

    @Override
    public String toString() {
        return "B-" + shortName;
    }
}
