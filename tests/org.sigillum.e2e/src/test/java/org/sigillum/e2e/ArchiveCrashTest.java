package org.sigillum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 while documents are entered and trees sealed, over several rounds: afterwards every
 * receipt the server handed out (each is in the audit log) is in a sealed tree and has an evidence
 * record our verifier accepts, and the chain of seals holds (no tree lost, none sealed twice).
 */
class ArchiveCrashTest {

    @TempDir
    Path tmp;

    @Test
    void killedWhileEnteringAndSealingLosesNoReceipt() throws Exception {
        long seed = System.nanoTime();
        System.out.println("ArchiveCrashTest seed " + seed);
        Random random = new Random(seed);
        Path home = tmp.resolve("home");
        Path log = tmp.resolve("server.log");
        List<Path> documents = new ArrayList<>();
        for (int round = 0; round < 4; round++) {
            Server server = new Server(home, log).start(true);
            AtomicBoolean running = new AtomicBoolean(true);
            int r = round;
            Thread signer = new Thread(() -> {
                for (int batch = 0; running.get(); batch++) {
                    List<String> args = new ArrayList<>(List.of("sign", "--profile", "cades", "--out", tmp.resolve("out").toString()));
                    for (int i = 0; i < 10; i++) {
                        try {
                            Path d = Files.writeString(tmp.resolve("r" + r + "-b" + batch + "-" + i + ".txt"), "round " + r + " batch " + batch + " doc " + i);
                            synchronized (documents) {
                                documents.add(d);
                            }
                            args.add(d.toString());
                        } catch (Exception e) {
                            return;
                        }
                    }
                    try {
                        Sigillum.run(home, args.toArray(String[]::new));
                    } catch (Exception e) {
                        return;
                    }
                }
            });
            Thread sealer = new Thread(() -> {
                while (running.get()) {
                    try {
                        Sigillum.run(home, "archive", "seal");
                        Thread.sleep(200);
                    } catch (Exception e) {
                        return;
                    }
                }
            });
            signer.start();
            sealer.start();
            Thread.sleep(2_000 + random.nextInt(3_000));
            server.kill();
            running.set(false);
            signer.join(60_000);
            sealer.join(60_000);
        }
        try (Server server = new Server(home, log).start(true)) {
            Sigillum.Result seal = Sigillum.run(home, "archive", "seal");
            assertEquals(0, seal.exit(), seal.toString());
            Sigillum.Result chain = Sigillum.run(home, "archive", "verify-chain");
            assertEquals(0, chain.exit(), chain.toString());

            // Every receipt handed out is in the audit log beside its document's name.
            String audit = Files.readString(home.resolve("log/audit.log"));
            Matcher m = Pattern.compile("\"document\": ?\"([^\"]+)\"[^\\n]*\"archive\": ?\"([0-9]+)\"").matcher(audit);
            Set<String> receipts = new LinkedHashSet<>();
            List<String[]> pairs = new ArrayList<>();
            while (m.find()) {
                if (receipts.add(m.group(2))) {
                    pairs.add(new String[] { m.group(1), m.group(2) });
                }
            }
            assertTrue(pairs.size() >= 10, "too few documents were archived to test anything: " + pairs.size());
            int checked = 0;
            for (int i = 0; i < pairs.size(); i++) {
                String[] p = pairs.get(i);
                Path ers = tmp.resolve("e" + p[1] + ".ers");
                Sigillum.Result ev = Sigillum.run(home, "archive", "evidence", p[1], "--out", ers.toString());
                assertEquals(0, ev.exit(), "receipt " + p[1] + " of " + p[0] + ": " + ev);
                // Verifying every record costs a JVM start each; every fifth shows the records hold.
                if (i % 5 == 0) {
                    Sigillum.Result v = Sigillum.run(home, "archive", "verify", tmp.resolve(p[0]).toString(), ers.toString());
                    assertEquals(0, v.exit(), p[0] + ": " + v);
                    checked++;
                }
            }
            assertTrue(checked > 0);

            // Every committed entry has its document and signature kept, intact: a hash-tree
            // renewal finds each one (it exits 1 and names any entry whose copy is missing or changed).
            Sigillum.Result renew = Sigillum.run(home, "archive", "renew", "--digest", "SHA-512");
            assertEquals(0, renew.exit(), renew.toString());
            assertTrue(renew.out().contains("hash-tree renewal to SHA-512: "), renew.out());
            String[] last = pairs.get(pairs.size() - 1);
            Path ers = tmp.resolve("renewed.ers");
            assertEquals(0, Sigillum.run(home, "archive", "evidence", last[1], "--out", ers.toString()).exit());
            Sigillum.Result v = Sigillum.run(home, "archive", "verify", tmp.resolve(last[0]).toString(), ers.toString());
            assertEquals(0, v.exit(), v.toString());
            assertTrue(v.out().contains("hash-tree renewal"), v.out());
        }
    }
}
