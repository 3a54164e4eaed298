package org.sigillum.archive.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sigillum.api.ArchiveEntry;
import org.sigillum.api.ArchiveSeal;
import org.sigillum.api.DigestAlgorithm;

/**
 * One tree of 1,000,000 documents through the archive component with its real H2 store: entry rate
 * in batches of 1,000 (durable, fsynced), the seal (close, read, build, one time stamp, tree file),
 * evidence export per document (median, p99), and bytes on disk per document; beside a plain
 * SHA-256 binary tree over the same leaves in the same run. Run by ./sigillum benchmark; results
 * in target/benchmark-archive.txt.
 */
class ArchiveBenchmark {

    static final int DOCUMENTS = Integer.getInteger("archive.benchmark.documents", 1_000_000);

    @TempDir
    Path dir;

    @Test
    void oneTreeOfAMillionDocuments() throws Exception {
        TestTsa tsa = new TestTsa();
        ArchiveComponent archive = new ArchiveComponent(dir.resolve("archive"), dir.resolve("pki"), DigestAlgorithm.SHA256,
                List.of("test"), Duration.ofSeconds(1), null);
        archive.addAuthority("test", tsa);
        try {
            Random r = new SecureRandom();
            byte[][] doc = new byte[DOCUMENTS][32];
            byte[][] sig = new byte[DOCUMENTS][32];
            for (int i = 0; i < DOCUMENTS; i++) {
                r.nextBytes(doc[i]);
                r.nextBytes(sig[i]);
            }
            // The plain limit: a binary SHA-256 tree over the same leaves, nothing else.
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            long p0 = System.nanoTime();
            byte[] leaves = new byte[(DOCUMENTS + 1) * 32];
            for (int i = 0; i < DOCUMENTS; i++) {
                md.update(doc[i]);
                md.update(sig[i]);
                md.digest(leaves, (i + 1) * 32, 32);
            }
            plainTree(md, leaves);
            double plainSeconds = (System.nanoTime() - p0) / 1e9;

            long e0 = System.nanoTime();
            int batch = 1_000;
            for (int i = 0; i < DOCUMENTS; i += batch) {
                List<ArchiveEntry> entries = new ArrayList<>(batch);
                for (int j = i; j < i + batch; j++) {
                    entries.add(new ArchiveEntry("d" + j, DigestAlgorithm.SHA256, doc[j], sig[j]));
                }
                assertEquals(batch, archive.enterAll(entries).size());
            }
            double entrySeconds = (System.nanoTime() - e0) / 1e9;

            long s0 = System.nanoTime();
            List<ArchiveSeal> seals = archive.seal();
            double sealSeconds = (System.nanoTime() - s0) / 1e9;
            assertEquals(1, seals.size());
            assertEquals(DOCUMENTS, seals.get(0).entries());

            Random pick = new Random(1);
            int samples = 5_000;
            long[] nanos = new long[samples];
            for (int i = 0; i < samples; i++) {
                long id = 1 + pick.nextInt(DOCUMENTS);
                long t0 = System.nanoTime();
                byte[] er = archive.evidence(Long.toString(id));
                nanos[i] = System.nanoTime() - t0;
                assertTrue(er.length > 0);
            }
            Arrays.sort(nanos);
            double median = nanos[samples / 2] / 1e6;
            double p99 = nanos[samples * 99 / 100] / 1e6;
            double perDoc = (double) archive.bytesOnDisk() / DOCUMENTS;

            String report = String.format(Locale.ROOT, "archive, one tree of %,d documents (SHA-256, document + signature per leaf):%n"
                    + "  entry: %.0f documents/s in batches of %,d, durable (goal >= 20,000)%n"
                    + "  seal: %.2f s (close, read, build, one time stamp, tree file; goal <= 2 s)%n"
                    + "  plain SHA-256 tree over the same leaves (leaf hashing and build only): %.2f s; seal / plain = %.1f%n"
                    + "  evidence export: median %.3f ms, p99 %.3f ms (goal <= 2 ms median)%n"
                    + "  bytes on disk per document: %.0f (goal <= 200)%n",
                    DOCUMENTS, DOCUMENTS / entrySeconds, batch, sealSeconds, plainSeconds, sealSeconds / plainSeconds, median, p99, perDoc);
            System.out.print(report);
            Files.writeString(Path.of("target", "benchmark-archive.txt"), report);
        } finally {
            archive.stop();
        }
    }

