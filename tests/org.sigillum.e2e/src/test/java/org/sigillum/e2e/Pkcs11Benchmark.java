package org.sigillum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Signatures per second through the core's token pool with 1, 2 and 4 SoftHSM2 tokens (RSA-2048),
 * as a site runs it: a hot-folder batch through a running server with eight workers, CAdES-B with
 * its post-signing check included. Two runs per pool size:
 * <ul>
 * <li>plain SoftHSM2, beside the raw crypto limit measured in the same run ({@code openssl speed
 * rsa2048} with as many processes as tokens, capped at the cores: SoftHSM signs with OpenSSL);</li>
 * <li>every signature held to 300 ms by the PKCS#11 shim, as a real card is: the pool should reach
 * N / 0.3 s, which shows scheduling rather than CPU.</li>
 * </ul>
 * Run by ./sigillum benchmark; results in target/benchmark-pkcs11.txt.
 */
class Pkcs11Benchmark {
    static final String PIN = "246810";

    @TempDir
    Path tmp;

    @Test
    void poolThroughput() throws Exception {
        SoftHsm hsm = new SoftHsm(tmp.resolve("hsm"));
        Path shim = hsm.shimLibrary();
        Path target = Files.copy(Path.of(SoftHsm.SOFTHSM_LIBRARY), tmp.resolve("libsofthsm2-behind-shim.so"));
        Map<String, String> env = new HashMap<>(hsm.env());
        env.put("PINSHIM_TARGET", target.toString());
        Path home = tmp.resolve("home");
        Files.createDirectories(home.resolve("etc"));
        Files.createDirectories(home.resolve("pki"));
        Files.copy(hsm.caPem(), home.resolve("pki/softhsm-test-ca.pem"));
        for (int i = 1; i <= 4; i++) {
            hsm.createToken("card" + i, PIN, "11223344");
            hsm.addKey("card" + i, PIN, "key", "01", "rsa2048");
            // The same card twice: straight through SoftHSM, and through the shim that can slow it.
            Files.writeString(home.resolve("etc/org.sigillum.token.pkcs11-fast" + i + ".cfg"),
                    "id = fast" + i + "\nlibrary = " + SoftHsm.SOFTHSM_LIBRARY + "\ntokenLabel = card" + i + "\n.pin = " + PIN + "\n");
            Files.writeString(home.resolve("etc/org.sigillum.token.pkcs11-slow" + i + ".cfg"),
                    "id = slow" + i + "\nlibrary = " + shim + "\ntokenLabel = card" + i + "\n.pin = " + PIN + "\n");
        }
        StringBuilder report = new StringBuilder();
        try (Server server = new Server(home, tmp.resolve("server.log")).withEnvironment(env).start(true)) {
            for (String kind : List.of("fast", "slow")) {
                for (int n : List.of(1, 2, 4)) {
                    StringBuilder tokens = new StringBuilder();
                    for (int i = 1; i <= n; i++) {
                        tokens.append(i > 1 ? "," : "").append(kind).append(i);
                    }
                    String name = kind + n;
                    Files.writeString(home.resolve("etc/org.sigillum.profile-" + name + ".cfg"), "name = " + name
                            + "\nformat = cades\ntokens = " + tokens + "\ntrustAnchors = pki/softhsm-test-ca.pem\n");
                    Files.writeString(tmp.resolve(name + ".cfg"), "name = " + name + "\nprofile = " + name
                            + "\nsettleMillis = 100\npollMillis = 50\nworkers = 8\n");
                    Files.move(tmp.resolve(name + ".cfg"), home.resolve("etc/org.sigillum.hotfolder-" + name + ".cfg"));
                }
            }
            // The peer: the same pipeline with the home's software key (RSA-2048 in a PKCS#12 file).
            Files.writeString(home.resolve("etc/org.sigillum.profile-soft.cfg"), "name = soft\nformat = cades\ntokens = demo\ntrustAnchors = pki\n");
            Files.writeString(tmp.resolve("soft.cfg"), "name = soft\nprofile = soft\nsettleMillis = 100\npollMillis = 50\nworkers = 8\n");
            Files.move(tmp.resolve("soft.cfg"), home.resolve("etc/org.sigillum.hotfolder-soft.cfg"));
            Server.await("tokens", 30_000, () -> {
                try {
                    String list = Sigillum.runWithEnvironment(home, env, "", "token", "list").out();
                    return count(list, "  active") == 8;
                } catch (Exception e) {
                    return false;
                }
            });
            // Warm-up: the JIT and SoftHSM's sessions, on the largest pool.
            batch(home, "fast4", "warmup", 3000);
            batch(home, "soft", "warmup", 1000);
            double soft = 2000 / batch(home, "soft", "run", 2000);

            report.append(String.format(Locale.ROOT, "pkcs11 pool, RSA-2048 on SoftHSM2, CAdES-B through a hot folder (8 workers);"
                    + " the same with the software key (PKCS#12 in the JVM): %.0f signatures/s%n", soft));
            for (int n : List.of(1, 2, 4)) {
                int docs = 2000;
                double rate = docs / batch(home, "fast" + n, "run", docs);
                double raw = opensslRsaSignsPerSecond(Math.min(n, Runtime.getRuntime().availableProcessors()));
                report.append(String.format(Locale.ROOT, "  %d token(s): %.0f signatures/s = %.2f x the software key;"
                        + " raw RSA-2048 limit (openssl speed, %d process(es)) %.0f/s, ratio %.2f%n",
                        n, rate, rate / soft, Math.min(n, Runtime.getRuntime().availableProcessors()), raw, rate / raw));
            }
            hsm.setSignDelayMillis(300);
            report.append("pkcs11 pool, each signature held to 300 ms by the shim (a card's pace):\n");
            for (int n : List.of(1, 2, 4)) {
                int docs = 20 * n;
                double rate = docs / batch(home, "slow" + n, "run", docs);
                double ideal = n / 0.3;
                report.append(String.format(Locale.ROOT, "  %d token(s): %.2f signatures/s; N / 0.3 s = %.2f/s; ratio %.2f%n",
                        n, rate, ideal, rate / ideal));
            }
            hsm.setSignDelayMillis(0);
            Sigillum.Result cap = Sigillum.runWithEnvironment(home, env, "", "capacity", "--documents", "100000", "--hours", "8");
            report.append("capacity with the measured rate: ").append(cap.out().replace("\n", " | ")).append('\n');
        }
        System.out.print(report);
        Files.writeString(Path.of("target", "benchmark-pkcs11.txt"), report.toString());
    }

