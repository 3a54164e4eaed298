package org.sigillum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hot folders as a scanning line or DMS uses them, against one real server: each test adds its own
 * root by dropping a configuration file into etc/ while the server runs.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HotFolderTest {

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

    private Path error(String root) {
        return folders.error(root);
    }

    private void root(String name, String... settings) throws Exception {
        folders.root(name, settings);
    }

    private Path awaitReady(String root, String batch, long ms) throws Exception {
        return folders.awaitReady(root, batch, ms);
    }

    private static void approve(Path batch) throws IOException {
        Files.writeString(batch.resolve("APPROVED"), "");
    }

    private static int opensslVerify(Path sig, Path content, Path anchor) throws Exception {
        return Sigillum.openssl("cms", "-verify", "-binary", "-inform", "DER", "-in", sig.toString(), "-content",
                content.toString(), "-CAfile", anchor.toString(), "-out", "/dev/null");
    }

    private static List<Path> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)).sorted().toList();
        }
    }

    private static int count(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    @Test
    void oddNamesDeepFoldersAndHostileEntriesEachEndUpInTheRightPlace() throws Exception {
        root("odd");
        Path b = Files.createDirectories(in("odd").resolve("scan 2026-11 Überweisungen"));
        Files.writeString(b.resolve("a.txt"), "first document\n");
        Files.writeString(Files.createDirectories(b.resolve("sub folder")).resolve("Grüße mit Leerzeichen – €.txt"), "zweites\n");
        Path deep = b;
        for (int i = 0; i < 40; i++) {
            deep = deep.resolve("d" + i);
        }
        Files.createDirectories(deep);
        Files.write(deep.resolve("deep.bin"), new byte[] { 0, 1, 2, 3, (byte) 0xff });
        Files.writeString(b.resolve("READY"), "a document that happens to be called READY\n");
        Files.write(b.resolve("empty.txt"), new byte[0]);
        Files.createSymbolicLink(b.resolve("passwd-link"), Path.of("/etc/passwd"));
        Files.createSymbolicLink(b.resolve("outside-dir"), Path.of("/etc"));
        assertEquals(0, new ProcessBuilder("mkfifo", b.resolve("a-pipe").toString()).start().waitFor());
        approve(b);

        Path ready = awaitReady("odd", b.getFileName().toString(), 30_000);
        Path o = ready.getParent();
        String summary = Files.readString(ready);
        // The input is removed right after READY appears.
        Server.await("the input batch to be removed", 10_000, () -> !Files.exists(b));

        Path anchor = home.resolve("pki/demo-root.pem");
        List<String> signed = List.of("a.txt", "sub folder/Grüße mit Leerzeichen – €.txt", b.relativize(deep.resolve("deep.bin")).toString());
        for (String doc : signed) {
            assertTrue(Files.isRegularFile(o.resolve(doc)), doc + " copied beside its signature");
            assertEquals(0, opensslVerify(o.resolve(doc + ".p7s"), o.resolve(doc), anchor), "openssl rejects " + doc);
            assertTrue(summary.contains("\"name\": \"" + doc + "\""), summary);
        }
        // The document named READY does not collide with the semaphore.
        assertTrue(summary.contains("\"READY~2\""), summary);
        assertEquals("a document that happens to be called READY\n", Files.readString(o.resolve("READY~2")));
        assertEquals(0, opensslVerify(o.resolve("READY.p7s"), o.resolve("READY~2"), anchor));
        // openssl is a real judge: a changed copy fails.
        Path changed = tmp.resolve("changed.txt");
        Files.writeString(changed, "first documenT\n");
        assertNotEquals(0, opensslVerify(o.resolve("a.txt.p7s"), changed, anchor));
        Dss.Verdict v = Dss.validate(o.resolve("a.txt.p7s"), o.resolve("a.txt"), anchor);
        assertEquals("TOTAL_PASSED", v.indication(), v.toString());

        assertEquals(4, count(summary, "\"reason\": \"bad input\""), summary);
        Path e = error("odd").resolve(b.getFileName().toString());
        assertEquals("", Files.readString(e.resolve("empty.txt")));
        assertTrue(Files.readString(e.resolve("empty.txt.error.json")).contains("empty (0 bytes)"));
        // A link is never followed, nor copied (its target is read by path, a race): the link itself moves
        // with the rest of what was not signed to <batch>-unprocessed, by a rename.
        Path kept = error("odd").resolve(b.getFileName() + "-unprocessed");
        assertTrue(Files.isSymbolicLink(kept.resolve("passwd-link")), "a link is kept as a link, never followed");
        assertEquals(Path.of("/etc/passwd"), Files.readSymbolicLink(kept.resolve("passwd-link")));
        assertFalse(Files.exists(e.resolve("passwd-link"), LinkOption.NOFOLLOW_LINKS), "no link is made in error/");
        assertTrue(Files.readString(e.resolve("passwd-link.error.json")).contains("symbolic link"));
        assertTrue(Files.readString(e.resolve("outside-dir.error.json")).contains("symbolic link"));
        assertTrue(Files.readString(e.resolve("a-pipe.error.json")).contains("not a regular file"));
        assertFalse(Files.exists(o.resolve("passwd-link")) || Files.exists(o.resolve("outside-dir")));
        for (Path p : files(out("odd"))) {
            assertFalse(p.getFileName().toString().startsWith("."), "temporary file left in out: " + p);
        }

        Sigillum.Result status = Sigillum.run(home, "status");
        assertTrue(status.out().contains("hotfolder odd  queued 0, running 0, done 1, failed 0 batches; 4 documents signed, 4 failed"),
                status.toString());
    }

    @Test
    void aBatchWaitsForItsSemaphoreAndForFilesToSettle() throws Exception {
        root("wait", "settleMillis = 1500");
        Path b = Files.createDirectories(in("wait").resolve("b"));
        Files.writeString(b.resolve("doc.txt"), "part 1\n");
        Thread.sleep(1500);
        assertFalse(Files.exists(out("wait").resolve("b")), "nothing happens without the semaphore");
        assertTrue(Files.exists(b.resolve("doc.txt")));
        // A sender that writes the semaphore too early and keeps writing: the batch waits until the
        // folder has been quiet for settleMillis, so the whole file is signed.
        approve(b);
        StringBuilder expected = new StringBuilder("part 1\n");
        for (int i = 2; i <= 6; i++) {
            Thread.sleep(300);
            String part = "part " + i + "\n";
            Files.writeString(b.resolve("doc.txt"), part, java.nio.file.StandardOpenOption.APPEND);
            expected.append(part);
            assertFalse(Files.exists(out("wait").resolve("b")), "taken while still being written");
        }
        Path ready = awaitReady("wait", "b", 20_000);
        assertEquals(expected.toString(), Files.readString(ready.resolveSibling("doc.txt")));
        assertEquals(0, opensslVerify(ready.resolveSibling("doc.txt.p7s"), ready.resolveSibling("doc.txt"),
                home.resolve("pki/demo-root.pem")));
    }

    @Test
    void anExistingOutputNameGetsASuffixAndAnEmptyBatchIsReadyToo() throws Exception {
        root("names");
        Path taken = Files.createDirectories(out("names").resolve("x"));
        Files.writeString(taken.resolve("theirs.txt"), "not ours");
        Path b = Files.createDirectories(in("names").resolve("x"));
        approve(b);
        Path ready = awaitReady("names", "x-1", 20_000);
        assertTrue(Files.readString(ready).contains("\"signed\": 0"), Files.readString(ready));
        assertEquals(List.of(taken.resolve("theirs.txt")), files(taken), "an existing folder is never written into");
        Server.await("the input batch to be removed", 10_000, () -> !Files.exists(b));
    }

    @Test
    void allOrNothingReleasesNothingWhenOneDocumentFails() throws Exception {
        root("aon", "failurePolicy = all-or-nothing");
        Path b = Files.createDirectories(in("aon").resolve("contract"));
        for (int i = 0; i < 5; i++) {
            Files.writeString(b.resolve("page-" + i + ".txt"), "page " + i);
        }
        Files.write(b.resolve("page-broken.txt"), new byte[0]);
        approve(b);
        Path failed = error("aon").resolve("contract").resolve("FAILED");
        Server.await("FAILED", 20_000, () -> Files.exists(failed));
        Server.await("input removed", 10_000, () -> !Files.exists(b));
        assertFalse(Files.exists(out("aon").resolve("contract")), "nothing is released");
        String f = Files.readString(failed);
        assertTrue(f.contains("page-broken.txt") && f.contains("empty"), f);
        for (int i = 0; i < 5; i++) {
            assertEquals("page " + i, Files.readString(failed.resolveSibling("page-" + i + ".txt")), "original kept untouched");
            assertTrue(Files.readString(failed.resolveSibling("page-" + i + ".txt.error.json")).contains("all-or-nothing"));
        }
        Sigillum.Result status = Sigillum.run(home, "status");
        assertTrue(status.out().contains("hotfolder aon  queued 0, running 0, done 0, failed 1 batches"), status.toString());
    }

    @Test
    void filesAddedAfterApprovalAreKeptAsUnprocessed() throws Exception {
        root("late");
        Path b = Files.createDirectories(in("late").resolve("big"));
        for (int i = 0; i < 300; i++) {
            Files.writeString(b.resolve(String.format("doc-%03d.txt", i)), "document " + i);
        }
        approve(b);
        Path work = home.resolve("hotfolder/work/late");
        Server.await("the batch to be claimed", 20_000, () -> {
            try (Stream<Path> s = Files.list(work)) {
                return s.anyMatch(p -> !p.getFileName().toString().startsWith(".") && Files.exists(p.resolve("batch")));
            } catch (IOException e) {
                return false;
            }
        });
        Files.writeString(b.resolve("late.txt"), "arrived after the semaphore");
        Path ready = awaitReady("late", "big", 60_000);
        assertTrue(Files.readString(ready).contains("\"signed\": 300"));
        assertFalse(Files.exists(ready.resolveSibling("late.txt")));
        Path kept = error("late").resolve("big-unprocessed");
        Server.await("unprocessed files kept", 10_000, () -> Files.exists(kept.resolve("UNPROCESSED.json")));
        assertEquals("arrived after the semaphore", Files.readString(kept.resolve("late.txt")));
        assertTrue(Files.readString(kept.resolve("UNPROCESSED.json")).contains("late.txt"));
        assertFalse(Files.exists(b));
    }

    @Test
    void looseFilesBecomeOneDocumentBatchesOnceStable() throws Exception {
        root("loose", "looseFiles = true", "stableSeconds = 1");
        Files.writeString(in("loose").resolve("invoice 7.txt"), "invoice");
        Files.writeString(in("loose").resolve(".upload-in-progress"), "hidden files are never taken");
        Path ready = awaitReady("loose", "invoice 7.txt", 20_000);
        assertEquals("invoice", Files.readString(ready.resolveSibling("invoice 7.txt")));
        assertTrue(Files.exists(ready.resolveSibling("invoice 7.txt.p7s")));
        Server.await("input removed", 5_000, () -> !Files.exists(in("loose").resolve("invoice 7.txt")));
        Thread.sleep(1500);
        assertTrue(Files.exists(in("loose").resolve(".upload-in-progress")));
        // With looseFiles off (the default), a loose file is left alone.
        root("noloose", "stableSeconds = 0");
        Files.writeString(in("noloose").resolve("stray.txt"), "x");
        Thread.sleep(1500);
        assertTrue(Files.exists(in("noloose").resolve("stray.txt")));
        try (Stream<Path> s = Files.list(out("noloose"))) {
            assertEquals(0, s.count());
        }
    }

    @Test
    void aTokenThatNeedsActivationHoldsTheBatchAndSaysSoThenItCompletes() throws Exception {
        // A second token on the demo key without its password: it must be activated first.
        String demoCfg = Files.readString(home.resolve("etc/org.sigillum.token.soft-demo.cfg"));
        Matcher m = Pattern.compile("(?m)^\\.password = (.+)$").matcher(demoCfg);
        assertTrue(m.find());
        String password = m.group(1).trim();
        Files.writeString(tmp.resolve("t.cfg"), "id = held-token\npath = pki/demo-signer.p12\n");
        Files.move(tmp.resolve("t.cfg"), home.resolve("etc/org.sigillum.token.soft-held.cfg"));
        Files.writeString(tmp.resolve("p.cfg"), "name = heldprofile\nformat = cades\nlevel = B\ntokens = held-token\n");
        Files.move(tmp.resolve("p.cfg"), home.resolve("etc/org.sigillum.profile-held.cfg"));
        root("held", "profile = heldprofile", "retrySeconds = 1", "retryMaxSeconds = 1");
        Path b = Files.createDirectories(in("held").resolve("b"));
        Files.writeString(b.resolve("doc.txt"), "waits for the card");
        approve(b);
        Server.await("status to say the root waits for activation", 30_000, () -> {
            try {
                Sigillum.Result s = Sigillum.run(home, "status");
                return s.out().contains("WAITING: batch b: token needs activation");
            } catch (Exception e) {
                return false;
            }
        });
        assertFalse(Files.exists(out("held").resolve("b")));
        assertFalse(Files.exists(error("held").resolve("b")), "a retryable failure never fails the batch");
        assertTrue(Files.exists(b.resolve("doc.txt")));
        Sigillum.Result act = Sigillum.runWithInput(home, password + "\n", "token", "activate", "held-token");
        assertEquals(0, act.exit(), act.toString());
        Path ready = awaitReady("held", "b", 20_000);
        assertTrue(Files.readString(ready).contains("\"token\": \"held-token\""));
        assertFalse(server.log().contains(password), "the password reached the log");
    }

    @Test
    void aSmallBatchIsNotStuckBehindALargeOne() throws Exception {
        root("fair", "workers = 2", "parallelBatches = 4");
        Path big = Files.createDirectories(in("fair").resolve("big"));
        for (int i = 0; i < 1500; i++) {
            Files.writeString(big.resolve("d" + i + ".txt"), "big " + i);
        }
        approve(big);
        Path work = home.resolve("hotfolder/work/fair");
        Server.await("the big batch to be claimed", 20_000, () -> {
            try (Stream<Path> s = Files.list(work)) {
                return s.anyMatch(p -> !p.getFileName().toString().startsWith("."));
            } catch (IOException e) {
                return false;
            }
        });
        Path small = Files.createDirectories(in("fair").resolve("small"));
        Files.writeString(small.resolve("one.txt"), "one");
        approve(small);
        awaitReady("fair", "small", 60_000);
        assertFalse(Files.exists(out("fair").resolve("big/READY")), "the small batch came out after the large one");
        Path bigReady = awaitReady("fair", "big", 120_000);
        assertTrue(Files.readString(bigReady).contains("\"signed\": 1500"));
    }

    @Test
    void removingARootsFileStopsItAndAMisconfiguredRootShowsWhy() throws Exception {
        root("gone");
        Files.delete(home.resolve("etc/org.sigillum.hotfolder-gone.cfg"));
        Server.await("root to release its folder", 20_000, () -> {
            try {
                return !Sigillum.run(home, "status").out().contains("hotfolder gone ");
            } catch (Exception e) {
                return false;
            }
        });
        Path b = Files.createDirectories(in("gone").resolve("b"));
        Files.writeString(b.resolve("doc.txt"), "nobody watches");
        approve(b);
        Thread.sleep(1500);
        assertTrue(Files.exists(b.resolve("doc.txt")));
        assertFalse(Files.exists(out("gone").resolve("b")));

        Files.writeString(tmp.resolve("bad.cfg"), "name = bad\nprofile = nosuchprofile\npollMillis = 100\n");
        Files.move(tmp.resolve("bad.cfg"), home.resolve("etc/org.sigillum.hotfolder-bad.cfg"));
        Server.await("status to show the missing profile", 20_000, () -> {
            try {
                return Sigillum.run(home, "status").out().contains("PROBLEM: profile 'nosuchprofile' is not configured");
            } catch (Exception e) {
                return false;
            }
        });
        Path held = Files.createDirectories(in("bad").resolve("b"));
        Files.writeString(held.resolve("doc.txt"), "held, not failed");
        approve(held);
        Thread.sleep(1500);
        assertTrue(Files.exists(held.resolve("doc.txt")));
        assertFalse(Files.exists(error("bad").resolve("b")), "a missing profile holds the batch, it does not fail it");
    }

    @Test
    void embeddedOutputAConfiguredExtensionAndADoneFolder() throws Exception {
        root("env", "packaging = embedded", "done = hotfolder/done/env");
        Path b = Files.createDirectories(in("env").resolve("letters"));
        Files.writeString(b.resolve("letter.txt"), "signed inside the envelope");
        approve(b);
        Path ready = awaitReady("env", "letters", 20_000);
        assertEquals(List.of("READY", "letter.txt.p7m"),
                files(ready.getParent()).stream().map(p -> p.getFileName().toString()).sorted().toList(), "no copy beside an envelope");
        Path content = tmp.resolve("env-content.txt");
        assertEquals(0, Sigillum.openssl("cms", "-verify", "-binary", "-inform", "DER", "-in", ready.resolveSibling("letter.txt.p7m").toString(),
                "-CAfile", home.resolve("pki/demo-root.pem").toString(), "-out", content.toString()));
        assertEquals("signed inside the envelope", Files.readString(content));
        Path done = home.resolve("hotfolder/done/env/letters");
        Server.await("input moved to done", 10_000, () -> Files.exists(done.resolve("letter.txt")));
        assertTrue(Files.exists(done.resolve("APPROVED")));
        assertFalse(Files.exists(b));

        // With a done folder the staged originals are copies, not links: they must still be published.
        root("ext", "signatureExtension = .sig", "done = hotfolder/done/ext");
        Path c = Files.createDirectories(in("ext").resolve("c"));
        Files.writeString(c.resolve("scan.tif"), "not really a TIFF, any bytes will do");
        approve(c);
        Path r2 = awaitReady("ext", "c", 20_000);
        assertTrue(Files.readString(r2).contains("\"scan.tif.sig\""), Files.readString(r2));
        assertEquals(0, opensslVerify(r2.resolveSibling("scan.tif.sig"), r2.resolveSibling("scan.tif"), home.resolve("pki/demo-root.pem")));
        assertTrue(Files.readString(r2).contains("\"failed\": 0,"), Files.readString(r2));
    }

    @Test
    void unreadableFilesAndFoldersGoToErrorAndAreNeverDeleted() throws Exception {
        root("unreadable");
        Path b = Files.createDirectories(in("unreadable").resolve("b"));
        Files.writeString(b.resolve("fine.txt"), "fine");
        Path secret = Files.writeString(b.resolve("secret.txt"), "mode 000");
        Path closed = Files.createDirectories(b.resolve("closed"));
        Files.writeString(closed.resolve("inside.txt"), "in a folder nobody may list");
        Files.setPosixFilePermissions(secret, java.util.Set.of());
        Files.setPosixFilePermissions(closed, java.util.Set.of());
        try {
            approve(b);
            Path ready = awaitReady("unreadable", "b", 20_000);
            String summary = Files.readString(ready);
            assertTrue(summary.contains("\"signed\": 1,"), summary);
            assertTrue(summary.contains("permission denied"), summary);
            assertTrue(Files.readString(error("unreadable").resolve("b/secret.txt.error.json")).contains("cannot be read: permission denied"));
            assertTrue(Files.readString(error("unreadable").resolve("b/closed.error.json")).contains("cannot be read"));
            // Neither could be copied, so both are kept as they were, not deleted.
            Path kept = error("unreadable").resolve("b-unprocessed");
            Server.await("the unreadable originals kept", 10_000, () -> Files.exists(kept.resolve("UNPROCESSED.json")));
            Files.setPosixFilePermissions(kept.resolve("secret.txt"), java.util.Set.of(java.nio.file.attribute.PosixFilePermission.OWNER_READ));
            Files.setPosixFilePermissions(kept.resolve("closed"), java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
            assertEquals("mode 000", Files.readString(kept.resolve("secret.txt")));
            assertEquals("in a folder nobody may list", Files.readString(kept.resolve("closed/inside.txt")));
            assertFalse(Files.exists(b));
        } finally {
            if (Files.exists(closed)) {
                Files.setPosixFilePermissions(closed, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
            }
        }
    }

    @Test
    void aChangedRootFileTakesEffectWithoutARestart() throws Exception {
        root("change", "approval = GO");
        Path first = Files.createDirectories(in("change").resolve("first"));
        Files.writeString(first.resolve("doc.txt"), "one");
        Files.writeString(first.resolve("GO"), "");
        awaitReady("change", "first", 20_000);
        // The same file, rewritten: the root restarts with the new semaphore name.
        Path cfg = home.resolve("etc/org.sigillum.hotfolder-change.cfg");
        Files.writeString(tmp.resolve("change.cfg"), Files.readString(cfg).replace("approval = GO", "approval = RELEASED"));
        Files.move(tmp.resolve("change.cfg"), cfg, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Path second = Files.createDirectories(in("change").resolve("second"));
        Files.writeString(second.resolve("doc.txt"), "two");
        Files.writeString(second.resolve("RELEASED"), "");
        awaitReady("change", "second", 20_000);
        Path third = Files.createDirectories(in("change").resolve("third"));
        Files.writeString(third.resolve("doc.txt"), "three");
        Files.writeString(third.resolve("GO"), "");
        Thread.sleep(1500);
        assertFalse(Files.exists(out("change").resolve("third")), "the old semaphore name no longer releases a batch");
    }

    @Test
    void anOutputFolderOnAnotherFileSystemStillAppearsWhole() throws Exception {
        // /dev/shm is a tmpfs: out/ there and work/ under the home cannot be joined by a rename.
        Path shm = Path.of("/dev/shm");
        assertTrue(Files.isDirectory(shm) && !Files.getFileStore(shm).equals(Files.getFileStore(home)),
                "this test needs /dev/shm on another file system than " + home);
        Path other = Files.createTempDirectory(shm, "sigillum-out-");
        try {
            root("remote", "out = " + other.resolve("out"), "error = " + other.resolve("error"));
            Path b = Files.createDirectories(in("remote").resolve("b"));
            for (int i = 0; i < 50; i++) {
                Files.writeString(Files.createDirectories(b.resolve("s" + i % 3)).resolve("d" + i + ".txt"), "document " + i);
            }
            Files.write(b.resolve("empty.txt"), new byte[0]);
            approve(b);
            Path ready = other.resolve("out/b/READY");
            Server.await("READY on the other file system", 30_000, () -> Files.exists(ready));
            assertTrue(Files.readString(ready).contains("\"signed\": 50,"), Files.readString(ready));
            List<Path> all = files(other.resolve("out/b"));
            assertEquals(101, all.size(), "50 copies, 50 signatures and READY: " + all);
            for (Path p : all) {
                assertFalse(p.getFileName().toString().startsWith("."), "temporary file left: " + p);
            }
            assertEquals(0, opensslVerify(other.resolve("out/b/s0/d0.txt.p7s"), other.resolve("out/b/s0/d0.txt"),
                    home.resolve("pki/demo-root.pem")));
            assertTrue(Files.exists(other.resolve("error/b/empty.txt.error.json")));
            try (Stream<Path> s = Files.list(other.resolve("out"))) {
                assertEquals(List.of(other.resolve("out/b")), s.toList(), "no hidden part folder left beside it");
            }
            Server.await("the input batch to be removed", 10_000, () -> !Files.exists(b));
        } finally {
            try (Stream<Path> s = Files.walk(other)) {
                for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}
