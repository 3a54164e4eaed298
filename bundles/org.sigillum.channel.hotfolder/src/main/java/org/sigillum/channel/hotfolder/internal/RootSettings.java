package org.sigillum.channel.hotfolder.internal;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import org.sigillum.api.Packaging;

/** A root's configuration, parsed and checked once. */
record RootSettings(String name, String profile, Path in, Path out, Path error, Path done, Path work, String group,
        List<String> tokens, Packaging packaging, String signatureExtension, String approval, String ready, String failed,
        boolean allOrNothing, boolean looseFiles, Duration stable, Duration settle, boolean acceptEmpty,
        int parallelBatches, int workers, Duration poll, Duration retry, Duration retryMax) {

    static RootSettings of(RootConfig c, Path home) {
        String name = trim(c.name());
        if (name.isEmpty() || name.contains("/") || name.startsWith(".")) {
            throw new IllegalArgumentException("a root needs a name without '/' and not starting with '.' (got '" + name + "')");
        }
        List<String> tokens = c.tokens() == null ? List.of()
                : Arrays.stream(c.tokens()).flatMap(v -> Arrays.stream(v.split(","))).map(String::trim)
                        .filter(s -> !s.isEmpty()).distinct().toList();
        if (tokens.contains("none") && tokens.size() > 1) {
            throw new IllegalArgumentException("root '" + name + "': tokens = none (archive only, no signature) cannot be combined with tokens");
        }
        String profile = trim(c.profile());
        if (profile.isEmpty() && !tokens.contains("none")) {
            throw new IllegalArgumentException("root '" + name + "' names no profile (or says tokens = none: archive only, no signature)");
        }
        String policy = trim(c.failurePolicy()).toLowerCase(Locale.ROOT);
        if (!policy.equals("partial") && !policy.equals("all-or-nothing")) {
            throw new IllegalArgumentException("failurePolicy must be partial or all-or-nothing (got '" + policy + "')");
        }
        Packaging packaging = trim(c.packaging()).isEmpty() ? null : Packaging.parse(c.packaging());
        String ext = trim(c.signatureExtension());
        if (!ext.isEmpty() && (!ext.startsWith(".") || ext.contains("/") || ext.length() < 2)) {
            throw new IllegalArgumentException("signatureExtension must look like .p7s (got '" + ext + "')");
        }
        Path in = folder(home, c.in(), "hotfolder/in/" + name);
        Path out = folder(home, c.out(), "hotfolder/out/" + name);
        Path error = folder(home, c.error(), "hotfolder/error/" + name);
        Path work = folder(home, c.work(), "hotfolder/work/" + name);
        Path done = trim(c.done()).isEmpty() ? null : home.resolve(trim(c.done())).normalize();
        List<Path> all = new java.util.ArrayList<>(List.of(in, out, error, work));
        if (done != null) {
            all.add(done);
        }
        for (Path a : all) {
            for (Path b : all) {
                if (a != b && (a.startsWith(b) || b.startsWith(a))) {
                    throw new IllegalArgumentException("root '" + name + "': folders must not contain each other (" + a + ", " + b + ")");
                }
            }
        }
        for (String s : List.of(c.approval(), c.ready(), c.failed())) {
            if (trim(s).isEmpty() || s.contains("/")) {
                throw new IllegalArgumentException("semaphore names must be plain file names (got '" + s + "')");
            }
        }
        int workers = c.workers() > 0 ? c.workers() : Runtime.getRuntime().availableProcessors();
        return new RootSettings(name, profile, in, out, error, done, work, trim(c.group()), tokens, packaging, ext, trim(c.approval()),
                trim(c.ready()), trim(c.failed()), policy.equals("all-or-nothing"), c.looseFiles(),
                Duration.ofSeconds(Math.max(0, c.stableSeconds())), Duration.ofMillis(Math.max(0, c.settleMillis())),
                c.acceptEmptyFiles(), Math.max(1, c.parallelBatches()), workers, Duration.ofMillis(Math.max(50, c.pollMillis())),
                Duration.ofSeconds(Math.max(1, c.retrySeconds())), Duration.ofSeconds(Math.max(1, c.retryMaxSeconds())));
    }

    /** tokens = none: documents enter the archive unsigned, and their copies are published with the receipts. */
    boolean archiveOnly() {
        return tokens.equals(List.of("none"));
    }

    private static Path folder(Path home, String configured, String fallback) {
        String s = trim(configured);
        return home.resolve(s.isEmpty() ? fallback : s).normalize();
    }

    private static String trim(String s) {
        return s == null ? "" : s.trim();
    }
}