    /** Seconds from approval to READY for a batch of {@code docs} small documents. */
    private static double batch(Path home, String root, String name, int docs) throws Exception {
        Path dir = Files.createDirectories(home.resolve("hotfolder/in/" + root).resolve(name));
        for (int i = 0; i < docs; i++) {
            Files.writeString(dir.resolve("d" + i + ".txt"), "document " + i + " of " + name + "\n");
        }
        Server.await("root " + root, 20_000, () -> Files.exists(home.resolve("hotfolder/in/" + root + "/.sigillum.lock")));
        long t0 = System.nanoTime();
        Files.writeString(dir.resolve("APPROVED"), "");
        Path ready = home.resolve("hotfolder/out/" + root + "/" + name + "/READY");
        Server.await(ready.toString(), 600_000, () -> Files.exists(ready));
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertTrue(!Files.exists(home.resolve("hotfolder/error/" + root + "/" + name)), "documents failed: " + Files.readString(ready));
        assertEquals(docs, listSignatures(ready.getParent()).size(), Files.readString(ready));
        return seconds;
    }

    private static List<String> listSignatures(Path dir) throws Exception {
        try (var s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(f -> f.endsWith(".p7s")).toList();
        }
    }

    private static double opensslRsaSignsPerSecond(int processes) throws Exception {
        Process p = new ProcessBuilder("openssl", "speed", "-seconds", "3", "-multi", Integer.toString(processes), "rsa2048")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), out);
        // "rsa 2048 bits 0.000251s 0.000007s 3984.1 142857.1": sign/s is the first rate after the times.
        Matcher m = Pattern.compile("rsa\\s+2048 bits\\s+\\S+s\\s+\\S+s\\s+([0-9.]+)").matcher(out);
        assertTrue(m.find(), out);
        return Double.parseDouble(m.group(1));
    }

    private static int count(String text, String regex) {
        Matcher m = Pattern.compile(regex, Pattern.MULTILINE).matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }
}
