package org.sigillum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Signature cards as SoftHSM2 tokens, through the real server and launcher: every algorithm (EU DSS
 * decides), mass cards with count and time limits (a restart keeps the count), individual cards, a
 * wrong PIN (the card's own retry counter, kept by a PKCS#11 shim in front of SoftHSM, which has
 * none), a token deleted and re-created under running work, a pool of three, and no PIN in any file.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class Pkcs11Test {
    // Distinctive PINs: the search of the logs at the end must not match anything else.
    static final String PIN = "731904";
    static final String INDIVIDUAL_PIN = "528316";
    static final String SHIM_PIN = "640271";
    static final String WRONG_PIN = "193847";
    /** Configured for unattended activation: it may appear in etc/ and nowhere else. */
    static final String POOL_PIN = "905813";
    static final String SO_PIN = "11223344";

    private Path tmp;
    private Path home;
    private SoftHsm hsm;
    private Map<String, String> env;
    private Path shim;
    private Server server;
    private Path data;

    @BeforeAll
    void setUp(@TempDir Path dir) throws Exception {
        tmp = dir;
        hsm = new SoftHsm(dir.resolve("hsm"));
        // The shim wraps its own copy of SoftHSM: a library file loaded twice is one instance, and
        // re-scanning one library must not end the logins of the tokens on the other.
        Path target = Files.copy(Path.of(SoftHsm.SOFTHSM_LIBRARY), dir.resolve("libsofthsm2-behind-shim.so"));
        shim = hsm.shimLibrary();
        env = new HashMap<>(hsm.env());
        env.put("PINSHIM_TARGET", target.toString());

        hsm.createToken("algs", PIN, SO_PIN);
        hsm.addKey("algs", PIN, "rsa2048", "01", "rsa2048");
        hsm.addKey("algs", PIN, "rsa3072", "02", "rsa3072");
        hsm.addKey("algs", PIN, "p256", "03", "p256");
        hsm.addKey("algs", PIN, "p384", "04", "p384");
        hsm.addAlwaysAuthenticateKey("algs", PIN, "aa256", "05", "p256");
        Instant now = Instant.now();
        hsm.addKey("algs", PIN, "expired", "06", "p256", now.minus(Duration.ofDays(30)), now.minus(Duration.ofDays(1)));
        hsm.createToken("count", PIN, SO_PIN);
        hsm.addKey("count", PIN, "key", "01", "p256");
        hsm.createToken("clock", PIN, SO_PIN);
        hsm.addKey("clock", PIN, "key", "01", "p256");
        hsm.createToken("indiv", INDIVIDUAL_PIN, SO_PIN);
        hsm.addKey("indiv", INDIVIDUAL_PIN, "key", "01", "p384");
        hsm.addAlwaysAuthenticateKey("indiv", INDIVIDUAL_PIN, "aa", "02", "rsa2048");
        hsm.createToken("shim", SHIM_PIN, SO_PIN);
        hsm.addKey("shim", SHIM_PIN, "key", "01", "p256");
        hsm.createToken("moving", PIN, SO_PIN);
        hsm.addKey("moving", PIN, "key", "01", "rsa2048");
        for (String p : List.of("pool-a", "pool-b", "pool-c")) {
            hsm.createToken(p, POOL_PIN, SO_PIN);
            hsm.addKey(p, POOL_PIN, "key", "01", "p256");
        }

        home = dir.resolve("home");
        Files.createDirectories(home.resolve("etc"));
        Files.createDirectories(home.resolve("pki"));
        Files.copy(hsm.caPem(), home.resolve("pki/softhsm-test-ca.pem"));
        String lib = SoftHsm.SOFTHSM_LIBRARY;
        for (String k : List.of("rsa2048", "rsa3072", "p256", "p384", "aa256", "expired")) {
            token("t-" + k, lib, "tokenLabel = algs", "keyLabel = " + k);
            profile("p-" + k, "t-" + k);
        }
        profile("p-mixed", "t-expired,t-p256");
        token("t-count", lib, "tokenLabel = count", "maxSignatures = 3");
        profile("p-count", "t-count");
        token("t-clock", lib, "tokenLabel = clock", "maxDuration = 6s", "checkSeconds = 1");
        profile("p-clock", "t-clock");
        token("t-indiv", lib, "tokenLabel = indiv", "keyId = 01", "mode = individual");
        profile("p-indiv", "t-indiv", "digest = SHA-384");
        token("t-indiv-aa", lib, "tokenLabel = indiv", "keyId = 02", "mode = individual");
        profile("p-indiv-aa", "t-indiv-aa");
        token("t-shim", shim.toString(), "tokenLabel = shim", "mode = individual");
        profile("p-shim", "t-shim");
        token("t-shim-mass", shim.toString(), "tokenLabel = shim");
        token("t-moving", shim.toString(), "tokenLabel = moving", ".pin = " + PIN, "checkSeconds = 1", "timeoutSeconds = 5");
        profile("p-moving", "t-moving");
        for (String p : List.of("a", "b", "c")) {
            token("p" + p, lib, "tokenLabel = pool-" + p, ".pin = " + POOL_PIN);
        }
        // A fourth member whose card is not there: the pool must work around it.
        token("pd", lib, "tokenLabel = pool-d", ".pin = " + POOL_PIN);
        profile("p-pool", "pa,pb,pc,pd");
        hsm.createToken("hang", PIN, SO_PIN);
        hsm.addKey("hang", PIN, "key", "01", "p256");
        // Activated by hand in its test: a login held on the shim's library would (rightly) keep the
        // removal test from re-initialising that library.
        token("t-hang", shim.toString(), "tokenLabel = hang", "timeoutSeconds = 2", "checkSeconds = 1");
        profile("p-hang", "t-hang");

        data = Files.createDirectories(dir.resolve("data"));
        server = new Server(home, dir.resolve("server.log")).withEnvironment(env).start(true);
        String[] list = { "" };
        try {
            Server.await("all tokens to be found", 30_000, () -> {
                try {
                    list[0] = run("", "token", "list").out();
                    // Every configured token listed: File Install applies the files in no fixed order.
                    List<String> ids = list[0].lines().map(l -> l.split("  ", 2)[0]).toList();
                    return count(list[0], "  missing") == 1 && !list[0].contains("failed") && ids.containsAll(configured);
                } catch (Exception e) {
                    return false;
                }
            });
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; tokens:\n" + list[0] + "\nserver log:\n" + server.log(), e);
        }
    }

    @AfterAll
    void tearDown() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    /** The ids of the tokens configured, which setup waits for. */
    private final List<String> configured = new ArrayList<>();

    private void token(String id, String library, String... lines) throws IOException {
        StringBuilder s = new StringBuilder("id = " + id + "\nlibrary = " + library + "\n");
        for (String l : lines) {
            s.append(l).append('\n');
        }
        Files.writeString(home.resolve("etc/org.sigillum.token.pkcs11-" + id + ".cfg"), s);
        configured.add(id);
    }

    private void profile(String name, String tokens, String... lines) throws IOException {
        StringBuilder s = new StringBuilder("name = " + name + "\nformat = cades\nlevel = B\ntokens = " + tokens
                + "\ntrustAnchors = pki/softhsm-test-ca.pem\nallowedOverrides = digest,padding\n");
        for (String l : lines) {
            s.append(l).append('\n');
        }
        Files.writeString(home.resolve("etc/org.sigillum.profile-" + name + ".cfg"), s);
    }

    private Sigillum.Result run(String input, String... args) throws Exception {
        return Sigillum.runWithEnvironment(home, env, input, args);
    }

    private Sigillum.Result activate(String token, String pin) throws Exception {
        return run(pin + "\n", "token", "activate", token);
    }

    private String tokenLine(String id) throws Exception {
        for (String line : run("", "token", "list").out().split("\n")) {
            if (line.startsWith(id + "  ")) {
                return line;
            }
        }
        throw new AssertionError("no line for " + id);
    }

    private Path doc(String name) throws IOException {
        return Files.writeString(data.resolve(name), "document " + name + " " + System.nanoTime() + "\n");
    }

    /** Signs one new document; the result and the output folder. */
    private record Signed(Sigillum.Result result, Path input, Path signature) {
    }

    private Signed sign(String profile, String pinInput, String name, String... extra) throws Exception {
        Path in = doc(name);
        Path out = tmp.resolve("out-" + name);
        List<String> args = new ArrayList<>(List.of("sign", "--profile", profile, "--out", out.toString()));
        args.addAll(List.of(extra));
        args.add(in.toString());
        return new Signed(run(pinInput, args.toArray(String[]::new)), in, out.resolve(name + ".p7s"));
    }

    private void assertDssPasses(Signed s) throws Exception {
        assertEquals(0, s.result().exit(), s.result().toString());
        Dss.Verdict v = Dss.validate(s.signature(), s.input(), hsm.caPem());
        assertEquals("TOTAL_PASSED", v.indication(), s.input() + ": " + v);
        assertEquals("CAdES-BASELINE-B", v.format(), s.input() + ": " + v);
        Path changed = tmp.resolve("changed-" + s.input().getFileName());
        Files.writeString(changed, Files.readString(s.input()).replace("document", "Document"));
        Dss.Verdict bad = Dss.validate(s.signature(), changed, hsm.caPem());
        assertEquals("HASH_FAILURE", bad.subIndication(), "changed copy of " + s.input() + ": " + bad);
    }

    private static String cmsPrint(Path sig) throws Exception {
        Process p = new ProcessBuilder("openssl", "cms", "-cmsout", "-print", "-inform", "DER", "-in", sig.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), out);
        return out;
    }

    @Test
    @Order(1)
    void everyAlgorithmOnTheCardSignsAndEuDssAcceptsIt() throws Exception {
        for (String k : List.of("rsa2048", "rsa3072", "p256", "p384", "aa256")) {
            assertTrue(tokenLine("t-" + k).contains("needs activation"), tokenLine("t-" + k));
            Sigillum.Result a = activate("t-" + k, PIN);
            assertEquals(0, a.exit(), a.toString());
            assertTrue(tokenLine("t-" + k).contains("active"), tokenLine("t-" + k));
        }
        for (String k : List.of("rsa2048", "rsa3072")) {
            Signed pkcs1 = sign("p-" + k, "", k + "-pkcs1.txt");
            assertDssPasses(pkcs1);
            assertTrue(cmsPrint(pkcs1.signature()).contains("rsaEncryption"), "PKCS#1 v1.5 for " + k);
            Signed pss = sign("p-" + k, "", k + "-pss.txt", "--padding", "PSS");
            assertDssPasses(pss);
            assertTrue(cmsPrint(pss.signature()).contains("rsassaPss"), "PSS for " + k);
        }
        assertDssPasses(sign("p-p256", "", "p256.txt"));
        Signed p384 = sign("p-p384", "", "p384.txt", "--digest", "SHA-384");
        assertDssPasses(p384);
        assertTrue(cmsPrint(p384.signature()).contains("ecdsa-with-SHA384"), cmsPrint(p384.signature()));
        // CKA_ALWAYS_AUTHENTICATE: a context-specific login before each signature, with the activation's PIN.
        assertDssPasses(sign("p-aa256", "", "aa256-1.txt"));
        assertDssPasses(sign("p-aa256", "", "aa256-2.txt"));

        // The card is logged in already (five keys share it): a wrong PIN for one more activation
        // must still be checked by the card, and refused, not waved through.
        Sigillum.Result wrong = activate("t-p256", WRONG_PIN);
        assertEquals(1, wrong.exit(), wrong.toString());
        assertTrue(wrong.err().contains("PIN incorrect"), wrong.err());
        // The refused login left the card logged out: every key on it needs activation again.
        Signed after = sign("p-rsa2048", "", "after-wrong.txt");
        assertEquals(1, after.result().exit(), after.result().toString());
        assertTrue(after.result().err().contains("token needs activation"), after.result().err());
    }

    @Test
    @Order(2)
    void aCertificateOutsideItsValidityIsRefusedBeforeSigning() throws Exception {
        Sigillum.Result a = activate("t-expired", PIN);
        assertEquals(0, a.exit(), a.toString());
        Signed s = sign("p-expired", "", "expired.txt");
        assertEquals(1, s.result().exit(), s.result().toString());
        assertTrue(s.result().err().contains("certificate invalid"), s.result().err());
        assertTrue(s.result().err().contains("expired"), s.result().err());
        assertFalse(Files.exists(s.signature()));

        // In a pool, the card with the expired certificate hands each document it gets to the other.
        assertEquals(0, activate("t-p256", PIN).exit());
        Path out = tmp.resolve("out-mixed");
        List<String> args = new ArrayList<>(List.of("sign", "--profile", "p-mixed", "--out", out.toString()));
        for (int i = 0; i < 4; i++) {
            args.add(doc("mixed-" + i + ".txt").toString());
        }
        Sigillum.Result mixed = run("", args.toArray(String[]::new));
        assertEquals(0, mixed.exit(), mixed.toString());
        String audit = Files.readString(home.resolve("log/audit.log"));
        assertEquals(4, count(audit, "\"profile\": ?\"p-mixed\"[^\\n]*\"token\": ?\"t-p256\"[^\\n]*\"outcome\": ?\"signed\""), audit);
        assertTrue(server.log().contains("token t-expired failed (certificate invalid"), "the expired card was tried and passed the document on");
    }

    @Test
    @Order(3)
    void anIndividualCardNeedsThePinWithEveryRequest() throws Exception {
        Signed without = sign("p-indiv", "", "indiv-nopin.txt");
        assertEquals(1, without.result().exit(), without.result().toString());
        assertTrue(without.result().err().contains("PIN required"), without.result().err());
        assertFalse(Files.exists(without.signature()));

        assertDssPasses(sign("p-indiv", INDIVIDUAL_PIN + "\n", "indiv.txt", "--pin-stdin"));
        assertDssPasses(sign("p-indiv-aa", INDIVIDUAL_PIN + "\n", "indiv-aa.txt", "--pin-stdin"));
        // The PIN served one request: the next one needs it again.
        Signed again = sign("p-indiv", "", "indiv-again.txt");
        assertTrue(again.result().err().contains("PIN required"), again.result().toString());

        Sigillum.Result a = activate("t-indiv", INDIVIDUAL_PIN);
        assertEquals(1, a.exit(), a.toString());
        assertTrue(a.err().contains("individual"), a.err());
    }

    @Test
    @Order(4)
    void aWrongPinCostsTheCardExactlyOneTryAndIsNeverRetried() throws Exception {
        assertEquals(3, hsm.triesLeft("shim"));
        int logins = hsm.loginCalls("shim");
        // An empty PIN (end of input) is not a PIN: nothing reaches the card.
        Signed empty = sign("p-shim", "", "empty-pin.txt", "--pin-stdin");
        assertEquals(1, empty.result().exit(), empty.result().toString());
        assertTrue(empty.result().err().contains("PIN required"), empty.result().err());
        assertEquals(logins, hsm.loginCalls("shim"));
        // Three documents in one request with a wrong PIN: one login, then the others are not tried.
        Path out = tmp.resolve("out-wrong");
        List<Path> docs = List.of(doc("w1.txt"), doc("w2.txt"), doc("w3.txt"));
        List<String> args = new ArrayList<>(List.of("sign", "--profile", "p-shim", "--pin-stdin", "--out", out.toString()));
        docs.forEach(d -> args.add(d.toString()));
        Sigillum.Result r = run(WRONG_PIN + "\n", args.toArray(String[]::new));
        assertEquals(1, r.exit(), r.toString());
        assertEquals(2, hsm.triesLeft("shim"), "exactly one try used");
        assertEquals(logins + 1, hsm.loginCalls("shim"), "exactly one login reached the card");
        assertEquals(1, count(r.err(), "PIN incorrect: the PIN for token t-shim is wrong"), r.err());
        assertEquals(2, count(r.err(), "not tried: the PIN was refused for an earlier document"), r.err());
        assertTrue(r.err().contains("few tries are left"), r.err());

        // Mass activation: reported once with the card's flags; the next wrong one locks the card.
        Sigillum.Result a = activate("t-shim-mass", WRONG_PIN);
        assertEquals(1, a.exit(), a.toString());
        assertEquals(1, hsm.triesLeft("shim"));
        assertTrue(a.err().contains("one PIN try is left"), a.err());
        assertEquals(logins + 2, hsm.loginCalls("shim"));
        Sigillum.Result locking = activate("t-shim-mass", WRONG_PIN);
        assertTrue(locking.err().contains("token locked"), locking.toString());
        assertEquals(0, hsm.triesLeft("shim"));
        Server.await("token list to show the lock", 10_000, () -> {
            try {
                return tokenLine("t-shim-mass").contains("locked");
            } catch (Exception e) {
                return false;
            }
        });
        int before = hsm.loginCalls("shim");
        // Even the right PIN is not sent to a locked card.
        Sigillum.Result right = activate("t-shim-mass", SHIM_PIN);
        assertEquals(1, right.exit(), right.toString());
        assertTrue(right.err().contains("the PIN was not sent"), right.err());
        assertEquals(before, hsm.loginCalls("shim"));
        Signed indiv = sign("p-shim", SHIM_PIN + "\n", "locked.txt", "--pin-stdin");
        assertTrue(indiv.result().err().contains("locked"), indiv.result().toString());
        assertEquals(before, hsm.loginCalls("shim"));
        hsm.setTriesLeft("shim", 3); // the PUK, as an administrator would use it
    }

    @Test
    @Order(5)
    void aMassCardsTimeLimitEndsItsActivation() throws Exception {
        Instant activated = Instant.now();
        assertEquals(0, activate("t-clock", PIN).exit());
        String line = tokenLine("t-clock");
        assertTrue(line.contains("active") && line.contains("until"), line);
        Signed s = sign("p-clock", "", "clock-1.txt");
        assertEquals(0, s.result().exit(), s.result().toString());
        Server.await("the time limit", 20_000, () -> Instant.now().isAfter(activated.plusSeconds(8)));
        Signed late = sign("p-clock", "", "clock-2.txt");
        assertEquals(1, late.result().exit(), late.result().toString());
        assertTrue(late.result().err().contains("token needs activation"), late.result().err());
        assertTrue(tokenLine("t-clock").contains("needs activation"), tokenLine("t-clock"));
    }

    @Test
    @Order(6)
    void aPoolOfThreeCardsSharesABatch() throws Exception {
        Path root = home.resolve("hotfolder/in/pool");
        Files.writeString(tmp.resolve("pool.cfg"), "name = pool\nprofile = p-pool\nsettleMillis = 300\npollMillis = 100\n");
        Files.move(tmp.resolve("pool.cfg"), home.resolve("etc/org.sigillum.hotfolder-pool.cfg"));
        Server.await("root pool", 20_000, () -> Files.exists(root.resolve(".sigillum.lock")));
        Path batch = Files.createDirectories(root.resolve("b1"));
        for (int i = 0; i < 30; i++) {
            Files.writeString(batch.resolve("d" + i + ".txt"), "pooled document " + i + "\n");
        }
        Files.writeString(batch.resolve("APPROVED"), "");
        Path ready = home.resolve("hotfolder/out/pool/b1/READY");
        Server.await(ready.toString(), 60_000, () -> Files.exists(ready));
        String audit = Files.readString(home.resolve("log/audit.log"));
        int total = 0;
        assertTrue(tokenLine("pd").contains("missing"), tokenLine("pd"));
        for (String t : List.of("pa", "pb", "pc")) {
            int n = count(audit, "\"profile\": ?\"p-pool\"[^\\n]*\"token\": ?\"" + t + "\"[^\\n]*\"outcome\": ?\"signed\"");
            assertTrue(n >= 5, t + " signed " + n + " of 30:\n" + audit);
            total += n;
        }
        assertEquals(30, total);
        for (int i = 0; i < 30; i++) {
            Path o = home.resolve("hotfolder/out/pool/b1/d" + i + ".txt");
            assertEquals(0, Sigillum.openssl("cms", "-verify", "-binary", "-inform", "DER", "-in", o + ".p7s", "-content",
                    o.toString(), "-CAfile", hsm.caPem().toString(), "-out", "/dev/null"), o.toString());
        }
    }

    @Test
    @Order(7)
    void aTokenRemovedAndRecreatedUnderRunningWorkFailsFastAndTheBatchCompletesOnce() throws Exception {
        Path root = home.resolve("hotfolder/in/moving");
        Files.writeString(tmp.resolve("moving.cfg"), "name = moving\nprofile = p-moving\nsettleMillis = 300\npollMillis = 100\n"
                + "retrySeconds = 1\nretryMaxSeconds = 2\n");
        Files.move(tmp.resolve("moving.cfg"), home.resolve("etc/org.sigillum.hotfolder-moving.cfg"));
        Server.await("root moving", 20_000, () -> Files.exists(root.resolve(".sigillum.lock")));
        assertTrue(tokenLine("t-moving").contains("active"), tokenLine("t-moving"));
        hsm.setSignDelayMillis(100); // a card's pace, so that the removal falls in the middle
        try {
            Path batch = Files.createDirectories(root.resolve("b1"));
            int n = 40;
            for (int i = 0; i < n; i++) {
                Files.writeString(batch.resolve("m" + i + ".txt"), "moving document " + i + "\n");
            }
            Files.writeString(batch.resolve("APPROVED"), "");
            Path audit = home.resolve("log/audit.log");
            Server.await("some signatures", 30_000, () -> count(read(audit), "\"token\": ?\"t-moving\"[^\\n]*\"signed\"") >= 5);
            hsm.deleteToken("moving");
            Instant removed = Instant.now();

            // A request while the token is away fails with a retryable reason within a bounded time.
            Signed away = sign("p-moving", "", "away.txt");
            assertEquals(1, away.result().exit(), away.result().toString());
            assertTrue(away.result().err().contains("token unavailable"), away.result().err());
            assertTrue(Duration.between(removed, Instant.now()).toSeconds() < 20, "failed only after "
                    + Duration.between(removed, Instant.now()));
            Server.await("the token to show as missing", 10_000, () -> {
                try {
                    return tokenLine("t-moving").contains("missing");
                } catch (Exception e) {
                    return false;
                }
            });
            int signedBefore = count(read(audit), "\"token\": ?\"t-moving\"[^\\n]*\"signed\"");
            assertTrue(signedBefore < n, "the batch finished before the token went away; nothing was tested");

            hsm.createToken("moving", PIN, SO_PIN);
            hsm.addKey("moving", PIN, "key", "01", "rsa2048");
            Path ready = home.resolve("hotfolder/out/moving/b1/READY");
            Server.await(ready.toString(), 90_000, () -> Files.exists(ready));
            String log = read(audit);
            for (int i = 0; i < n; i++) {
                Path o = home.resolve("hotfolder/out/moving/b1/m" + i + ".txt");
                assertEquals(0, Sigillum.openssl("cms", "-verify", "-binary", "-inform", "DER", "-in", o + ".p7s", "-content",
                        o.toString(), "-CAfile", hsm.caPem().toString(), "-out", "/dev/null"), o.toString());
                assertEquals(1, count(log, "\"document\": ?\"m" + i + "\\.txt\"[^\\n]*\"outcome\": ?\"signed\""), "m" + i + " signed once");
            }
            assertTrue(log.contains("token unavailable"), "requests in flight failed as 'token unavailable'");
            assertTrue(server.log().contains("token t-moving: found 'moving'"), "found again after re-creation");
        } finally {
            hsm.setSignDelayMillis(0);
        }
    }

    @Test
    @Order(8)
    void aCardThatStopsAnsweringFailsTheRequestInBoundedTimeAndComesBack() throws Exception {
        assertEquals(0, activate("t-hang", PIN).exit());
        assertEquals(0, sign("p-hang", "", "hang-0.txt").result().exit());
        hsm.setSignDelayMillis(8000); // a card that hangs
        try {
            Instant t0 = Instant.now();
            Signed s = sign("p-hang", "", "hang-1.txt");
            long seconds = Duration.between(t0, Instant.now()).toSeconds();
            assertEquals(1, s.result().exit(), s.result().toString());
            assertTrue(s.result().err().contains("did not answer within 2 s"), s.result().err());
            assertTrue(seconds < 8, "answered after " + seconds + " s");
        } finally {
            hsm.setSignDelayMillis(0);
        }
        // Found again on the next check, with new threads (the stuck one stays behind); a mass card
        // that comes back waits for its activation.
        Server.await("t-hang to be found again", 30_000, () -> {
            try {
                return tokenLine("t-hang").contains("needs activation");
            } catch (Exception e) {
                return false;
            }
        });
        assertEquals(0, activate("t-hang", PIN).exit());
        Server.await("t-hang to sign again", 30_000, () -> {
            try {
                return sign("p-hang", "", "hang-" + System.nanoTime() + ".txt").result().exit() == 0;
            } catch (Exception e) {
                return false;
            }
        });
    }

    @Test
    @Order(9)
    void capacityFromTheMeasuredOrAGivenCardRate() throws Exception {
        Sigillum.Result given = run("", "capacity", "--documents", "100000", "--hours", "8", "--card-rate", "2/s");
        assertEquals(0, given.exit(), given.toString());
        // 100,000 in 8 h = 3.47/s: two cards at 2/s.
        assertTrue(given.out().contains("3.47 signatures/s"), given.out());
        assertTrue(given.out().contains("cards needed: 2 "), given.out());
        Sigillum.Result measured = run("", "capacity", "--documents", "100000", "--hours", "8");
        assertEquals(0, measured.exit(), measured.toString());
        assertTrue(measured.out().contains("measured on token"), measured.out());
        assertTrue(measured.out().contains("cards needed: 1 "), measured.out()); // SoftHSM is far faster than a card
        Sigillum.Result bad = run("", "capacity", "--documents", "100000", "--hours", "0");
        assertEquals(2, bad.exit(), bad.toString());
    }

    @Test
    @Order(10)
    void aMassCardStopsAtItsCountAndARestartDoesNotResetIt() throws Exception {
        assertEquals(0, activate("t-count", PIN).exit());
        assertTrue(tokenLine("t-count").contains("3 signatures left"), tokenLine("t-count"));
        Path out = tmp.resolve("out-count");
        Sigillum.Result two = run("", "sign", "--profile", "p-count", "--out", out.toString(), doc("c1.txt").toString(),
                doc("c2.txt").toString());
        assertEquals(0, two.exit(), two.toString());
        assertTrue(tokenLine("t-count").contains("1 signatures left"), tokenLine("t-count"));

        server.kill(); // kill -9: the count must already be on disk
        server = new Server(home, tmp.resolve("server.log")).withEnvironment(env).start(true);
        Server.await("t-count after the restart", 20_000, () -> {
            try {
                return tokenLine("t-count").contains("needs activation");
            } catch (Exception e) {
                return false;
            }
        });
        assertTrue(tokenLine("t-count").contains("1 signatures left"), "the interrupted activation is shown: " + tokenLine("t-count"));
        Signed before = sign("p-count", "", "c3.txt");
        assertTrue(before.result().err().contains("token needs activation"), before.result().toString());
        assertEquals(0, activate("t-count", PIN).exit());
        assertTrue(tokenLine("t-count").contains("1 signatures left"), "a restart never resets a limit: " + tokenLine("t-count"));
        assertEquals(0, sign("p-count", "", "c4.txt").result().exit());
        Signed over = sign("p-count", "", "c5.txt");
        assertEquals(1, over.result().exit(), over.result().toString());
        assertTrue(over.result().err().contains("token needs activation"), over.result().err());
        assertTrue(tokenLine("t-count").contains("needs activation"), tokenLine("t-count"));
        // Only a new activation after the limit starts a new count.
        assertEquals(0, activate("t-count", PIN).exit());
        assertTrue(tokenLine("t-count").contains("3 signatures left"), tokenLine("t-count"));
        Sigillum.Result d = run("", "token", "deactivate", "t-count");
        assertEquals(0, d.exit(), d.toString());
        assertTrue(tokenLine("t-count").contains("needs activation"), tokenLine("t-count"));
    }

    @Test
    @Order(11)
    void noPinAppearsInAnyLogOrStateFile() throws Exception {
        List<String> pins = List.of(PIN, INDIVIDUAL_PIN, SHIM_PIN, WRONG_PIN, POOL_PIN);
        List<Path> files;
        try (Stream<Path> s = Files.walk(home)) {
            // etc/ holds the unattended PINs on purpose (and is readable only by the server's account).
            files = s.filter(Files::isRegularFile).filter(p -> !p.startsWith(home.resolve("etc")))
                    .filter(p -> !p.startsWith(home.resolve("hotfolder"))).toList();
        }
        List<Path> all = new ArrayList<>(files);
        all.add(tmp.resolve("server.log"));
        assertTrue(all.stream().anyMatch(p -> p.endsWith("audit.log")), "the audit log was searched: " + all);
        for (Path f : all) {
            String text = new String(Files.readAllBytes(f), java.nio.charset.StandardCharsets.ISO_8859_1);
            for (String pin : pins) {
                assertFalse(text.contains(pin), "a PIN appears in " + f);
            }
        }
        assertNotEquals(0, files.size());
    }

    private static String read(Path f) {
        try {
            return Files.exists(f) ? Files.readString(f) : "";
        } catch (IOException e) {
            return "";
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
}
