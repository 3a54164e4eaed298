package org.sigillum.core.tests;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.util.tracker.ServiceTracker;
import org.sigillum.api.Channel;
import org.sigillum.api.Content;
import org.sigillum.api.Document;
import org.sigillum.api.SigningRequest;
import org.sigillum.api.SigningService;

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
        TestPki.write(dir, "bench-pw");
        BundleContext ctx = FrameworkUtil.getBundle(getClass()).getBundleContext();
        ServiceTracker<ConfigurationAdmin, ConfigurationAdmin> cmT = new ServiceTracker<>(ctx, ConfigurationAdmin.class, null);
        cmT.open();
        ServiceTracker<SigningService, SigningService> sT = new ServiceTracker<>(ctx, SigningService.class, null);
        sT.open();
        ServiceTracker<Channel, Channel> chT = new ServiceTracker<>(ctx, Channel.class, null);
        chT.open();
        ConfigurationAdmin cm = cmT.waitForService(10_000);
        List<Configuration> configs = new ArrayList<>();
        configs.add(config(cm, "org.sigillum.core", false, "auditLog", dir.resolve("audit.log").toString()));
        configs.add(config(cm, "org.sigillum.token.soft", true, "id", "bench", "path", dir.resolve("signer.p12").toString(),
                ".password", "bench-pw"));
        configs.add(config(cm, "org.sigillum.profile", true, "name", "bench", "format", "cades", "level", "B", "tokens", "bench",
                "trustAnchors", dir.resolve("root.pem").toString()));
        Path in = dir.resolve("in");
        Path out = dir.resolve("out");
        configs.add(config(cm, "org.sigillum.hotfolder", true, "name", "bench", "profile", "bench", "in", in.toString(),
                "out", out.toString(), "error", dir.resolve("error").toString(), "work", dir.resolve("work").toString(),
                "workers", Integer.toString(WORKERS), "settleMillis", "0", "pollMillis", "50"));
        long end = System.currentTimeMillis() + 20_000;
        while (sT.getService() == null || chT.getService() == null
                || sT.getService().profiles().stream().noneMatch(p -> p.name().equals("bench") && p.ready())) {
            if (System.currentTimeMillis() > end) {
                throw new AssertionError("profile or hot folder not ready");
            }
            Thread.sleep(50);
        }
        SigningService signing = sT.getService();

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
        direct(signing, docs.subList(0, 2000));
        folder(in, out, "warm", contents.subList(0, 2000));
        double[] direct = new double[ROUNDS];
        double[] folder = new double[ROUNDS];
        for (int round = 0; round < ROUNDS; round++) {
            long t0 = System.nanoTime();
            direct(signing, docs);
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

        for (Configuration c : configs) {
            c.delete();
        }
        chT.close();
        sT.close();
        cmT.close();
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

    private static void direct(SigningService signing, List<Document> docs) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(WORKERS);
        AtomicInteger next = new AtomicInteger();
        List<Future<?>> fs = new ArrayList<>();
        for (int t = 0; t < WORKERS; t++) {
            fs.add(pool.submit(() -> {
                int i;
                while ((i = next.getAndIncrement()) < docs.size()) {
                    signing.sign(SigningRequest.of("bench", "benchmark"), docs.get(i));
                }
                return null;
            }));
        }
        for (Future<?> f : fs) {
            f.get();
        }
        pool.shutdown();
    }

    private static Configuration config(ConfigurationAdmin cm, String pid, boolean factory, String... kv) throws Exception {
        Configuration c = factory ? cm.createFactoryConfiguration(pid, "?") : cm.getConfiguration(pid, "?");
        Dictionary<String, Object> props = new Hashtable<>();
        for (int i = 0; i < kv.length; i += 2) {
            props.put(kv[i], kv[i + 1]);
        }
        c.update(props);
        return c;
    }
}
