package org.sigillum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded default's built-in TSA: ./sigillum timestamp writes a .tsr that openssl ts -verify
 * accepts with the DEMO root, and the default cades profile at --level T gives CAdES-BASELINE-T in
 * EU DSS with nothing configured by hand.
 */
class BuiltinTsaTest {

    @TempDir
    Path tmp;

    @Test
    void timestampCommandAndLevelTWorkOnAFreshHome() throws Exception {
        Path home = tmp.resolve("home");
        Path doc = Files.writeString(tmp.resolve("minutes.txt"), "Protokoll der Sitzung vom 25.11.2026");
        Path tsr = tmp.resolve("minutes.txt.tsr");
        Sigillum.Result r = Sigillum.run(home, "timestamp", doc.toString(), "--out", tsr.toString());
        assertEquals(0, r.exit(), r.toString());
        Path root = home.resolve("pki/demo-root.pem");
        Path tsaCert = home.resolve("pki/certs/demo-tsa.pem");
        assertEquals(0, Sigillum.openssl("ts", "-verify", "-in", tsr.toString(), "-data", doc.toString(), "-CAfile",
                root.toString(), "-untrusted", tsaCert.toString()), "openssl ts -verify must accept our .tsr");
        Path other = Files.writeString(tmp.resolve("other.txt"), "Protokoll der Sitzung vom 26.11.2026");
        assertNotEquals(0, Sigillum.openssl("ts", "-verify", "-in", tsr.toString(), "-data", other.toString(), "-CAfile",
                root.toString(), "-untrusted", tsaCert.toString()));

        Sigillum.Result mine = Sigillum.run(home, "verify", tsr.toString(), "--data", doc.toString());
        assertEquals(0, mine.exit(), mine.toString());
        assertTrue(mine.out().startsWith("signature 1: valid,") && mine.out().contains("DEMO TSA")
                && mine.out().contains("time-stamped"), mine.toString());
        Sigillum.Result wrong = Sigillum.run(home, "verify", tsr.toString(), "--data", other.toString());
        assertEquals(1, wrong.exit(), wrong.toString());
        assertTrue(wrong.out().contains("covers other data"), wrong.toString());

        Path out = tmp.resolve("out");
        Sigillum.Result t = Sigillum.run(home, "sign", "--profile", "cades", "--level", "T", "--out", out.toString(), doc.toString());
        assertEquals(0, t.exit(), t.toString());
        Dss.Verdict v = Dss.validate(out.resolve("minutes.txt.p7s"), doc, root);
        assertEquals("TOTAL_PASSED", v.indication(), v.toString());
        assertEquals("CAdES-BASELINE-T", v.format(), v.toString());
        assertTrue(Files.readString(home.resolve("tsa/serial")).trim().matches("\\d+"), "serial reservation is kept");
    }
}
