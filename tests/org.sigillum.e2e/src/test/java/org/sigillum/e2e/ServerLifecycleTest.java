package org.sigillum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server as an operator runs it: ./sigillum run in the foreground, plug-ins taken out of and
 * put back into deploy/, a profile added and removed in etc/, SIGTERM, kill -9, and a restart.
 */
class ServerLifecycleTest {

    @TempDir
    Path tmp;
    private Process server;
    private Path log;

    @AfterEach
    void stop() throws Exception {
        if (server != null && server.isAlive()) {
            server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private long start(Path home) throws Exception {
        log = tmp.resolve("server-" + System.nanoTime() + ".log");
        long t0 = System.nanoTime();
        server = Sigillum.command(home, "run").redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long end = System.currentTimeMillis() + 90_000;
        while (!Files.readString(log).contains("sigillum: ready")) {
            assertTrue(server.isAlive(), "server died:\n" + Files.readString(log));
            assertTrue(System.currentTimeMillis() < end, "no 'sigillum: ready' in 90 s:\n" + Files.readString(log));
            Thread.sleep(20);
        }
        return (System.nanoTime() - t0) / 1_000_000;
    }

    private Sigillum.Result signUntil(Path home, Path doc, Predicate<Sigillum.Result> done) throws Exception {
        long end = System.currentTimeMillis() + 20_000;
        while (true) {
            Sigillum.Result r = Sigillum.run(home, "sign", "--profile", "cades", "--out", tmp.resolve("out").toString(), doc.toString());
            if (done.test(r) || System.currentTimeMillis() > end) {
                return r;
            }
            Thread.sleep(200);
        }
    }

    @Test
    void pluginsAndProfilesComeAndGoWhileTheServerRuns() throws Exception {
        Path home = tmp.resolve("home");
        start(home);
        String firstLog = Files.readString(log);
        assertTrue(firstLog.contains("created a new runtime home"), firstLog);
        Path doc = Files.writeString(tmp.resolve("doc.txt"), "hot deploy");

        Sigillum.Result ok = Sigillum.run(home, "sign", "--profile", "cades", "--out", tmp.resolve("out").toString(), doc.toString());
        assertEquals(0, ok.exit(), ok.toString());

        // The way the README tells sites to remove a format: take its jar out of deploy/.
        Path jar = home.resolve("deploy/org.sigillum.format.cades.jar");
        Path aside = tmp.resolve("org.sigillum.format.cades.jar");
        Files.move(jar, aside);
        Sigillum.Result gone = signUntil(home, doc, r -> r.exit() != 0);
        assertNotEquals(0, gone.exit(), gone.toString());
        assertTrue(gone.err().contains("format unavailable"), gone.toString());

        Files.move(aside, jar);
        Sigillum.Result back = signUntil(home, doc, r -> r.exit() == 0);
        assertEquals(0, back.exit(), back.toString());

        // A profile file added to etc/ works without a restart; removed, it is gone.
        Path second = home.resolve("etc/org.sigillum.profile-second.cfg");
        Files.writeString(tmp.resolve("second.cfg"), Files.readString(home.resolve("etc/org.sigillum.profile-cades.cfg"))
                .replace("name = cades", "name = second").replace("packaging = detached", "packaging = embedded"));
        Files.move(tmp.resolve("second.cfg"), second, StandardCopyOption.ATOMIC_MOVE);
        Sigillum.Result viaSecond = null;
        for (int i = 0; i < 50; i++) {
            viaSecond = Sigillum.run(home, "sign", "--profile", "second", "--out", tmp.resolve("out2").toString(), doc.toString());
            if (viaSecond.exit() == 0) {
                break;
            }
            Thread.sleep(200);
        }
        assertEquals(0, viaSecond.exit(), viaSecond.toString());
        assertTrue(Files.isRegularFile(tmp.resolve("out2/doc.txt.p7m")), "the new profile's packaging applies");

        // Changed in place: the new packaging applies without a restart.
        Files.writeString(tmp.resolve("second.cfg"), Files.readString(second).replace("packaging = embedded", "packaging = detached"));
        Files.move(tmp.resolve("second.cfg"), second, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Path changed = tmp.resolve("out4/doc.txt.p7s");
        for (int i = 0; i < 50 && !Files.isRegularFile(changed); i++) {
            Sigillum.run(home, "sign", "--profile", "second", "--out", tmp.resolve("out4").toString(), doc.toString());
            Thread.sleep(200);
        }
        assertTrue(Files.isRegularFile(changed), "the changed profile's packaging applies");
        Files.delete(second);
        Sigillum.Result removed = null;
        for (int i = 0; i < 50; i++) {
            removed = Sigillum.run(home, "sign", "--profile", "second", "--out", tmp.resolve("out3").toString(), doc.toString());
            if (removed.exit() != 0) {
                break;
            }
            Thread.sleep(200);
        }
        assertTrue(removed.err().contains("no profile named 'second'"), removed.toString());
    }

    @Test
    void aTokenWithoutPasswordWaitsForActivationAndAWrongOneIsReportedOnce() throws Exception {
        Path home = tmp.resolve("home");
        start(home);
        String demo = Files.readString(home.resolve("etc/org.sigillum.token.soft-demo.cfg"));
        String password = demo.lines().filter(l -> l.startsWith(".password")).findFirst().orElseThrow().split("=", 2)[1].trim();
        Path staging = tmp.resolve("staging");
        Files.createDirectories(staging);
        Files.writeString(staging.resolve("t.cfg"), "id = waiting\npath = pki/demo-signer.p12\n");
        Files.move(staging.resolve("t.cfg"), home.resolve("etc/org.sigillum.token.soft-waiting.cfg"));
        Files.writeString(staging.resolve("p.cfg"), "name = waiting\nformat = cades\nlevel = B\ntokens = waiting\n");
        Files.move(staging.resolve("p.cfg"), home.resolve("etc/org.sigillum.profile-waiting.cfg"));
        Path doc = Files.writeString(tmp.resolve("w.txt"), "needs a PIN");

        Sigillum.Result r = null;
        for (int i = 0; i < 50; i++) {
            r = Sigillum.run(home, "sign", "--profile", "waiting", "--out", tmp.resolve("w").toString(), doc.toString());
            if (r.err().contains("token needs activation")) {
                break;
            }
            Thread.sleep(200);
        }
        assertNotEquals(0, r.exit());
        assertTrue(r.err().contains("token needs activation"), r.toString());

        Sigillum.Result wrong = Sigillum.runWithInput(home, "not-the-password\n", "token", "activate", "waiting");
        assertEquals(1, wrong.exit(), wrong.toString());
        assertTrue(wrong.err().contains("PIN incorrect"), wrong.toString());
        assertFalse((wrong.out() + wrong.err()).contains("not-the-password"), "a PIN is never echoed back");

        Sigillum.Result ok = Sigillum.runWithInput(home, password + "\n", "token", "activate", "waiting");
        assertEquals(0, ok.exit(), ok.toString());
        Sigillum.Result signed = Sigillum.run(home, "sign", "--profile", "waiting", "--out", tmp.resolve("w").toString(), doc.toString());
        assertEquals(0, signed.exit(), signed.toString());
        String audit = Files.readString(home.resolve("log/audit.log"));
        assertFalse(audit.contains(password) || audit.contains("not-the-password"), "the audit log holds no PIN");
        assertTrue(audit.contains("\"event\":\"token activation\""), audit);
        assertFalse(Files.readString(log).contains("not-the-password"), "the server log holds no PIN");
    }

    @Test
    void twoCommandsAtOnceOnAFreshHomeShareOneServerAndOneDemoPki() throws Exception {
        Path home = tmp.resolve("fresh");
        Path a = Files.writeString(tmp.resolve("a.txt"), "first");
        Path b = Files.writeString(tmp.resolve("b.txt"), "second");
        Process pa = Sigillum.command(home, "sign", "--profile", "cades", "--out", tmp.resolve("oa").toString(), a.toString())
                .redirectErrorStream(true).redirectOutput(tmp.resolve("a.log").toFile()).start();
        Process pb = Sigillum.command(home, "sign", "--profile", "cades", "--out", tmp.resolve("ob").toString(), b.toString())
                .redirectErrorStream(true).redirectOutput(tmp.resolve("b.log").toFile()).start();
        assertTrue(pa.waitFor(120, TimeUnit.SECONDS) && pb.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, pa.exitValue(), Files.readString(tmp.resolve("a.log")));
        assertEquals(0, pb.exitValue(), Files.readString(tmp.resolve("b.log")));
        // One home initialisation only: both signatures chain to the one demo root it holds.
        assertEquals(0, Sigillum.run(home, "verify", tmp.resolve("oa/a.txt.p7s").toString(), "--data", a.toString()).exit());
        assertEquals(0, Sigillum.run(home, "verify", tmp.resolve("ob/b.txt.p7s").toString(), "--data", b.toString()).exit());
    }

    @Test
    void sigtermStopsCleanlyKillNineIsSurvivedAndARestartIsQuick() throws Exception {
        Path home = tmp.resolve("home");
        start(home);
        Path socket = home.resolve("run/control.sock");
        assertTrue(Files.exists(socket));

        server.destroy(); // SIGTERM
        assertTrue(server.waitFor(20, TimeUnit.SECONDS), "the server did not stop on SIGTERM");
        assertFalse(Files.exists(socket), "a clean stop removes the control socket");

        long ms = start(home);
        System.out.println("restart on an existing home: 'sigillum: ready' after " + ms + " ms");
        assertTrue(ms < 15_000, "ready took " + ms + " ms");

        server.destroyForcibly(); // kill -9: the socket file stays behind
        server.waitFor(10, TimeUnit.SECONDS);
        start(home);
        Path doc = Files.writeString(tmp.resolve("after-crash.txt"), "still signing");
        Sigillum.Result r = Sigillum.run(home, "sign", "--profile", "cades", "--out", tmp.resolve("out").toString(), doc.toString());
        assertEquals(0, r.exit(), r.toString());
    }

    @Test
    void aHomeFromBeforeHotFoldersGetsTheDefaultRootOnceAndARemovalStays() throws Exception {
        Path home = tmp.resolve("old-home");
        start(home);
        server.destroy();
        assertTrue(server.waitFor(60, TimeUnit.SECONDS));
        // What a home made before hot folders looked like.
        Path cfg = home.resolve("etc/org.sigillum.hotfolder-cades.cfg");
        Path jar = home.resolve("deploy/org.sigillum.channel.hotfolder.jar");
        Files.writeString(home.resolve("etc/.sigillum-home"), "created by Sigillum\n");
        Files.delete(cfg);
        Files.delete(jar);

        start(home);
        assertTrue(Files.exists(cfg) && Files.exists(jar), "the upgrade adds the hot-folder root and plug-in");
        long end = System.currentTimeMillis() + 20_000;
        Sigillum.Result status;
        do {
            Thread.sleep(200);
            status = Sigillum.run(home, "status");
        } while (!status.out().contains("hotfolder cades ") && System.currentTimeMillis() < end);
        assertTrue(status.out().contains("hotfolder cades "), status.toString());
        server.destroy();
        assertTrue(server.waitFor(60, TimeUnit.SECONDS));

        // A site that then removes them keeps them removed.
        Files.delete(cfg);
        Files.delete(jar);
        start(home);
        assertFalse(Files.exists(cfg) || Files.exists(jar));
    }
}
