package org.sigillum.core.tests;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.FrameworkUtil;
import org.osgi.util.tracker.ServiceTracker;
import org.sigillum.api.Channel;
import org.sigillum.api.Content;
import org.sigillum.api.Document;

/**
 * Not a test: run by {@code ./sigillum benchmark}. 10,000 files of 20 KB in one batch through a
 * hot-folder root (from the APPROVED semaphore to READY: scan, claim, staging, journal, publication,
 * input clean-up), beside SigningService alone signing the same files with as many threads as the
 * root has workers, in the same run. Goal: the folder adds at most 15 %.
 */
class HotFolderBenchmark {

    private static final int FILES = Integer.getInteger("bench.hotfolder.files", 10_000);
    private static final int WORKERS = Integer.getInteger("bench.threads", 2);
    private static final int ROUNDS = Integer.getInteger("bench.rounds", 3);

    @TempDir
    Path dir;

    @Test
    void hotFolderAgainstSigningServiceAlone() throws Exception {
        BenchRuntime rt = new BenchRuntime(dir);
        ServiceTracker<Channel, Channel> chT = new ServiceTracker<>(FrameworkUtil.getBundle(getClass()).getBundleContext(),
                Channel.class, null);
        chT.open();
        Path in = dir.resolve("in");
        Path out = dir.resolve("out");
        rt.config("org.sigillum.hotfolder", true, "name", "bench", "profile", "bench", "in", in.toString(),
                "out", out.toString(), "error", dir.resolve("error").toString(), "work", dir.resolve("work").toString(),
                "workers", Integer.toString(WORKERS), "settleMillis", "0", "pollMillis", "50");
        long end = System.currentTimeMillis() + 20_000;
        while (chT.getService() == null) {
            if (System.currentTimeMillis() > end) {
                throw new AssertionError("profile or hot folder not ready");
            }
            Thread.sleep(50);
        }
        Random r = new Random(1);
        List<byte[]> contents = new ArrayList<>();
        for (int i = 0; i < FILES; i++) {
            byte[] b = new byte[20 * 1024];
            r.nextBytes(b);
            contents.add(b);
        }
        Path plain = Files.createDirectories(dir.resolve("plain"));
        List<Document> docs = new ArrayList<>();
        for (int i = 0; i < FILES; i++) {
            Path f = Files.write(plain.resolve("doc-" + i + ".bin"), contents.get(i));
            docs.add(new Document(f.getFileName().toString(), Content.of(f)));
        }

        // Warm-up of both paths, then alternate rounds so both see the same machine noise.
        rt.signAll(docs.subList(0, 2000), WORKERS);
        folder(in, out, "warm", contents.subList(0, 2000));
        double[] direct = new double[ROUNDS];
        double[] folder = new double[ROUNDS];
        for (int round = 0; round < ROUNDS; round++) {
            long t0 = System.nanoTime();
            rt.signAll(docs, WORKERS);
            direct[round] = FILES / ((System.nanoTime() - t0) / 1e9);
            folder[round] = FILES / folder(in, out, "round-" + round, contents);
        }
        Arrays.sort(direct);
        Arrays.sort(folder);
        double d = direct[ROUNDS / 2];
        double f = folder[ROUNDS / 2];
        String line = String.format(Locale.ROOT,
                "BENCHMARK hotfolder files=%d size=20KiB workers=%d hotfolder=%.0f docs/s signingservice=%.0f docs/s overhead=%.1f%% (goal <= 15%%) cpus=%d java=%s",
                FILES, WORKERS, f, d, 100 * (1 - f / d), Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
        System.out.println(line);
        Files.writeString(Path.of(System.getProperty("user.dir"), "target", "benchmark-hotfolder.txt"), line + "\n");

        chT.close();
        rt.close();
    }

    /** Seconds from the semaphore to READY; the files are in place before the clock starts. */
    private static double folder(Path in, Path out, String batch, List<byte[]> contents) throws Exception {
        Path b = Files.createDirectories(in.resolve(batch));
        for (int i = 0; i < contents.size(); i++) {
            Files.write(b.resolve("doc-" + i + ".bin"), contents.get(i));
        }
        // A sender's files are written long before approval and are on disk by then; so are the
        // files the direct path reads. Without this, the clock would include flushing our own writes.
        new ProcessBuilder("sync", "-f", b.toString()).start().waitFor();
        long t0 = System.nanoTime();
        Files.writeString(b.resolve("APPROVED"), "");
        Path ready = out.resolve(batch).resolve("READY");
        long end = System.currentTimeMillis() + 600_000;
        while (!Files.exists(ready)) {
            if (System.currentTimeMillis() > end) {
                throw new AssertionError("no READY for " + batch);
            }
            Thread.sleep(5);
        }
        double s = (System.nanoTime() - t0) / 1e9;
        String summary = Files.readString(ready);
        if (!summary.contains("\"signed\": " + contents.size() + ",")) {
            throw new AssertionError("not every document was signed: " + summary.substring(0, Math.min(400, summary.length())));
        }
        // Outputs stay, as they would until a consumer takes them: deleting 20,000 files here would
        // slow the next round's file creation on a file system without a journal (see BENCHMARKS.md).
        return s;
    }

}
