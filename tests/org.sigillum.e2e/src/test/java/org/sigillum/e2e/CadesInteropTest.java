package org.sigillum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a user does on a fresh home: ./sigillum sign --profile cades, then EU DSS and openssl decide.
 * Inputs of several kinds (empty, text, binary, large, odd names); every output must validate as
 * CAdES-BASELINE-B against pki/demo-root.pem, and a copy with one byte changed must fail in both.
 */
class CadesInteropTest {

    @TempDir
    static Path tmp;
    static Path home;
    static Path in;
    static Path out;
    static List<Path> inputs = new ArrayList<>();

    @BeforeAll
    static void signAll() throws Exception {
        home = tmp.resolve("home");
        in = Files.createDirectories(tmp.resolve("in"));
        out = tmp.resolve("out");
        Random r = new Random(7);
        inputs.add(Files.write(in.resolve("empty.txt"), new byte[0]));
        inputs.add(Files.writeString(in.resolve("letter.txt"), "Sehr geehrte Damen und Herren,\nanbei die Rechnung.\n"));
        byte[] b = new byte[100_000];
        r.nextBytes(b);
        inputs.add(Files.write(in.resolve("scan 0001 (copy).tif"), b));
        inputs.add(Files.write(in.resolve("Übersicht–Ärger ✓.pdf"), "%PDF-1.7 not really a pdf".getBytes()));
        // Above the core's 8 MiB in-memory limit: the streamed path, end to end.
        byte[] big = new byte[9 * 1024 * 1024 + 17];
        r.nextBytes(big);
        inputs.add(Files.write(in.resolve("big.bin"), big));

        List<String> args = new ArrayList<>(List.of("sign", "--profile", "cades", "--out", out.toString()));
        inputs.forEach(p -> args.add(p.toString()));
        Sigillum.Result res = Sigillum.run(home, args.toArray(String[]::new));
        assertEquals(0, res.exit(), res.toString());
        assertTrue(Files.isRegularFile(home.resolve("pki/demo-root.pem")), "a new home has the demo root");
    }

    @Test
    void everyOutputIsCadesBaselineBInEuDssAndChangedDataFails() throws Exception {
        Path root = home.resolve("pki/demo-root.pem");
        for (Path input : inputs) {
            Path sig = out.resolve(input.getFileName() + ".p7s");
            assertTrue(Files.isRegularFile(sig), "missing " + sig);
            Dss.Verdict v = Dss.validate(sig, input, root);
            assertEquals("TOTAL_PASSED", v.indication(), input + ": " + v);
            assertEquals("CAdES-BASELINE-B", v.format(), input + ": " + v);

            Path changed = tmp.resolve("changed-" + input.getFileName());
            byte[] data = Files.readAllBytes(input);
            data = data.length == 0 ? new byte[] { 0 } : data;
            data[data.length / 2] ^= 0x01;
            Files.write(changed, data);
            Dss.Verdict bad = Dss.validate(sig, changed, root);
            assertEquals("TOTAL_FAILED", bad.indication(), input + " changed: " + bad);
            assertEquals("HASH_FAILURE", bad.subIndication(), input + " changed: " + bad);
        }
    }

    @Test
    void opensslAcceptsEveryOutputAndRejectsChangedData() throws Exception {
        Path root = home.resolve("pki/demo-root.pem");
        for (Path input : inputs) {
            Path sig = out.resolve(input.getFileName() + ".p7s");
            assertEquals(0, Sigillum.openssl("cms", "-verify", "-binary", "-inform", "DER", "-in", sig.toString(), "-content",
                    input.toString(), "-CAfile", root.toString(), "-out", "/dev/null"), "openssl rejects " + sig);
            Path changed = tmp.resolve("o-changed-" + input.getFileName());
            byte[] data = Files.readAllBytes(input);
            data = data.length == 0 ? new byte[] { 0 } : data;
            data[0] ^= 0x01;
            Files.write(changed, data);
            assertNotEquals(0, Sigillum.openssl("cms", "-verify", "-binary", "-inform", "DER", "-in", sig.toString(), "-content",
                    changed.toString(), "-CAfile", root.toString(), "-out", "/dev/null"), "openssl accepts a changed " + input);
        }
    }

    @Test
    void envelopingOutputValidatesAndCarriesTheDocument() throws Exception {
        Path doc = inputs.get(1);
        Path env = tmp.resolve("enveloping");
        Sigillum.Result res = Sigillum.run(home, "sign", "--profile", "cades", "--embedded", "--out", env.toString(), doc.toString());
        assertEquals(0, res.exit(), res.toString());
        Path p7m = env.resolve(doc.getFileName() + ".p7m");
        Dss.Verdict v = Dss.validate(p7m, null, home.resolve("pki/demo-root.pem"));
        assertEquals("TOTAL_PASSED", v.indication(), v.toString());
        assertEquals("CAdES-BASELINE-B", v.format(), v.toString());
        Path extracted = tmp.resolve("extracted.txt");
        assertEquals(0, Sigillum.openssl("cms", "-verify", "-binary", "-inform", "DER", "-in", p7m.toString(), "-CAfile",
                home.resolve("pki/demo-root.pem").toString(), "-out", extracted.toString()));
        assertEquals(Files.readString(doc), Files.readString(extracted));
    }

    @Test
    void verifyCommandGivesOneVerdictLineAndItsExitCode() throws Exception {
        Path doc = inputs.get(2);
        Path sig = out.resolve(doc.getFileName() + ".p7s");
        Sigillum.Result ok = Sigillum.run(home, "verify", sig.toString(), "--data", doc.toString());
        assertEquals(0, ok.exit(), ok.toString());
        assertTrue(ok.out().startsWith("signature 1: valid,") && ok.out().contains("Sigillum DEMO Signer") && ok.out().contains("B-B"), ok.toString());

        Path changed = tmp.resolve("v-changed.bin");
        byte[] data = Files.readAllBytes(doc);
        data[99] ^= 0x40;
        Files.write(changed, data);
        Sigillum.Result bad = Sigillum.run(home, "verify", sig.toString(), "--data", changed.toString());
        assertEquals(1, bad.exit(), bad.toString());
        assertTrue(bad.out().startsWith("signature 1: invalid,"), bad.toString());
    }

    @Test
    void aFailureIsAClearMessageAndANonZeroExit() throws Exception {
        Sigillum.Result res = Sigillum.run(home, "sign", "--profile", "no-such-profile", "--out", tmp.resolve("x").toString(),
                inputs.get(1).toString());
        assertNotEquals(0, res.exit());
        assertTrue(res.err().contains("no profile named 'no-such-profile'"), res.toString());

        res = Sigillum.run(home, "sign", "--profile", "cades", "--out", tmp.resolve("x").toString(), tmp.resolve("absent.txt").toString());
        assertNotEquals(0, res.exit());
        assertTrue(res.err().contains("not a readable file"), res.toString());
    }
}
