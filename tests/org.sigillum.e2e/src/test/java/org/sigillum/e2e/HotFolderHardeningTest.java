package org.sigillum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hot-folder sender as an attacker on the same machine: folders swapped for links while the
 * server works, hard links to outside files, names that are too long or that carry newlines and
 * terminal escapes. One real server, each test with its own root.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HotFolderHardeningTest {

    private Path tmp;
    private Path home;
    private Server server;
    private HotFolders folders;

    @BeforeAll
    void startServer(@TempDir Path dir) throws Exception {
        tmp = dir;
        home = tmp.resolve("home");
        folders = new HotFolders(home, tmp);
        server = new Server(home, tmp.resolve("server.log")).withOrdinaryFilePermissions().start(true);
    }

    @AfterAll
    void stopServer() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    private Path in(String root) {
        return folders.in(root);
    }

    private Path out(String root) {
        return folders.out(root);
    }

    private void root(String name, String... settings) throws Exception {
        folders.root(name, settings);
    }

    private Path awaitReady(String root, String batch, long ms) throws Exception {
        return folders.awaitReady(root, batch, ms);
    }

    private static List<Path> regularFiles(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(dir)) { // walk does not follow links
            return s.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).toList();
        }
    }

    private static boolean contains(byte[] hay, byte[] needle) {
        outer: for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int k = 0; k < needle.length; k++) {
                if (hay[i + k] != needle[k]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    private List<String> audit() throws IOException {
        return Files.readAllLines(home.resolve("log/audit.log"));
    }

    /**
     * Defect 1 of the security review: a sender swaps the sub-folder holding its documents for a
     * link to a folder of server-only files with the same names, sizes and times, in a tight loop,
     * while the server lists, reads, copies and deletes them. Not one outside byte may reach out/,
     * error/ or a signature, no outside file may be deleted or linked, and every batch completes.
     */
    @Test
    void aSenderSwappingFoldersForLinksNeverGetsAnOutsideFileSignedCopiedDeletedOrLinked() throws Exception {
        root("race", "parallelBatches = 8");
        Path outside = Files.createDirectories(tmp.resolve("server-only"));
        byte[] secret = "SECRET-server-only-0123456789".getBytes(StandardCharsets.US_ASCII);
        byte[] decoy = "decoy--senders-own-0123456789".getBytes(StandardCharsets.US_ASCII);
        assertEquals(secret.length, decoy.length);
        FileTime time = FileTime.fromMillis(1_700_000_000_000L);
        // 2,000 documents, each listed, opened, checked again and deleted while the swaps run.
        int batches = 25;
        int docs = 80;
        for (int i = 0; i < docs; i++) {
            Path s = Files.write(outside.resolve("doc-" + i + ".txt"), secret);
            Files.setLastModifiedTime(s, time);
            Files.setPosixFilePermissions(s, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        }
        // A file the sender may write, hard-linked into a batch: the published copy must not be that file.
        Path shared = Files.writeString(tmp.resolve("senders-shared.txt"), "the sender's own shared file");
        List<Path> batchDirs = new ArrayList<>();
        for (int b = 0; b < batches; b++) {
            Path batch = in("race").resolve("b" + b);
            Path sub = Files.createDirectories(batch.resolve("sub"));
            for (int i = 0; i < docs; i++) {
                Files.setLastModifiedTime(Files.write(sub.resolve("doc-" + i + ".txt"), decoy), time);
            }
            Files.createLink(batch.resolve("hardlinked.txt"), shared);
            batchDirs.add(batch);
        }
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong swaps = new AtomicLong();
        Thread swapper = Thread.ofPlatform().daemon().start(() -> {
            while (!stop.get()) {
                for (Path batch : batchDirs) {
                    Path sub = batch.resolve("sub");
                    Path real = batch.resolve("sub.real");
                    try {
                        Files.move(sub, real, StandardCopyOption.ATOMIC_MOVE);
                        Files.createSymbolicLink(sub, outside);
                        Thread.onSpinWait();
                        Files.delete(sub);
                        Files.move(real, sub, StandardCopyOption.ATOMIC_MOVE);
                        swaps.incrementAndGet();
                    } catch (IOException e) {
                        // The batch was taken away (published) or is mid-swap: go on with the next.
                    }
                }
            }
        });
        try {
            for (Path batch : batchDirs) {
                Files.writeString(batch.resolve("APPROVED"), "");
            }
            for (int b = 0; b < batches; b++) {
                awaitReady("race", "b" + b, 120_000);
            }
        } finally {
            stop.set(true);
            swapper.join(10_000);
        }
        assertTrue(swaps.get() > 2000, "only " + swaps.get() + " swaps: the race was not really run");

        String secretSha = sha256(secret);
        int signed = 0;
        for (Path root : List.of(out("race"), home.resolve("hotfolder/error/race"), home.resolve("hotfolder/work/race"))) {
            for (Path f : regularFiles(root)) {
                byte[] content = Files.readAllBytes(f);
                assertFalse(contains(content, secret), "server-only bytes in " + f);
                if (f.getFileName().toString().equals("READY")) {
                    assertFalse(new String(content, StandardCharsets.UTF_8).contains(secretSha), "a server-only file was signed: " + f);
                }
                if (f.toString().endsWith(".txt.p7s")) {
                    signed++;
                    Path copy = f.resolveSibling(f.getFileName().toString().replaceFirst("\\.p7s$", ""));
                    assertEquals(0, Sigillum.openssl("cms", "-verify", "-binary", "-inform", "DER", "-in", f.toString(), "-content",
                            copy.toString(), "-CAfile", home.resolve("pki/demo-root.pem").toString(), "-out", "/dev/null"),
                            "the published copy is what was signed: " + copy);
                }
            }
        }
        assertTrue(signed > batches, "hardly anything was signed (" + signed + "): the test proves nothing");
        try (Stream<Path> s = Files.walk(out("race"))) {
            assertTrue(s.noneMatch(Files::isSymbolicLink), "a link in out/");
        }
        for (int i = 0; i < docs; i++) {
            Path s = outside.resolve("doc-" + i + ".txt");
            assertTrue(java.util.Arrays.equals(secret, Files.readAllBytes(s)), "outside file changed or deleted: " + s);
            assertEquals(1, Files.getAttribute(s, "unix:nlink"), "an outside file was linked somewhere: " + s);
        }
        // Writing to a published copy must not write the sender's file (a hard link would).
        Path copy = out("race").resolve("b0/hardlinked.txt");
        assertEquals(1, Files.getAttribute(copy, "unix:nlink"), "the published copy is a hard link");
        Files.writeString(copy, "changed through out/");
        assertEquals("the sender's own shared file", Files.readString(shared));
        // Every refusal of the race is in the audit log, not only in READY.
        long refusedInReady = 0;
        for (int b = 0; b < batches; b++) {
            String ready = Files.readString(out("race").resolve("b" + b + "/READY"));
            refusedInReady += ready.split("\"reason\": \"bad input\"", -1).length - 1;
        }
        long audited = audit().stream().filter(l -> l.contains("\"channel\":\"hotfolder:race\"") && l.contains("\"outcome\":\"refused\"")).count();
        assertEquals(refusedInReady, audited, "each refusal is one audit record");
    }

    /** Defect 4: every kind of refusal a hot folder makes on its own is one audit record with its reason. */
    @Test
    void everyRefusalIsOneAuditRecordWithItsReason() throws Exception {
        root("refusals");
        Path b = Files.createDirectories(in("refusals").resolve("b"));
        Files.writeString(b.resolve("good.txt"), "signed");
        Files.write(b.resolve("empty.txt"), new byte[0]);
        Files.createSymbolicLink(b.resolve("link"), Path.of("/etc/hostname"));
        assertEquals(0, new ProcessBuilder("mkfifo", b.resolve("pipe").toString()).start().waitFor());
        Path closed = Files.createDirectories(b.resolve("closed"));
        Files.writeString(closed.resolve("inside.txt"), "x");
        Files.setPosixFilePermissions(closed, java.util.Set.of());
        // Not a batch at all: a link at the top of in/, left alone.
        Files.createSymbolicLink(in("refusals").resolve("top-link"), tmp);
        try {
            Files.writeString(b.resolve("APPROVED"), "");
            awaitReady("refusals", "b", 30_000);
        } finally {
            // Kept as it was, in the input or (once the batch is finished) in error/b-unprocessed.
            for (Path c : List.of(closed, home.resolve("hotfolder/error/refusals/b-unprocessed/closed"))) {
                if (Files.exists(c, LinkOption.NOFOLLOW_LINKS)) {
                    Files.setPosixFilePermissions(c, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
                }
            }
        }
        Server.await("the top-level link's audit record", 10_000, () -> {
            try {
                return audit().stream().anyMatch(l -> l.contains("\"document\":\"top-link\""));
            } catch (IOException e) {
                return false;
            }
        });
        List<String> records = audit().stream().filter(l -> l.contains("\"channel\":\"hotfolder:refusals\"")).toList();
        for (String[] expected : new String[][] { { "empty.txt", "empty" }, { "link", "symbolic link" },
                { "pipe", "not a regular file" }, { "closed", "cannot be read" }, { "top-link", "symbolic link" } }) {
            List<String> hits = records.stream().filter(l -> l.contains("\"document\":\"" + expected[0] + "\"")).toList();
            assertEquals(1, hits.size(), expected[0] + ": " + records);
            assertTrue(hits.get(0).contains("\"outcome\":\"refused\"") && hits.get(0).contains("\"reason\":\"bad input\"")
                    && hits.get(0).contains(expected[1]), hits.get(0));
        }
        assertEquals(1, records.stream().filter(l -> l.contains("\"document\":\"good.txt\"") && l.contains("\"outcome\":\"signed\"")).count());
    }

    /** Defect 5: a legal 255-byte name whose signature's name would be too long no longer blocks its batch. */
    @Test
    void aNameTooLongForItsSignatureStillCompletesItsBatch() throws Exception {
        root("long");
        Path b = Files.createDirectories(in("long").resolve("b"));
        String name = "ü".repeat(125) + ".pdf"; // 254 bytes: legal, but NAME.p7s is not
        assertEquals(254, name.getBytes(StandardCharsets.UTF_8).length);
        Files.writeString(b.resolve(name), "a document with a long name");
        Files.writeString(b.resolve("short.txt"), "and a short one");
        Files.writeString(b.resolve("APPROVED"), "");
        Path ready = awaitReady("long", "b", 30_000);
        String summary = Files.readString(ready);
        assertTrue(summary.contains("\"signed\": 2,"), summary);
        List<Path> sigs;
        try (Stream<Path> s = Files.list(ready.getParent())) {
            sigs = s.filter(p -> p.getFileName().toString().endsWith(".p7s") && !p.getFileName().toString().startsWith("short")).toList();
        }
        assertEquals(1, sigs.size(), summary);
        String sig = sigs.get(0).getFileName().toString();
        assertTrue(sig.getBytes(StandardCharsets.UTF_8).length <= 255 && sig.startsWith("üüü"), sig);
        assertTrue(summary.contains(sig), "READY names the shortened output: " + summary);
        assertEquals(0, Sigillum.openssl("cms", "-verify", "-binary", "-inform", "DER", "-in", sigs.get(0).toString(), "-content",
                ready.resolveSibling(name).toString(), "-CAfile", home.resolve("pki/demo-root.pem").toString(), "-out", "/dev/null"));
    }

    /** Defect 7: a file name cannot add a line to the server log nor send escape sequences to its reader. */
    @Test
    void aFileNameCannotForgeALogLineNorReachTheTerminal() throws Exception {
        root("names");
        Path b = Files.createDirectories(in("names").resolve("b"));
        String evil = "x\nsigillum: FORGED audit line\u001b[2J\u001b]0;owned\u0007.txt";
        Files.write(b.resolve(evil), new byte[0]); // empty: refused, so its name is logged
        Files.writeString(b.resolve("APPROVED"), "");
        awaitReady("names", "b", 30_000);
        Server.await("the refusal logged", 10_000, () -> {
            try {
                return server.log().contains("FORGED audit line");
            } catch (IOException e) {
                return false;
            }
        });
        String log = server.log();
        for (String line : log.split("\n")) {
            assertFalse(line.startsWith("sigillum: FORGED"), "a forged log line: " + line);
        }
        assertFalse(log.contains("\u001b") || log.contains("\u0007"), "terminal control characters reached the log");
        assertTrue(log.contains("x\\nsigillum: FORGED audit line\\u001b[2J"), "the name is logged escaped");
        Sigillum.Result status = Sigillum.run(home, "status");
        assertFalse(status.out().contains("\u001b"), "status prints a name's escape sequences raw");
    }
}
