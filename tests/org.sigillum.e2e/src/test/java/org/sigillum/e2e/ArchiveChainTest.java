package org.sigillum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each seal commits to the one before: three days sealed, then the database edited behind the
 * server's back (one entry changed; one whole day removed) must be caught by verify-chain.
 */
class ArchiveChainTest {

    @TempDir
    Path tmp;

    @Test
    void aChangedEntryAndARemovedDayBreakTheChain() throws Exception {
        Path home = tmp.resolve("home");
        Path log = tmp.resolve("server.log");
        try (Server server = new Server(home, log).start(true)) {
            for (int day = 0; day < 3; day++) {
                List<String> args = new ArrayList<>(List.of("sign", "--profile", "cades", "--out", tmp.resolve("out" + day).toString()));
                for (int i = 0; i < 3 + day; i++) {
                    args.add(Files.writeString(tmp.resolve("d" + day + "-" + i + ".txt"), "day " + day + " document " + i).toString());
                }
                assertEquals(0, Sigillum.run(home, args.toArray(String[]::new)).exit());
                Sigillum.Result seal = Sigillum.run(home, "archive", "seal");
                assertTrue(seal.out().contains("tree " + (day + 1) + " sealed: " + (3 + day) + " entries"), seal.toString());
            }
            Sigillum.Result chain = Sigillum.run(home, "archive", "verify-chain");
            assertEquals(0, chain.exit(), chain.toString());
            assertTrue(chain.out().contains("tree 3: 5 entries"), chain.out());
        }
        Path db = home.resolve("state/archive");
        Path backup = tmp.resolve("backup");
        copy(db, backup);

        // One byte of one document's hash in tree 1, as someone with access to the database would change it.
        try (Connection c = DriverManager.getConnection(url(db));
                java.sql.PreparedStatement read = c.prepareStatement("SELECT hashes FROM archive_block WHERE tree_id = 1 AND first_leaf <= 2 ORDER BY first_leaf DESC LIMIT 1");
                java.sql.ResultSet rs = read.executeQuery()) {
            assertTrue(rs.next());
            byte[] hashes = rs.getBytes(1);
            hashes[40] ^= 1;
            try (java.sql.PreparedStatement write = c.prepareStatement("UPDATE archive_block SET hashes = ? WHERE tree_id = 1 AND first_leaf = (SELECT MAX(first_leaf) FROM archive_block WHERE tree_id = 1 AND first_leaf <= 2)")) {
                write.setBytes(1, hashes);
                assertEquals(1, write.executeUpdate());
            }
        }
        try (Server server = new Server(home, log).start(true)) {
            Sigillum.Result chain = Sigillum.run(home, "archive", "verify-chain");
            assertEquals(1, chain.exit(), chain.toString());
            assertTrue(chain.out().contains("tree 1: its entries no longer hash to the stamped root"), chain.out());
        }

        copy(backup, db);
        sql(db, "DELETE FROM archive_block WHERE tree_id = 2", "DELETE FROM archive_stamp WHERE tree_id = 2",
                "DELETE FROM archive_tree WHERE id = 2");
        try (Server server = new Server(home, log).start(true)) {
            Sigillum.Result chain = Sigillum.run(home, "archive", "verify-chain");
            assertEquals(1, chain.exit(), chain.toString());
            assertTrue(chain.out().contains("tree 2 missing"), chain.out());
        }
    }

    private static void sql(Path dir, String... statements) throws Exception {
        try (Connection c = DriverManager.getConnection(url(dir)); Statement st = c.createStatement()) {
            for (String s : statements) {
                assertTrue(st.executeUpdate(s) > 0, s);
            }
        }
    }

    private static String url(Path dir) {
        return "jdbc:h2:file:" + dir.resolve("archive").toAbsolutePath() + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE";
    }

    private static void copy(Path from, Path to) throws Exception {
        if (Files.exists(to)) {
            try (Stream<Path> s = Files.walk(to)) {
                for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
    }
}
