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
