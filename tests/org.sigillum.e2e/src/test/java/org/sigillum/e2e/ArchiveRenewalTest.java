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
 * Time-stamp renewal (RFC 4998 §5.2): after one and two renewals, the record exported before and
 * the records exported after all validate in Bouncy Castle, EU DSS and our verifier.
 */
class ArchiveRenewalTest {

    @TempDir
    Path tmp;

    @Test
    void recordsBeforeAndAfterRenewalsAllValidate() throws Exception {
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

            int expectedStamps = 1;
            for (Path er : List.of(er1, er2, er3)) {
                byte[] bytes = Files.readAllBytes(er);
                assertEquals(expectedStamps++, EvidenceRecord.getInstance(bytes).getArchiveTimeStampSequence()
                        .getArchiveTimeStampChains()[0].getArchiveTimestamps().length, er.toString());
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
