package org.sigillum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Date;
import java.util.List;

import org.bouncycastle.asn1.tsp.EvidenceRecord;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.bouncycastle.tsp.ers.ERSByteData;
import org.bouncycastle.tsp.ers.ERSEvidenceRecord;
import org.bouncycastle.tsp.ers.ERSException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Time-stamp renewal (RFC 4998 §5.2) and hash-tree renewal (§5.3): after one and two time-stamp
 * renewals, a renewal to SHA-512 and one more time-stamp renewal, the records exported before and
 * after each step all validate in Bouncy Castle, EU DSS and our verifier, against the document and
 * its signature; another document or a swapped signature fails.
 */
class ArchiveRenewalTest {

    @TempDir
    Path tmp;

    @Test
    void recordsBeforeAndAfterTimeStampAndHashTreeRenewalsAllValidate() throws Exception {
        Path home = tmp.resolve("home");
        try (Server server = new Server(home, tmp.resolve("server.log")).start(true)) {
            Path doc = Files.writeString(tmp.resolve("contract.txt"), "a contract to keep for thirty years\n");
            Path other = Files.writeString(tmp.resolve("other.txt"), "another document\n");
            assertEquals(0, Sigillum.run(home, "sign", "--profile", "cades", "--out", tmp.resolve("out").toString(), doc.toString(),
                    other.toString()).exit());
            assertEquals(0, Sigillum.run(home, "archive", "seal").exit());
            Path er1 = export(home, doc, "er1.ers");
            Sigillum.Result renew = Sigillum.run(home, "archive", "renew", "--timestamps");
            assertEquals(0, renew.exit(), renew.toString());
            assertTrue(renew.out().contains("tree 1 renewed"), renew.out());
            Path er2 = export(home, doc, "er2.ers");
            assertEquals(0, Sigillum.run(home, "archive", "renew", "--timestamps").exit());
            Path er3 = export(home, doc, "er3.ers");

            // Hash-tree renewal (§5.3): the archive hashes its kept copies again with SHA-512.
            Sigillum.Result rehash = Sigillum.run(home, "archive", "renew", "--digest", "SHA-512");
            assertEquals(0, rehash.exit(), rehash.toString());
            assertTrue(rehash.out().contains("hash-tree renewal to SHA-512: 2 entries have a new chain"), rehash.out());
            Path er4 = export(home, doc, "er4.ers");
            Sigillum.Result again = Sigillum.run(home, "archive", "renew", "--timestamps");
            assertEquals(0, again.exit(), again.toString());
            assertFalse(again.out().contains("tree 1 renewed"), "tree 1's chain is closed by the hash-tree renewal: " + again.out());
            Path er5 = export(home, doc, "er5.ers");
            // A document signed after the renewal goes into a SHA-512 tree.
            Path later = Files.writeString(tmp.resolve("later.txt"), "signed after the renewal\n");
            assertEquals(0, Sigillum.run(home, "sign", "--profile", "cades", "--out", tmp.resolve("out2").toString(), later.toString()).exit());
            assertEquals(0, Sigillum.run(home, "archive", "seal").exit());
            Path er6 = export(home, later, "er6.ers");
            assertEquals("2.16.840.1.101.3.4.2.3", EvidenceRecord.getInstance(Files.readAllBytes(er6)).getArchiveTimeStampSequence()
                    .getArchiveTimeStampChains()[0].getArchiveTimestamps()[0].getDigestAlgorithmIdentifier().getAlgorithm().getId());
            Sigillum.Result laterOk = Sigillum.run(home, "archive", "verify", later.toString(), er6.toString());
            assertEquals(0, laterOk.exit(), laterOk.toString());

            int[][] shape = { { 1 }, { 2 }, { 3 }, { 3, 1 }, { 3, 2 } };
            int k = 0;
            for (Path er : List.of(er1, er2, er3, er4, er5)) {
                byte[] bytes = Files.readAllBytes(er);
                var chains = EvidenceRecord.getInstance(bytes).getArchiveTimeStampSequence().getArchiveTimeStampChains();
                int[] expected = shape[k++];
                assertEquals(expected.length, chains.length, er.toString());
                for (int c = 0; c < chains.length; c++) {
                    assertEquals(expected[c], chains[c].getArchiveTimestamps().length, er + " chain " + (c + 1));
                }
                ERSEvidenceRecord bc = new ERSEvidenceRecord(bytes, new JcaDigestCalculatorProviderBuilder().build());
                bc.validatePresent(new ERSByteData(Files.readAllBytes(doc)), new Date());
                // Checks that the last stamp covers every earlier one, then the last stamp's signature.
                bc.validate(new JcaSimpleSignerInfoVerifierBuilder().build(bc.getSigningCertificate()));
                assertThrows(ERSException.class, () -> bc.validatePresent(new ERSByteData(Files.readAllBytes(other)), new Date()));

                Dss.ErVerdict dss = Dss.validateEvidenceRecord(er, home.resolve("pki/demo-root.pem"), doc);
                assertEquals("PASSED", dss.indication(), er + ": " + dss);
                assertTrue(dss.dataFoundAndIntact() && dss.timeStampValid(), er + ": " + dss);
                assertFalse(Dss.validateEvidenceRecord(er, home.resolve("pki/demo-root.pem"), other).dataFoundAndIntact());

                Sigillum.Result ours = Sigillum.run(home, "archive", "verify", doc.toString(), er.toString());
                assertEquals(0, ours.exit(), er + ": " + ours);
                assertEquals(1, Sigillum.run(home, "archive", "verify", other.toString(), er.toString()).exit());
                Path p7s = tmp.resolve("out/contract.txt.p7s");
                Sigillum.Result withSig = Sigillum.run(home, "archive", "verify", doc.toString(), er.toString(), "--data", p7s.toString());
                assertEquals(0, withSig.exit(), er + ": " + withSig);
                Path otherSig = tmp.resolve("out/other.txt.p7s");
                assertEquals(1, Sigillum.run(home, "archive", "verify", doc.toString(), er.toString(), "--data", otherSig.toString()).exit(),
                        "a swapped signature fails");
            }
            Sigillum.Result chain = Sigillum.run(home, "archive", "verify-chain");
            assertEquals(0, chain.exit(), chain.toString());
        }
    }

    private static Path export(Path home, Path doc, String name) throws Exception {
        Path er = home.getParent().resolve(name);
        Sigillum.Result r = Sigillum.run(home, "archive", "evidence", doc.toString(), "--out", er.toString());
        assertEquals(0, r.exit(), r.toString());
        return er;
    }
}