    /**
     * What keeping the documents costs (entry with contents on 2 threads, beside writing and forcing
     * the same files without the archive) and what a hash-tree renewal costs (beside reading and
     * hashing the same files with SHA-512 once).
     */
    @Test
    void keptDocumentsAndHashTreeRenewal() throws Exception {
        int n = Integer.getInteger("archive.benchmark.kept", 4_000);
        int threads = 2;
        byte[][] doc = new byte[n][];
        byte[][] sig = new byte[n][];
        Random r = new SecureRandom();
        for (int i = 0; i < n; i++) {
            doc[i] = new byte[64 * 1024];
            sig[i] = new byte[8 * 1024];
            r.nextBytes(doc[i]);
            r.nextBytes(sig[i]);
        }
        // The limit: the same files written, forced and renamed on the same threads, no archive.
        Path raw = Files.createDirectories(dir.resolve("raw"));
        long w0 = System.nanoTime();
        parallel(threads, n, i -> {
            for (byte[] b : List.of(doc[i], sig[i])) {
                Path tmp = raw.resolve(i + "-" + b.length + ".part");
                try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.CREATE_NEW,
                        java.nio.file.StandardOpenOption.WRITE)) {
                    ch.write(java.nio.ByteBuffer.wrap(b));
                    ch.force(true);
                }
                Files.move(tmp, raw.resolve(i + "-" + b.length), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            }
        });
        double rawSeconds = (System.nanoTime() - w0) / 1e9;

        // The same entries with hashes only: what the durable group commit costs two synchronous callers.
        double hashesOnlySeconds;
        ArchiveComponent bare = new ArchiveComponent(dir.resolve("bare"), dir.resolve("pki"), DigestAlgorithm.SHA256, List.of("test"),
                Duration.ofSeconds(1), null);
        try {
            long b0 = System.nanoTime();
            parallel(threads, n, i -> {
                MessageDigest md = MessageDigest.getInstance("SHA-256");
                bare.enter(new ArchiveEntry("d" + i, DigestAlgorithm.SHA256, md.digest(doc[i]), md.digest(sig[i])));
            });
            hashesOnlySeconds = (System.nanoTime() - b0) / 1e9;
        } finally {
            bare.stop();
        }

        TestTsa tsa = new TestTsa();
        ArchiveComponent archive = new ArchiveComponent(dir.resolve("kept"), dir.resolve("pki"), DigestAlgorithm.SHA256, List.of("test"),
                Duration.ofSeconds(1), dir.resolve("kept/documents"));
        archive.addAuthority("test", tsa);
        try {
            long e0 = System.nanoTime();
            parallel(threads, n, i -> {
                MessageDigest md = MessageDigest.getInstance("SHA-256");
                archive.enter(new ArchiveEntry("d" + i, DigestAlgorithm.SHA256, md.digest(doc[i]), md.digest(sig[i]),
                        org.sigillum.api.Content.of(doc[i]), org.sigillum.api.Content.of(sig[i])));
            });
            double entrySeconds = (System.nanoTime() - e0) / 1e9;
            archive.seal();

            // The limit of a renewal: reading and hashing every kept file once with the new digest.
            long h0 = System.nanoTime();
            MessageDigest sha512 = MessageDigest.getInstance("SHA-512");
            try (var files = Files.walk(dir.resolve("kept/documents"))) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    sha512.digest(Files.readAllBytes(f));
                }
            }
            double hashSeconds = (System.nanoTime() - h0) / 1e9;
            long r0 = System.nanoTime();
            org.sigillum.api.ArchiveRenewal renewal = archive.renewDigest(DigestAlgorithm.SHA512);
            double renewSeconds = (System.nanoTime() - r0) / 1e9;
            assertEquals(n, renewal.renewed());

            String report = String.format(Locale.ROOT, "archive, kept documents (%,d documents of 64 KiB + signatures of 8 KiB, %d threads):%n"
                    + "  entry with the documents kept: %.0f documents/s; the same files written and forced without the archive: %.0f/s;"
                    + " ratio %.2f%n"
                    + "  entry with hashes only (same hashing, no copies): %.0f documents/s%n"
                    + "  hash-tree renewal to SHA-512: %.2f s (%.0f documents/s); reading and hashing the kept files once: %.2f s; ratio %.2f%n",
                    n, threads, n / entrySeconds, n / rawSeconds, rawSeconds / entrySeconds, n / hashesOnlySeconds, renewSeconds, n / renewSeconds, hashSeconds,
                    hashSeconds / renewSeconds);
            System.out.print(report);
            Files.writeString(Path.of("target", "benchmark-archive-kept.txt"), report);
        } finally {
            archive.stop();
        }
    }

    private interface Step {
        void run(int i) throws Exception;
    }

    private static void parallel(int threads, int n, Step step) throws Exception {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        try {
            java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
            List<java.util.concurrent.Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                done.add(pool.submit(() -> {
                    for (int i; (i = next.getAndIncrement()) < n;) {
                        step.run(i);
                    }
                    return null;
                }));
            }
            for (var f : done) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
    }

    private static byte[] plainTree(MessageDigest md, byte[] level) throws Exception {
        while (level.length > 32) {
            int n = level.length / 32;
            byte[] next = new byte[(n + 1) / 2 * 32];
            for (int p = 0; p < n / 2; p++) {
                md.update(level, 2 * p * 32, 64);
                md.digest(next, p * 32, 32);
            }
            if (n % 2 == 1) {
                System.arraycopy(level, (n - 1) * 32, next, n / 2 * 32, 32);
            }
            level = next;
        }
        return level;
    }
}
