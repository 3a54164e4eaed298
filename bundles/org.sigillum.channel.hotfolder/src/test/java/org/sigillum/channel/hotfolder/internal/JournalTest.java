package org.sigillum.channel.hotfolder.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The journal and the manifest are what a restart trusts: they must read back exactly, whatever the names. */
class JournalTest {

    @TempDir
    Path dir;

    static final String HOSTILE = "a\tb\nc\\d \u00fc\u20ac\r.txt";

    @Test
    void fieldsWithTabsNewlinesAndBackslashesRoundTrip() {
        String line = Escape.line("S", HOSTILE, "", "x\\t");
        assertTrue(line.endsWith("\n"));
        assertEquals(1, line.chars().filter(c -> c == '\n').count(), "one line, whatever the name holds");
        assertEquals(List.of("S", HOSTILE, "", "x\\t"), List.of(Escape.fields(line.substring(0, line.length() - 1))));
    }

    @Test
    void aTornLastLineIsIgnoredAndAFailureAfterASignatureWins() throws IOException {
        Journal.Signed s = new Journal.Signed("aa", HOSTILE + ".p7s", "bb", true, "CN=x", "B-B", "t", "demo", "12", "3", "7");
        try (Journal j = new Journal(dir)) {
            j.signed(0, s);
            j.signed(1, s);
            j.failed(2, new Journal.Failed("bad input", "empty"));
            j.failed(1, new Journal.Failed("bad input", "changed in place"));
            j.mark("out-name", "b-1");
        }
        // A crash in the middle of the next line.
        Files.writeString(dir.resolve(Journal.FILE), "S\t3\tcc\tpartial", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        Journal.State st = Journal.read(dir);
        assertEquals(Set.of(0), st.signed().keySet());
        assertEquals(s, st.signed().get(0));
        assertEquals(Set.of(1, 2), st.failed().keySet());
        assertEquals("b-1", st.marks().get("out-name"));
        assertFalse(st.signed().containsKey(3));
    }

    @Test
    void aLineWrittenBeforeReceiptsHadTreeAndLeafStillCounts() throws IOException {
        Files.writeString(dir.resolve(Journal.FILE), Escape.line("S", "0", "aa", "a.p7s", "bb", "detached", "CN=x", "B-B", "t", "demo", "12"),
                StandardCharsets.UTF_8);
        assertEquals(new Journal.Signed("aa", "a.p7s", "bb", true, "CN=x", "B-B", "t", "demo", "12", "", ""), Journal.read(dir).signed().get(0));
    }

    @Test
    void aLastLineTornInsideAMultiByteCharacterIsIgnoredNotFatal() throws IOException {
        try (Journal j = new Journal(dir)) {
            j.signed(0, new Journal.Signed("aa", "a.p7s", "bb", true, "CN=x", "B-B", "t", "demo", "12", "", ""));
            j.failed(1, new Journal.Failed("bad input", "Grüße"));
        }
        byte[] whole = Files.readAllBytes(dir.resolve(Journal.FILE));
        // A crash cut the last line in the middle of the two bytes of "ü".
        int cut = new String(whole, StandardCharsets.UTF_8).indexOf("ü");
        byte[] torn = java.util.Arrays.copyOf(whole, new String(whole, StandardCharsets.UTF_8).substring(0, cut)
                .getBytes(StandardCharsets.UTF_8).length + 1);
        Files.write(dir.resolve(Journal.FILE), torn);
        Journal.State s = Journal.read(dir);
        assertEquals(Set.of(0), s.signed().keySet());
        assertTrue(s.failed().isEmpty(), "the torn line counts as not written");
    }

    @Test
    void aManifestReadsBackAndAnIncompleteOneIsRefused() throws IOException {
        List<Manifest.Entry> entries = List.of(new Manifest.Entry(0, HOSTILE, Manifest.Kind.FILE, 12, 34),
                new Manifest.Entry(1, "sub/link", Manifest.Kind.LINK, 0, 5));
        Manifest m = new Manifest("1-000001", dir.resolve("in/b"), "b", false, Instant.parse("2026-11-25T10:00:00Z"), entries);
        m.writeTo(dir);
        assertEquals(m, Manifest.readFrom(dir));
        String text = Files.readString(dir.resolve(Manifest.FILE));
        Files.writeString(dir.resolve(Manifest.FILE), text.substring(0, text.length() - 4));
        assertThrows(IOException.class, () -> Manifest.readFrom(dir));
    }

    @Test
    void scanningListsDocumentsSortedWithoutTheSemaphoreAndWithoutFollowingLinks() throws IOException {
        Path b = Files.createDirectories(dir.resolve("batch"));
        Files.writeString(b.resolve("z.txt"), "z");
        Files.writeString(Files.createDirectories(dir.resolve("outside")).resolve("secret"), "s");
        Files.createSymbolicLink(b.resolve("linked-dir"), dir.resolve("outside"));
        Files.writeString(Files.createDirectories(b.resolve("sub")).resolve("APPROVED"), "a document, not the semaphore");
        Files.writeString(b.resolve("APPROVED"), "");
        Files.createSymbolicLink(b.resolve("etc"), Path.of("/etc"));
        List<Manifest.Entry> e = Manifest.scan(new InputTree(dir), "batch", "APPROVED");
        assertEquals(List.of("etc", "linked-dir", "sub/APPROVED", "z.txt"), e.stream().map(Manifest.Entry::rel).toList());
        assertEquals(Manifest.Kind.LINK, e.get(0).kind());
        assertEquals(Manifest.Kind.LINK, e.get(1).kind());
        assertEquals(List.of(0, 1, 2, 3), e.stream().map(Manifest.Entry::index).toList());
        assertTrue(e.get(3).key().contains("ino="), "the file key (device and inode) is listed: " + e.get(3).key());
        Files.delete(b.resolve("APPROVED"));
        Files.move(b, dir.resolve("batch-real"));
        Files.createSymbolicLink(b, dir.resolve("batch-real"));
        assertThrows(IOException.class, () -> Manifest.scan(new InputTree(dir), "batch", "APPROVED"),
                "a batch folder that is a link is not listed through it");
    }

    @Test
    void outputNamesNeverCollide() {
        Set<String> taken = new HashSet<>(Set.of("READY"));
        assertEquals("READY~2", Finisher.unique(taken, "READY"));
        assertEquals("a.txt.p7s", Finisher.unique(taken, "a.txt.p7s"));
        assertEquals("a.txt~2.p7s", Finisher.unique(taken, "a.txt.p7s"));
        assertEquals("a.txt~3.p7s", Finisher.unique(taken, "a.txt.p7s"));
        assertEquals("dir.x/noext~2", Finisher.unique(Set.of("dir.x/noext").stream().collect(java.util.stream.Collectors.toCollection(HashSet::new)), "dir.x/noext"));
    }

    @Test
    void aRootRefusesFoldersInsideEachOtherAndBadPolicies() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RootSettings.of(TestConfigs.root("r", "in", "in/out", "partial"), dir))
                .getMessage().contains("must not contain each other"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RootSettings.of(TestConfigs.root("r", "", "", "sometimes"), dir))
                .getMessage().contains("failurePolicy"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RootSettings.of(TestConfigs.root("../r", "", "", "partial"), dir))
                .getMessage().contains("name"));
        RootSettings ok = RootSettings.of(TestConfigs.root("r", "", "", "all-or-nothing"), dir);
        assertEquals(dir.resolve("hotfolder/in/r"), ok.in());
        assertTrue(ok.allOrNothing());
    }

    @Test
    void aFolderSwappedForALinkAfterApprovalIsNeverReadThrough() throws IOException {
        Path in = Files.createDirectories(dir.resolve("in"));
        Path b = Files.createDirectories(in.resolve("b/sub"));
        Files.writeString(b.resolve("x.txt"), "x");
        Files.writeString(in.resolve("b/top.txt"), "t");
        Path outside = Files.createDirectories(dir.resolve("server-secrets"));
        InputTree tree = new InputTree(in);
        Manifest m = new Manifest("1-1", in.resolve("b"), "b", false, Instant.now(), Manifest.scan(tree, "b", "APPROVED"));
        Manifest.Entry sub = m.entries().get(0);
        Manifest.Entry top = m.entries().get(1);
        read(tree, m.parts(sub), sub);
        // Same name, size and time outside: only the folder walk and the inode tell them apart.
        Path secret = Files.writeString(outside.resolve("x.txt"), "s");
        Files.setLastModifiedTime(secret, Files.getLastModifiedTime(b.resolve("x.txt")));
        Files.move(b, in.resolve("b/sub-real"));
        Files.createSymbolicLink(in.resolve("b/sub"), outside);
        assertThrows(InputTree.NotListed.class, () -> read(tree, m.parts(sub), sub), "sub/ now leads outside the batch");
        assertFalse(tree.deleteIfListed(m.parts(sub), sub));
        assertTrue(Files.exists(secret), "nothing outside is deleted");
        assertEquals("t", read(tree, m.parts(top), top));
        // Swapped while it is read (same size and time): the look after the read, through the same
        // folder descriptor, sees another inode.
        Path t0 = in.resolve("b/top.txt");
        java.nio.file.attribute.FileTime t0time = Files.getLastModifiedTime(t0);
        assertTrue(assertThrows(InputTree.NotListed.class, () -> tree.readListed(m.parts(top), top, body -> {
            Path other = Files.writeString(in.resolve("b/.swap"), "X");
            Files.setLastModifiedTime(other, t0time);
            Path keep = in.resolve("b/.orig");
            Files.move(t0, keep);
            Files.move(other, t0);
            return body.readAllBytes();
        })).getMessage().contains("while it was being read"));
        Files.move(in.resolve("b/.orig"), t0, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertEquals("t", read(tree, m.parts(top), top));
        // The file swapped for another one of the same size and time inside the batch: a new inode.
        Path t = in.resolve("b/top.txt");
        java.nio.file.attribute.FileTime time = Files.getLastModifiedTime(t);
        // Made before the old one goes, renamed over it: a file system reuses a freed inode number at once.
        Path other = Files.writeString(in.resolve("b/.other"), "T");
        Files.setLastModifiedTime(other, time);
        Files.move(other, t, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertTrue(assertThrows(InputTree.NotListed.class, () -> read(tree, m.parts(top), top)).getMessage()
                .contains("another file"));
        Path moved = Files.move(in.resolve("b"), dir.resolve("b-real"));
        Files.createSymbolicLink(in.resolve("b"), moved);
        assertThrows(InputTree.NotListed.class, () -> read(tree, m.parts(top), top), "the batch folder itself is now a link");
    }


    private static String read(InputTree tree, List<String> parts, Manifest.Entry e) throws IOException {
        return tree.readListed(parts, e, in -> new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
}
