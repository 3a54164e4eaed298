package org.sigillum.cli.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How many cards a site needs: N documents in H hours at R signatures per second per card. A card
 * signs one document at a time, so cards add up linearly; the answer is rounded up, never down.
 */
record Capacity(long documents, double hours, double cardRate) {

    Capacity {
        if (documents <= 0) {
            throw new IllegalArgumentException("--documents must be a positive number");
        }
        if (!(hours > 0) || Double.isInfinite(hours)) {
            throw new IllegalArgumentException("--hours must be a positive number");
        }
        if (!(cardRate > 0) || Double.isInfinite(cardRate)) {
            throw new IllegalArgumentException("the rate per card must be a positive number of signatures per second");
        }
    }

    /** Accepts {@code 3}, {@code 3/s}, {@code 2.5/s}, {@code 180/min}, {@code 9000/h}. */
    static double parseRate(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT).replace(" ", "");
        double per = 1;
        if (t.endsWith("/s")) {
            t = t.substring(0, t.length() - 2);
        } else if (t.endsWith("/min")) {
            t = t.substring(0, t.length() - 4);
            per = 60;
        } else if (t.endsWith("/h")) {
            t = t.substring(0, t.length() - 2);
            per = 3600;
        }
        try {
            return Double.parseDouble(t) / per;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a rate (say 3/s, 180/min or 9000/h)");
        }
    }

    double neededRate() {
        return documents / (hours * 3600);
    }

    long cards() {
        // A hair of tolerance so that exactly 2.0 cards is 2, not 3 after floating-point noise.
        return Math.max(1, (long) Math.ceil(neededRate() / cardRate - 1e-9));
    }

    /** How busy the cards are when they share the work evenly, 0..1. */
    double utilisation() {
        return neededRate() / (cards() * cardRate);
    }

    List<String> report(String rateSource) {
        List<String> out = new ArrayList<>();
        out.add(String.format(Locale.ROOT, "%,d documents in %s h need %.2f signatures/s", documents, num(hours), neededRate()));
        out.add(String.format(Locale.ROOT, "one card signs %.2f signatures/s (%s): %,d documents in %s h", cardRate, rateSource,
                (long) Math.floor(cardRate * hours * 3600), num(hours)));
        long n = cards();
        out.add(String.format(Locale.ROOT, "cards needed: %d (busy %.0f %% of the time; %,d documents in %s h at most)", n,
                utilisation() * 100, (long) Math.floor(n * cardRate * hours * 3600), num(hours)));
        return out;
    }

    private static String num(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
