package org.sigillum.archive.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sigillum.api.ArchiveEntry;
import org.sigillum.api.ArchiveReceipt;
import org.sigillum.api.ArchiveSeal;
import org.sigillum.api.DigestAlgorithm;
import org.sigillum.api.SigningException;

class ArchiveComponentTest {

    @TempDir
    Path dir;

    private static ArchiveEntry entry(int i) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        return new ArchiveEntry("d" + i, DigestAlgorithm.SHA256, md.digest(("doc " + i).getBytes()), md.digest(("sig " + i).getBytes()));
    }

    @Test
    void oneTimeStampPerSealWhateverTheNumberOfDocuments() throws Exception {
        TestTsa tsa = new TestTsa();
        ArchiveComponent a = new ArchiveComponent(dir, dir.resolve("pki"), DigestAlgorithm.SHA256, List.of("test"), Duration.ofSeconds(1));
        a.addAuthority("test", tsa);
        try {
            List<ArchiveEntry> entries = new ArrayList<>();
            for (int i = 0; i < 5_000; i++) {
                entries.add(entry(i));
            }
            List<ArchiveReceipt> receipts = a.enterAll(entries);
            assertEquals("1", receipts.get(0).tree());
            assertEquals(1, receipts.get(0).leaf(), "leaf 0 is the link to the previous seal");
            List<ArchiveSeal> seals = a.seal();
            assertEquals(1, seals.size());
            assertEquals(5_000, seals.get(0).entries());
            assertEquals(1, tsa.calls.get());
            assertTrue(a.seal().isEmpty(), "an empty open tree is not sealed");
            assertEquals(1, tsa.calls.get());
        } finally {
            a.stop();
        }
    }

    @Test
    void aFailingAuthorityLeavesTheTreePendingAndEntriesGoOnIntoTheNext() throws Exception {
        TestTsa tsa = new TestTsa();
        ArchiveComponent a = new ArchiveComponent(dir, dir.resolve("pki"), DigestAlgorithm.SHA256, List.of("test"), Duration.ofSeconds(1));
        a.addAuthority("test", tsa);
        try {
            a.enter(entry(1));
            tsa.failing = true;
            assertThrows(SigningException.class, a::seal);
            ArchiveReceipt next = a.enter(entry(2));
            assertEquals("2", next.tree(), "tree 1 is closed and waits; new entries go into tree 2");
            assertThrows(SigningException.class, () -> a.evidence("1"), "no evidence before the seal");
            tsa.failing = false;
            List<ArchiveSeal> seals = a.seal();
            assertEquals(List.of("1", "2"), seals.stream().map(ArchiveSeal::tree).toList(), "the waiting tree first, in order");
            assertTrue(a.evidence("1").length > 0);
            assertTrue(a.verifyChain().lines().stream().anyMatch(l -> l.startsWith("tree 2")));
        } finally {
            a.stop();
        }
    }
}
