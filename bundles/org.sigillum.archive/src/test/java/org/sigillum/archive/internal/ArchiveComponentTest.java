package org.sigillum.archive.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import org.sigillum.api.ArchiveRenewal;
import org.sigillum.api.Content;
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
        ArchiveComponent a = new ArchiveComponent(dir, dir.resolve("pki"), DigestAlgorithm.SHA256, List.of("test"), Duration.ofSeconds(1), null);
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
        ArchiveComponent a = new ArchiveComponent(dir, dir.resolve("pki"), DigestAlgorithm.SHA256, List.of("test"), Duration.ofSeconds(1), null);
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

    @Test
    void hashTreeRenewalGivesEveryKeptDocumentASecondChainThatBouncyCastleAccepts() throws Exception {
        TestTsa tsa = new TestTsa();
        ArchiveComponent a = new ArchiveComponent(dir, dir.resolve("pki"), DigestAlgorithm.SHA256, List.of("test"), Duration.ofSeconds(1),
                dir.resolve("documents"));
        a.addAuthority("test", tsa);
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            List<ArchiveEntry> entries = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                byte[] doc = ("document " + i).getBytes();
                byte[] sig = ("signature " + i).getBytes();
                entries.add(new ArchiveEntry("d" + i, DigestAlgorithm.SHA256, md.digest(doc), md.digest(sig), Content.of(doc), Content.of(sig)));
            }
            // One entry without its contents: the archive cannot renew it and must say so.
            entries.add(new ArchiveEntry("hashes only", DigestAlgorithm.SHA256, md.digest("lost".getBytes()), null));
            List<ArchiveReceipt> receipts = a.enterAll(entries);
            a.seal();
            a.renewTimeStamps();
            a.seal();
            byte[] before = a.evidence(receipts.get(2).id());

            ArchiveRenewal renewal = a.renewDigest(DigestAlgorithm.SHA512);
            assertEquals(5, renewal.renewed());
            assertEquals(1, renewal.notRenewed().size(), renewal.notRenewed().toString());
            assertTrue(renewal.notRenewed().get(0).contains("entry " + receipts.get(5).id()), renewal.notRenewed().toString());
            assertEquals(DigestAlgorithm.SHA512, a.digest());
            assertEquals(0, a.renewDigest(DigestAlgorithm.SHA512).renewed(), "a second run renews nothing twice");

            byte[] after = a.evidence(receipts.get(2).id());
            var chains = org.bouncycastle.asn1.tsp.EvidenceRecord.getInstance(after).getArchiveTimeStampSequence().getArchiveTimeStampChains();
            assertEquals(2, chains.length);
            assertEquals(2, chains[0].getArchiveTimestamps().length, "the first chain keeps its time-stamp renewal");
            var digests = new org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder().build();
            for (byte[] record : List.of(before, after)) {
                var bc = new org.bouncycastle.tsp.ers.ERSEvidenceRecord(record, digests);
                bc.validatePresent(new org.bouncycastle.tsp.ers.ERSByteData("document 2".getBytes()), new java.util.Date());
                bc.validate(new org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder().build(tsa.certificate));
                assertThrows(Exception.class,
                        () -> bc.validatePresent(new org.bouncycastle.tsp.ers.ERSByteData("document 3".getBytes()), new java.util.Date()));
            }
            // The group's signature is in the renewal too, and the lost one keeps its first chain only.
            new org.bouncycastle.tsp.ers.ERSEvidenceRecord(after, digests)
                    .validatePresent(new org.bouncycastle.tsp.ers.ERSByteData("signature 2".getBytes()), new java.util.Date());
            assertEquals(1, org.bouncycastle.asn1.tsp.EvidenceRecord.getInstance(a.evidence(receipts.get(5).id()))
                    .getArchiveTimeStampSequence().getArchiveTimeStampChains().length);

            // New documents go in with SHA-512 and are found by their content in either digest.
            byte[] fresh = "after the renewal".getBytes();
            ArchiveReceipt r = a.enter(new ArchiveEntry("new", DigestAlgorithm.SHA512, MessageDigest.getInstance("SHA-512").digest(fresh), null,
                    Content.of(fresh), null));
            a.seal();
            assertEquals(List.of(r.id()), a.find(Content.of(fresh)).stream().map(ArchiveReceipt::id).toList());
            assertEquals(List.of(receipts.get(2).id()), a.find(Content.of("document 2".getBytes())).stream().map(ArchiveReceipt::id).toList());
            // Tree 1 still holds the entry that could not be renewed, so its chain goes on being
            // renewed; the renewed entries' records keep their first chain as it was when hashed.
            List<String> renewedTrees = a.renewTimeStamps().stream().map(ArchiveSeal::tree).toList();
            assertTrue(renewedTrees.contains(receipts.get(5).tree()), "the lost entry's tree is still renewed: " + renewedTrees);
            byte[] grown = a.evidence(receipts.get(2).id());
            var grownChains = org.bouncycastle.asn1.tsp.EvidenceRecord.getInstance(grown).getArchiveTimeStampSequence().getArchiveTimeStampChains();
            assertEquals(2, grownChains[0].getArchiveTimestamps().length, "the first chain ends where the renewal hashed it");
            assertEquals(2, grownChains[1].getArchiveTimestamps().length, "the newest chain grew");
            assertEquals(3, org.bouncycastle.asn1.tsp.EvidenceRecord.getInstance(a.evidence(receipts.get(5).id())).getArchiveTimeStampSequence()
                    .getArchiveTimeStampChains()[0].getArchiveTimestamps().length, "the lost entry's only chain got its renewal");
            for (int i : new int[] { 2, 5 }) {
                var bc = new org.bouncycastle.tsp.ers.ERSEvidenceRecord(a.evidence(receipts.get(i).id()), digests);
                bc.validatePresent(new org.bouncycastle.tsp.ers.ERSByteData(i == 5 ? "lost".getBytes() : "document 2".getBytes()),
                        new java.util.Date());
                bc.validate(new org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder().build(tsa.certificate));
            }
            assertThrows(SigningException.class, () -> a.renewDigest(DigestAlgorithm.SHA384), "a weaker digest is refused");
            java.nio.file.Files.createDirectories(dir.resolve("pki"));
            java.nio.file.Files.writeString(dir.resolve("pki/test-tsa.pem"), "-----BEGIN CERTIFICATE-----\n"
                    + java.util.Base64.getMimeEncoder().encodeToString(tsa.certificate.getEncoded()) + "\n-----END CERTIFICATE-----\n");
            assertTrue(a.verifyChain().valid(), a.verifyChain().lines().toString());
            assertTrue(a.verify(after, Content.of("document 2".getBytes()), Content.of("signature 2".getBytes())).valid());
            assertTrue(a.verify(grown, Content.of("document 2".getBytes()), Content.of("signature 2".getBytes())).valid());
            assertFalse(a.verify(after, Content.of("document 2".getBytes()), Content.of("signature 3".getBytes())).valid());
        } finally {
            a.stop();
        }
    }

    @Test
    void aKeptCopyChangedOnDiskIsNotRenewedAndSaysWhy() throws Exception {
        TestTsa tsa = new TestTsa();
        ArchiveComponent a = new ArchiveComponent(dir, dir.resolve("pki"), DigestAlgorithm.SHA256, List.of("test"), Duration.ofSeconds(1),
                dir.resolve("documents"));
        a.addAuthority("test", tsa);
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (String text : List.of("first document", "second document")) {
                byte[] doc = text.getBytes();
                a.enter(new ArchiveEntry(text, DigestAlgorithm.SHA256, md.digest(doc), null, Content.of(doc), null));
            }
            a.seal();
            // One byte of the first kept copy, as a disk fault or a person with access would change it.
            Path pack = dir.resolve("documents/pack-000001");
            byte[] bytes = java.nio.file.Files.readAllBytes(pack);
            assertEquals("first documentsecond document", new String(bytes), "both copies, one after the other");
            bytes[0] ^= 1;
            java.nio.file.Files.write(pack, bytes);
            ArchiveRenewal r = a.renewDigest(DigestAlgorithm.SHA512);
            assertEquals(1, r.renewed());
            assertEquals(1, r.notRenewed().size());
            assertTrue(r.notRenewed().get(0).contains("entry 1") && r.notRenewed().get(0).contains("changed on disk"), r.notRenewed().toString());
        } finally {
            a.stop();
        }
    }

    @Test
    void aDigestChangedWhileDownClosesTheOpenTreeAndRenewalNeedsKeptDocuments() throws Exception {
        TestTsa tsa = new TestTsa();
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        ArchiveComponent a = new ArchiveComponent(dir, dir.resolve("pki"), DigestAlgorithm.SHA256, List.of("test"), Duration.ofSeconds(1), null);
        a.addAuthority("test", tsa);
        try {
            a.enter(new ArchiveEntry("old", DigestAlgorithm.SHA256, sha256.digest("old".getBytes()), null));
            assertThrows(SigningException.class, () -> a.renewDigest(DigestAlgorithm.SHA512), "no kept documents, no hash-tree renewal");
        } finally {
            a.stop();
        }
        // The configuration now says SHA-512: the open SHA-256 tree takes no more entries and is sealed with the next seal.
        ArchiveComponent b = new ArchiveComponent(dir, dir.resolve("pki"), DigestAlgorithm.SHA512, List.of("test"), Duration.ofSeconds(1), null);
        b.addAuthority("test", tsa);
        try {
            ArchiveReceipt r = b.enter(new ArchiveEntry("new", DigestAlgorithm.SHA512, MessageDigest.getInstance("SHA-512").digest("new".getBytes()), null));
            assertEquals("2", r.tree());
            assertEquals(List.of("1", "2"), b.seal().stream().map(ArchiveSeal::tree).toList());
            assertTrue(b.evidence("1").length > 0);
        } finally {
            b.stop();
        }
    }
}
