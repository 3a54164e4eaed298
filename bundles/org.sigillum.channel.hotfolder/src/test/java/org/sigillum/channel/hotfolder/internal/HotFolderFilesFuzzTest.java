package org.sigillum.channel.hotfolder.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sigillum.fuzz.Fuzz;
import org.sigillum.fuzz.Mutator;

/**
 * The journal and the batch manifest are read back after a crash, when they may be torn or damaged:
 * mutated copies must read (damaged journal lines count as not written) or fail with an
 * IOException, never with another exception, in bounded time and allocation.
 */
class HotFolderFilesFuzzTest {

    @TempDir
    Path dir;

    @Test
    void aDamagedJournalReadsOrFailsWithIOException() throws Exception {
        Journal.Signed s = new Journal.Signed("aa", JournalTest.HOSTILE + ".p7s", "bb", true, "CN=x", "B-B", "t", "demo", "12", "3", "7");
        try (Journal j = new Journal(dir)) {
            j.signed(0, s);
            j.failed(1, new Journal.Failed("bad input", "empty"));
            j.mark("sealed", "2026-11-25T10:00:00Z");
            j.signed(2, new Journal.Signed("cc", "b.pdf", "dd", false, "CN=y", "B-T", "u", "pades", "1", "", ""));
        }
        byte[] sample = Files.readAllBytes(dir.resolve(Journal.FILE));
        Journal.State good = Journal.read(dir);
        Path work = Files.createDirectories(dir.resolve("fuzz"));

        Fuzz.run("journal", new Mutator(List.of(sample)), Mutator.seed(14), Mutator.count(3000),
                new Fuzz.Limits(Duration.ofSeconds(5), 16L << 20, Duration.ofSeconds(60)), input -> {
                    Files.write(work.resolve(Journal.FILE), input);
                    Journal.read(work);
                }, t -> t instanceof IOException);

        assertEquals(good, Journal.read(dir), "the good journal still reads the same");
    }

    /** Found by this test before the fix: a damaged field escaped as a runtime exception (input 1 of seed 14). */
    @Test
    void aDamagedManifestReadsOrFailsWithIOException() throws Exception {
        List<Manifest.Entry> entries = List.of(new Manifest.Entry(0, JournalTest.HOSTILE, Manifest.Kind.FILE, 12, 34),
                new Manifest.Entry(1, "sub/link", Manifest.Kind.LINK, 0, 5));
        Manifest m = new Manifest("1-000001", dir.resolve("in/b"), "b", false, Instant.parse("2026-11-25T10:00:00Z"), entries);
        m.writeTo(dir);
        byte[] sample = Files.readAllBytes(dir.resolve(Manifest.FILE));
        Path work = Files.createDirectories(dir.resolve("fuzz"));

        Fuzz.run("manifest", new Mutator(List.of(sample)), Mutator.seed(14), Mutator.count(3000),
                new Fuzz.Limits(Duration.ofSeconds(5), 16L << 20, Duration.ofSeconds(60)), input -> {
                    Files.write(work.resolve(Manifest.FILE), input);
                    Manifest.readFrom(work);
                }, t -> t instanceof IOException);

        assertEquals(m, Manifest.readFrom(dir), "the good manifest still reads the same");
    }

    /** A root's .cfg file, mutated: read as File Install reads it, then parsed; refused only as misconfigured. */
    @Test
    void aMutatedRootConfigurationIsReadOrRefusedAsMisconfigured() throws Exception {
        String sample = """
                name = scans
                profile = cades
                in = hotfolder/in/scans
                done = hotfolder/done/scans
                tokens = card1,card2
                group = scanners
                signatureExtension = .p7s
                failurePolicy = all-or-nothing
                looseFiles = true
                stableSeconds = 5
                settleMillis = 1000
                parallelBatches = 4
                workers = 2
                """;
        Fuzz.run("root-cfg", new Mutator(List.of(sample.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1))), Mutator.seed(43),
                Mutator.count(5000), new Fuzz.Limits(Duration.ofSeconds(5), 16L << 20, Duration.ofSeconds(60)), input -> {
                    java.util.Properties p = new java.util.Properties();
                    p.load(new java.io.ByteArrayInputStream(input));
                    RootSettings.of(org.sigillum.fuzz.Configs.of(RootConfig.class, p), dir);
                }, t -> t instanceof IllegalArgumentException);
    }
}
