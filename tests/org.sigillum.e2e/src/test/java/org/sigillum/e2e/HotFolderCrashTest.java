package org.sigillum.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly once under kill -9. Each round drops a new 500-document batch, starts the server and
 * kills it at a random moment (during start-up and recovery, signing, or publishing). After every
 * kill, what is visible in out/ must be whole; after the last round the server finishes, and every
 * document must be in out/ exactly once, with the very bytes that were put in, signed validly.
 */
class HotFolderCrashTest {

    static final int ROUNDS = 20;
    static final int DOCS = 500;
    static final int WORKERS = 2;

    @TempDir
    Path tmp;

    @Test
    void killNineAtRandomMomentsNeverLosesNorDuplicatesADocument() throws Exception {
        Path home = tmp.resolve("home");
        Server server = new Server(home, tmp.resolve("server.log")).start(true);
        // Two roots: "crash" publishes within one file system (a rename), "remote" to /dev/shm, a
        // tmpfs (a copy into a hidden folder, then a rename). Rounds alternate between them.
        Path shm = Files.createTempDirectory(Path.of("/dev/shm"), "sigillum-crash-");
        assertTrue(!Files.getFileStore(shm).equals(Files.getFileStore(home)), "/dev/shm must be another file system");
        List<Folders> roots = List.of(new Folders(home, "crash", home.resolve("hotfolder/out/crash"), home.resolve("hotfolder/error/crash")),
                new Folders(home, "remote", shm.resolve("out"), shm.resolve("error")));
        for (Folders f : roots) {
            Path cfg = tmp.resolve(f.name() + ".cfg");
            Files.writeString(cfg, "name = " + f.name() + "\nprofile = cades\nsettleMillis = 0\npollMillis = 100\nworkers = " + WORKERS
                    + "\nout = " + f.out() + "\nerror = " + f.error() + "\n");
            Files.move(cfg, home.resolve("etc/org.sigillum.hotfolder-" + f.name() + ".cfg"));
            Server.await("root " + f.name(), 20_000, () -> Files.exists(f.in().resolve(".sigillum.lock")));
        }
        server.kill();
        try {
            crashRounds(home, server, roots);
        } finally {
            try (Stream<Path> st = Files.walk(shm)) {
                for (Path p : st.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    record Folders(Path home, String name, Path out, Path error) {
        Path in() {
            return home.resolve("hotfolder/in/" + name);
        }

        Path work() {
            return home.resolve("hotfolder/work/" + name);
        }
    }

    private void crashRounds(Path home, Server server, List<Folders> roots) throws Exception {
        long seed = System.nanoTime();
        System.out.println("HotFolderCrashTest seed " + seed);
        Random rnd = new Random(seed);
        Map<String, byte[]> expected = new HashMap<>();
        int kills = 0;
        for (int round = 1; round <= ROUNDS; round++) {
            String batch = String.format("r%02d", round);
            Path b = Files.createDirectories(roots.get(round % 2).in().resolve(batch));
            for (int d = 0; d < DOCS; d++) {
                String name = (d % 5 == 0 ? "sub/" : "") + batch + "-d" + d + ".txt";
                byte[] content = new byte[512 + rnd.nextInt(3000)];
                rnd.nextBytes(content);
                Files.createDirectories(b.resolve(name).getParent());
                Files.write(b.resolve(name), content);
                expected.put(batch + "/" + name, content);
            }
            Files.writeString(b.resolve("APPROVED"), "");
            boolean duringStartup = round % 4 == 0;
            server.start(!duringStartup);
            Thread.sleep(duringStartup ? 300 + rnd.nextInt(3700) : rnd.nextInt(1500));
            server.kill();
            kills++;
            checkWhatIsVisible(roots);
        }

        server.start(true);
        try {
            Server.await("every batch to be published", 240_000, () -> {
                for (int r = 1; r <= ROUNDS; r++) {
                    if (!Files.exists(roots.get(r % 2).out().resolve(String.format("r%02d", r)).resolve("READY"))) {
                        return false;
                    }
                }
                for (Folders f : roots) {
                    try (Stream<Path> s = Files.list(f.work())) {
                        if (s.anyMatch(p -> Files.isDirectory(p))) {
                            return false;
                        }
                    } catch (IOException e) {
                        return false;
                    }
                }
                return true;
            });
        } finally {
            server.close();
        }
        checkWhatIsVisible(roots);

        for (Folders f : roots) {
            try (Stream<Path> s = Files.list(f.out())) {
                assertEquals(ROUNDS / 2, s.count(), f.name() + ": one output folder per batch, no suffixed duplicates or hidden parts");
            }
            try (Stream<Path> s = Files.list(f.in())) {
                assertEquals(List.of(), s.filter(p -> !p.getFileName().toString().startsWith(".")).toList(), "inputs are cleared");
            }
            assertFalse(Files.exists(f.error()) && Files.list(f.error()).findAny().isPresent(), "nothing went to error");
        }

        Path anchor = home.resolve("pki/demo-root.pem");
        int checkedByOpenssl = 0;
        for (int round = 1; round <= ROUNDS; round++) {
            String batch = String.format("r%02d", round);
            Path o = roots.get(round % 2).out().resolve(batch);
            String ready = Files.readString(o.resolve("READY"));
            assertTrue(ready.contains("\"signed\": " + DOCS + ",") && ready.contains("\"failed\": 0,"), ready.substring(0, 300));
            long files;
            try (Stream<Path> s = Files.walk(o)) {
                files = s.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).count();
            }
            assertEquals(2L * DOCS + 1, files, batch + ": a copy and a signature per document, and READY");
            for (int d = 0; d < DOCS; d++) {
                String name = (d % 5 == 0 ? "sub/" : "") + batch + "-d" + d + ".txt";
                byte[] want = expected.get(batch + "/" + name);
                assertArrayEquals(want, Files.readAllBytes(o.resolve(name)), name);
                assertTrue(ready.contains("\"sha256\": \"" + sha256(want) + "\""), name + " missing from READY");
                assertTrue(Files.size(o.resolve(name + ".p7s")) > 500, name);
                if (d % 50 == 7) {
                    assertEquals(0, Sigillum.openssl("cms", "-verify", "-binary", "-inform", "DER", "-in",
                            o.resolve(name + ".p7s").toString(), "-content", o.resolve(name).toString(), "-CAfile",
                            anchor.toString(), "-out", "/dev/null"), "openssl rejects " + name);
                    checkedByOpenssl++;
                }
            }
        }

        // The audit log counts real signatures. A signature made in the instant before a kill, and
        // not yet journaled, is made again after the restart: at most one per worker per kill.
        Map<String, Integer> signatures = new HashMap<>();
        Pattern p = Pattern.compile("\"channel\":\"hotfolder:(?:crash|remote)\".*\"document\":\"([^\"]+)\".*\"outcome\":\"signed\"");
        for (String line : Files.readAllLines(home.resolve("log/audit.log"))) {
            Matcher m = p.matcher(line);
            if (m.find()) {
                signatures.merge(m.group(1), 1, Integer::sum);
            }
        }
        int extra = signatures.values().stream().mapToInt(n -> n - 1).sum();
        System.out.println("HotFolderCrashTest: " + kills + " kills, " + signatures.size() + " documents, " + extra
                + " signatures made again after a kill, " + checkedByOpenssl + " checked by openssl");
        assertEquals(ROUNDS * DOCS, signatures.size());
        // The kills must have hit work in progress, or this test proves nothing.
        int resumed = 0;
        Matcher r = Pattern.compile("resuming batch").matcher(server.log());
        while (r.find()) {
            resumed++;
        }
        System.out.println("HotFolderCrashTest: batches resumed after a kill: " + resumed);
        assertTrue(resumed >= ROUNDS / 2, "only " + resumed + " resumed batches: the kills missed the work");
        assertTrue(extra <= kills * WORKERS, extra + " repeated signatures for " + kills + " kills");
    }

    /** At any moment: every output folder is complete (READY inside), no temporary file, no document twice. */
    private static void checkWhatIsVisible(List<Folders> roots) throws IOException {
        Map<String, Path> seen = new HashMap<>();
        for (Folders f : roots) {
            checkWhatIsVisible(f.out(), f.error(), seen);
        }
    }

    private static void checkWhatIsVisible(Path out, Path error, Map<String, Path> seen) throws IOException {
        for (Path top : List.of(out, error)) {
            if (!Files.exists(top)) {
                continue;
            }
            try (Stream<Path> batches = Files.list(top)) {
                for (Path b : batches.toList()) {
                    assertFalse(b.getFileName().toString().startsWith("."), "a hidden, half-published folder is left: " + b);
                    if (top == out) {
                        assertTrue(Files.exists(b.resolve("READY")), "an output folder without READY: " + b);
                    }
                    try (Stream<Path> s = Files.walk(b)) {
                        for (Path f : s.filter(x -> Files.isRegularFile(x, LinkOption.NOFOLLOW_LINKS)).toList()) {
                            String n = f.getFileName().toString();
                            assertFalse(n.startsWith("."), "temporary file visible: " + f);
                            if (n.endsWith(".txt")) {
                                Path before = seen.put(n, f);
                                assertEquals(null, before, n + " is in two places: " + before + " and " + f);
                            }
                        }
                    }
                }
            }
        }
    }

    private static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }
}
