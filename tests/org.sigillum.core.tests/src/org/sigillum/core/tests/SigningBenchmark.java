package org.sigillum.core.tests;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sigillum.api.Content;
import org.sigillum.api.Document;
import org.sigillum.api.SigningService;

/**
 * Not a test: run by {@code ./sigillum benchmark}. 2,000 files of 100 KB signed CAdES-B detached
 * through SigningService on 2 threads, with an RSA-2048 key in PKCS#12 like the demo key, beside the
 * raw JCA SHA256withRSA signatures/s of the same key on 2 threads in the same run. The ratio is
 * what counts: these machines are shared and noisy.
 */
class SigningBenchmark {

    private static final int FILES = Integer.getInteger("bench.files", 2000);
    private static final int THREADS = Integer.getInteger("bench.threads", 2);

    @TempDir
    Path dir;

    @Test
    void cadesThroughSigningServiceAgainstRawRsa() throws Exception {
        BenchRuntime rt = new BenchRuntime(dir);
        SigningService signing = rt.signing;

        Path files = Files.createDirectories(dir.resolve("files"));
        Random r = new Random(1);
        List<Document> docs = new ArrayList<>();
        for (int i = 0; i < FILES; i++) {
            byte[] b = new byte[100 * 1024];
            r.nextBytes(b);
            Path f = Files.write(files.resolve("doc-" + i + ".bin"), b);
            docs.add(new Document(f.getFileName().toString(), Content.of(f)));
        }
        PrivateKey key = loadKey(dir.resolve("signer.p12"), "bench-pw");

        // Warm both paths (JIT, caches) before measuring; then alternate to share the machine's noise.
        rt.signAll(docs, THREADS);
        raw(key, 2000);
        int rounds = 5;
        double[] sigillum = new double[rounds];
        double[] rawRate = new double[rounds];
        for (int round = 0; round < rounds; round++) {
            long t0 = System.nanoTime();
            rt.signAll(docs, THREADS);
            sigillum[round] = FILES / ((System.nanoTime() - t0) / 1e9);
            int n = Math.max(FILES, 2000);
            long t1 = System.nanoTime();
            raw(key, n);
            rawRate[round] = n / ((System.nanoTime() - t1) / 1e9);
        }
        java.util.Arrays.sort(sigillum);
        java.util.Arrays.sort(rawRate);
        double s = sigillum[rounds / 2];
        double raw = rawRate[rounds / 2];
        String line = String.format(java.util.Locale.ROOT,
                "BENCHMARK cades-b-detached files=%d size=100KiB threads=%d sigillum=%.0f docs/s raw-jca-SHA256withRSA=%.0f sig/s ratio=%.2f (goal >= 0.70) cpus=%d java=%s",
                FILES, THREADS, s, raw, s / raw, Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
        System.out.println(line);
        Files.writeString(Path.of(System.getProperty("user.dir"), "target", "benchmark.txt"), line + "\n");

        rt.close();
    }

    /** The raw limit: the JCA signing a small input (what CAdES signs is ~100 bytes of attributes). */
    private static void raw(PrivateKey key, int n) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        AtomicInteger next = new AtomicInteger();
        List<Future<?>> fs = new ArrayList<>();
        byte[] attrs = new byte[120];
        for (int t = 0; t < THREADS; t++) {
            fs.add(pool.submit(() -> {
                Signature sig = Signature.getInstance("SHA256withRSA");
                while (next.getAndIncrement() < n) {
                    sig.initSign(key);
                    sig.update(attrs);
                    sig.sign();
                }
                return null;
            }));
        }
        for (Future<?> f : fs) {
            f.get();
        }
        pool.shutdown();
    }

    private static PrivateKey loadKey(Path p12, String pw) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(p12)) {
            ks.load(in, pw.toCharArray());
        }
        return (PrivateKey) ks.getKey("signer", pw.toCharArray());
    }

}
