package org.sigillum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Defect 2 of the security review: what the server keeps (the archive's database and kept
 * documents, the audit log, key stores and their passwords, signed outputs) is private to its
 * account, in a fresh home, after work, and after someone opened it by hand; a root shares its
 * folders only with the group its configuration names.
 */
class HomePermissionsTest {

    private static final Set<PosixFilePermission> GROUP_OR_OTHER = Set.of(PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    /** Everything below {@code dir} (and dir) that a group or other users may use, as "path mode". */
    private static List<String> open(Path dir) throws IOException {
        List<String> found = new ArrayList<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.toList()) {
                if (Files.isSymbolicLink(p) || !Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
                if (perms.stream().anyMatch(GROUP_OR_OTHER::contains)) {
                    found.add(dir.relativize(p) + " " + PosixFilePermissions.toString(perms));
                }
            }
        }
        return found;
    }

    private static void sign(Path home, String root, String batch) throws Exception {
        Path b = Files.createDirectories(home.resolve("hotfolder/in/" + root + "/" + batch));
        Files.writeString(b.resolve("doc.txt"), "a document");
        Files.writeString(b.resolve("APPROVED"), "");
        Path ready = home.resolve("hotfolder/out/" + root + "/" + batch + "/READY");
        Server.await(ready.toString(), 30_000, () -> Files.exists(ready));
    }

    @Test
    void whatTheServerKeepsIsPrivateAndAnOpenedHomeIsRepairedAtStart(@TempDir Path tmp) throws Exception {
        Path home = tmp.resolve("home");
        Path log = tmp.resolve("server.log");
        try (Server server = new Server(home, log).start(true)) {
            sign(home, "cades", "b1");
            // Written as an operator with umask 077 would (one written open is repaired at the next start, below).
            Path cfg = Files.createFile(tmp.resolve("shared.cfg"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(cfg, "name = shared\nprofile = cades\nsettleMillis = 300\npollMillis = 100\ngroup = daemon\n");
            Files.move(cfg, home.resolve("etc/org.sigillum.hotfolder-shared.cfg"));
            Server.await("the shared root", 20_000, () -> Files.exists(home.resolve("hotfolder/in/shared/.sigillum.lock")));
            sign(home, "shared", "b2");
            Sigillum.Result sealed = Sigillum.run(home, "archive", "seal");
            assertEquals(0, sealed.exit(), sealed.toString());
        }
        assertTrue(Files.isDirectory(home.resolve("state")), "the archive keeps its state in state/");
        List<String> open = new ArrayList<>();
        for (String part : List.of("etc", "pki", "state", "log", "run", "tsa", "deploy", "hotfolder/work", "hotfolder/in/cades",
                "hotfolder/out/cades", "hotfolder/error/cades")) {
            open.addAll(open(home.resolve(part)).stream().map(s -> part + "/" + s).toList());
        }
        assertEquals(List.of(), open, "open to other local users after a run");

        // The shared root: its group may add batches and read results, nobody else may.
        Path sharedOut = home.resolve("hotfolder/out/shared/b2/doc.txt.p7s");
        assertEquals("daemon", Files.getAttribute(sharedOut, "posix:group", LinkOption.NOFOLLOW_LINKS).toString());
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(sharedOut)));
        assertEquals("rwxrwx---", PosixFilePermissions.toString(Files.getPosixFilePermissions(home.resolve("hotfolder/in/shared"))));

        // Someone opens the sensitive parts by hand (a restore, a chmod -R): the next start repairs and says so.
        for (String part : List.of("state", "log", "etc")) {
            try (Stream<Path> s = Files.walk(home.resolve(part))) {
                for (Path p : s.toList()) {
                    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
                    perms.addAll(Set.of(PosixFilePermission.GROUP_READ, PosixFilePermission.OTHERS_READ));
                    Files.setPosixFilePermissions(p, perms);
                }
            }
        }
        try (Server server = new Server(home, log).start(true)) {
            String text = server.log();
            for (String part : List.of("state", "log", "etc")) {
                assertTrue(text.contains(home.resolve(part) + " was open to other local users"), "not said for " + part + ":\n" + text);
            }
        }
        for (String part : List.of("state", "log", "etc")) {
            assertEquals(List.of(), open(home.resolve(part)), part + " still open after a start");
        }
    }
}
