package org.sigillum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;

import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.bouncycastle.tsp.ers.ERSByteData;
import org.bouncycastle.tsp.ers.ERSDataGroup;
import org.bouncycastle.tsp.ers.ERSEvidenceRecord;
import org.bouncycastle.tsp.ers.ERSException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The archive through the real server: documents signed, the tree sealed with one time stamp,
 * evidence records exported per document and checked by Bouncy Castle's RFC 4998 verifier: the
 * document (alone and with its signature) is proven, a changed byte or another document is not.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ArchiveTest {

    private Path tmp;
    private Path home;
    private Server server;
    private final List<Path> docs = new ArrayList<>();
    private Path out;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        tmp = dir;
        home = dir.resolve("home");
        server = new Server(home, dir.resolve("server.log")).start(true);
        Path in = Files.createDirectories(dir.resolve("in"));
        // 6 documents and the link to the previous seal: 7 leaves, so one moves up a level unpaired.
        for (int i = 0; i < 6; i++) {
            docs.add(Files.writeString(in.resolve("doc" + i + ".txt"), "archived document " + i + "\n"));
        }
        out = dir.resolve("out");
        List<String> args = new ArrayList<>(List.of("sign", "--profile", "cades", "--out", out.toString()));
        docs.forEach(d -> args.add(d.toString()));
        Sigillum.Result r = Sigillum.run(home, args.toArray(String[]::new));
        assertEquals(0, r.exit(), r.toString());
        Sigillum.Result seal = Sigillum.run(home, "archive", "seal");
        assertEquals(0, seal.exit(), seal.toString());
        assertTrue(seal.out().contains("6 entries"), seal.out() + "\nsign:\n" + r + "\naudit:\n" + Files.readString(home.resolve("log/audit.log")));
    }

    @AfterAll
    void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    private Path evidence(Path doc) throws Exception {
        Path ers = tmp.resolve(doc.getFileName() + ".ers");
        Sigillum.Result r = Sigillum.run(home, "archive", "evidence", doc.toString(), "--out", ers.toString());
        assertEquals(0, r.exit(), r.toString());
        return ers;
    }

    @Test
    void bouncyCastleProvesEveryDocumentAndItsSignatureAndNothingElse() throws Exception {
        for (int i = 0; i < docs.size(); i++) {
            Path doc = docs.get(i);
            Path sig = out.resolve(doc.getFileName() + ".p7s");
            ERSEvidenceRecord er = new ERSEvidenceRecord(Files.readAllBytes(evidence(doc)),
                    new JcaDigestCalculatorProviderBuilder().build());
            Date now = new Date();
            er.validatePresent(new ERSByteData(Files.readAllBytes(doc)), now);
            er.validatePresent(new ERSDataGroup(new ERSByteData(Files.readAllBytes(doc)), new ERSByteData(Files.readAllBytes(sig))), now);
            // The time stamp is the built-in TSA's, signed by its certificate in the token.
            X509CertificateHolder tsa = er.getSigningCertificate();
            er.validate(new JcaSimpleSignerInfoVerifierBuilder().build(tsa));
            X509Certificate tsaCert = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(tsa.getEncoded()));
            X509Certificate root = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(Files.newInputStream(home.resolve("pki/demo-root.pem")));
            tsaCert.verify(root.getPublicKey());

            byte[] changed = Files.readAllBytes(doc);
            changed[0] ^= 1;
            assertThrows(ERSException.class, () -> er.validatePresent(new ERSByteData(changed), now), doc + " changed");
            Path other = docs.get((i + 1) % docs.size());
            assertThrows(ERSException.class, () -> er.validatePresent(new ERSByteData(Files.readAllBytes(other)), now),
                    other + " is not " + doc);
            byte[] otherSig = Files.readAllBytes(out.resolve(other.getFileName() + ".p7s"));
            assertThrows(ERSException.class, () -> er.validatePresent(
                    new ERSDataGroup(new ERSByteData(Files.readAllBytes(doc)), new ERSByteData(otherSig)), now), "swapped signature");
        }
    }

    @Test
    void euDssAcceptsEveryRecordWithItsDocumentAndSignatureAndNothingElse() throws Exception {
        Path root = home.resolve("pki/demo-root.pem");
        for (int i = 0; i < docs.size(); i++) {
            Path doc = docs.get(i);
            Path sig = out.resolve(doc.getFileName() + ".p7s");
            Path ers = evidence(doc);
            Dss.ErVerdict both = Dss.validateEvidenceRecord(ers, root, doc, sig);
            assertEquals("PASSED", both.indication(), doc + ": " + both);
            assertTrue(both.dataFoundAndIntact() && both.timeStampValid(), doc + ": " + both);
            Dss.ErVerdict alone = Dss.validateEvidenceRecord(ers, root, doc);
            assertEquals("PASSED", alone.indication(), doc + " alone: " + alone);
            assertTrue(alone.dataFoundAndIntact(), doc + " alone: " + alone);

            Path changed = Files.write(tmp.resolve("dss-changed-" + i + ".txt"), Files.readString(doc).replace("archived", "Archived").getBytes());
            Dss.ErVerdict bad = Dss.validateEvidenceRecord(ers, root, changed);
            assertFalse(bad.dataFoundAndIntact(), "changed " + doc + ": " + bad);
            assertEquals("INDETERMINATE", bad.indication(), "changed " + doc + ": " + bad);
            // With the genuine signature beside it DSS still passes the record (the signature is
            // covered): the changed document itself must not count as found.
            assertFalse(Dss.validateEvidenceRecord(ers, root, changed, sig).dataFoundAndIntact());
            Path other = docs.get((i + 1) % docs.size());
            assertFalse(Dss.validateEvidenceRecord(ers, root, other).dataFoundAndIntact(), other + " is not " + doc);
        }
    }

    @Test
    void ourVerifierPrintsTheProvenTimeAndRefusesWhatDoesNotMatch() throws Exception {
        Path doc = docs.get(2);
        Path sig = out.resolve(doc.getFileName() + ".p7s");
        Path ers = evidence(doc);
        Sigillum.Result ok = Sigillum.run(home, "archive", "verify", doc.toString(), ers.toString(), "--data", sig.toString());
        assertEquals(0, ok.exit(), ok.toString());
        assertTrue(ok.out().contains("VALID: " + doc.getFileName() + " existed at 20"), ok.out());
        assertEquals(0, Sigillum.run(home, "archive", "verify", doc.toString(), ers.toString()).exit());

        Path changed = Files.write(tmp.resolve("changed.txt"), Files.readString(doc).replace("archived", "Archived").getBytes());
        Sigillum.Result bad = Sigillum.run(home, "archive", "verify", changed.toString(), ers.toString());
        assertEquals(1, bad.exit(), bad.toString());
        assertTrue(bad.out().contains("INVALID"), bad.out());
        Path otherSig = out.resolve(docs.get(4).getFileName() + ".p7s");
        Sigillum.Result swapped = Sigillum.run(home, "archive", "verify", doc.toString(), ers.toString(), "--data", otherSig.toString());
        assertEquals(1, swapped.exit(), swapped.toString());
        byte[] edited = Files.readAllBytes(ers);
        edited[60] ^= 1;
        Path editedErs = Files.write(tmp.resolve("edited.ers"), edited);
        assertEquals(1, Sigillum.run(home, "archive", "verify", doc.toString(), editedErs.toString()).exit());
    }

    @Test
    void anEditedRecordFails() throws Exception {
        Path doc = docs.get(3);
        byte[] ers = Files.readAllBytes(evidence(doc));
        // Flip a byte inside the reduced hash tree (after the header and the digest algorithm).
        byte[] edited = ers.clone();
        edited[60] ^= 1;
        boolean rejected;
        try {
            new ERSEvidenceRecord(edited, new JcaDigestCalculatorProviderBuilder().build())
                    .validatePresent(new ERSByteData(Files.readAllBytes(doc)), new Date());
            rejected = false;
        } catch (Exception e) {
            rejected = true;
        }
        assertTrue(rejected, "an edited record must not prove the document");
        assertFalse(java.util.Arrays.equals(ers, edited));
    }
}
