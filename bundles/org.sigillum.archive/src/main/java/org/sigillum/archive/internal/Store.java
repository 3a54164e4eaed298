package org.sigillum.archive.internal;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.h2.jdbcx.JdbcDataSource;

/**
 * The archive's durable state in an embedded H2 database, through plain JDBC. H2 because it is a
 * single OSGi bundle on Maven Central, embeds with no server, survives kill -9 with committed
 * transactions intact (MVStore), and has a PostgreSQL mode: the schema uses PostgreSQL's types
 * (BIGINT, INTEGER, VARCHAR, BYTEA, TIMESTAMP WITH TIME ZONE) so that a later issue can point the
 * same statements at PostgreSQL for a cluster.
 *
 * <p>Entries are stored as blocks, one row per group commit: the hashes of a thousand documents in
 * one BYTEA (per entry a flag byte, the document hash, the signature hash or zeros). One row per
 * document made the seal read a million rows back through JDBC (5 s of a 9 s seal at 1M). The flag
 * byte: bit 0, the entry has a signature hash; bit 1, the entry is a hash-tree renewal (RFC 4998
 * §5.3) of an older entry, named in {@code archive_renewal}.
 *
 * <p>Tree states: OPEN (taking entries), CLOSED (waiting for its time stamp), SEALED, RENEWED (sealed,
 * and its entries have a newer chain in a stronger digest: its own chain is closed, since a later
 * time stamp in it would change the chains the renewal hashed).
 *
 * <p>One connection, used by one thread at a time (the archive's writer or a seal): the archive
 * serialises its writes anyway, and group commit makes one transaction of many entries.
 */
final class Store implements AutoCloseable {

    static final String SCHEMA = """
            CREATE TABLE IF NOT EXISTS archive_tree (
              id BIGINT PRIMARY KEY,
              digest VARCHAR(16) NOT NULL,
              state VARCHAR(8) NOT NULL,
              opened_at TIMESTAMP WITH TIME ZONE NOT NULL,
              closed_at TIMESTAMP WITH TIME ZONE,
              entries BIGINT,
              link BYTEA,
              root BYTEA,
              sealed_at TIMESTAMP WITH TIME ZONE
            );
            CREATE TABLE IF NOT EXISTS archive_block (
              tree_id BIGINT NOT NULL,
              first_leaf INTEGER NOT NULL,
              first_id BIGINT NOT NULL,
              entries INTEGER NOT NULL,
              hashes BYTEA NOT NULL,
              PRIMARY KEY (tree_id, first_leaf)
            );
            CREATE UNIQUE INDEX IF NOT EXISTS archive_block_id ON archive_block (first_id);
            CREATE TABLE IF NOT EXISTS archive_stamp (
              tree_id BIGINT NOT NULL,
              seq INTEGER NOT NULL,
              stamp BYTEA NOT NULL,
              gen_time TIMESTAMP WITH TIME ZONE NOT NULL,
              authority VARCHAR(200),
              PRIMARY KEY (tree_id, seq)
            );
            CREATE TABLE IF NOT EXISTS archive_renewal (
              renewal_id BIGINT PRIMARY KEY,
              original_id BIGINT NOT NULL,
              prior_stamps INTEGER NOT NULL
            );
            CREATE INDEX IF NOT EXISTS archive_renewal_original ON archive_renewal (original_id);
            CREATE TABLE IF NOT EXISTS archive_object (
              digest VARCHAR(16) NOT NULL,
              hash BYTEA NOT NULL,
              pack INTEGER NOT NULL,
              pack_offset BIGINT NOT NULL,
              length BIGINT NOT NULL,
              PRIMARY KEY (digest, hash)
            );
            CREATE TABLE IF NOT EXISTS archive_setting (
              name VARCHAR(64) PRIMARY KEY,
              setting VARCHAR(200) NOT NULL
            );
            """;

    private final Connection db;

    Store(Path file) throws SQLException {
        JdbcDataSource ds = new JdbcDataSource();
        // PostgreSQL mode keeps us honest about portability; the database file is <file>.mv.db.
        // WRITE_DELAY=0: H2 otherwise writes commits up to a second later, and a kill -9 in that
        // second lost receipts already handed out (ArchiveCrashTest found it).
        ds.setURL("jdbc:h2:file:" + file.toAbsolutePath() + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;WRITE_DELAY=0");
        db = ds.getConnection();
        db.setAutoCommit(false);
        try (Statement st = db.createStatement()) {
            for (String sql : SCHEMA.split(";")) {
                if (!sql.isBlank()) {
                    st.execute(sql);
                }
            }
        }
        db.commit();
    }

    record Tree(long id, String digest, String state, Instant openedAt, long entries, byte[] link, byte[] root) {
        /** Sealed, whether or not a hash-tree renewal has closed its chain since. */
        boolean sealed() {
            return state.equals("SEALED") || state.equals("RENEWED");
        }
    }

    /**
     * {@code renewal}: the flag; for a renewal entry being inserted, {@code renews} is the entry it
     * renews and {@code priorStamps} the number of time stamps the newest chain before it had when
     * the renewal hashed the chains (later time stamps of that chain are not part of this entry's
     * record). Both are 0 when read from a block.
     */
    record Entry(long id, long tree, int leaf, byte[] documentHash, byte[] signatureHash, boolean renewal, long renews, int priorStamps) {
        Entry(long id, long tree, int leaf, byte[] documentHash, byte[] signatureHash) {
            this(id, tree, leaf, documentHash, signatureHash, false, 0, 0);
        }
    }

    /** A renewal of an entry, and how many stamps the chain before it had then. */
    record Renewal(long id, int priorStamps) {
    }

    /** A kept document or signature: its hash in {@code digest} and where its bytes are. */
    record KeptObject(String digest, byte[] hash, DocumentStore.Location at) {
    }

    /** A tree's archive time stamp: seq 0 seals it, each later one renews the ones before (§5.2); all in the tree's digest. */
    record Stamp(long tree, int seq, byte[] stamp, Instant genTime, String authority) {
    }

    /** The open tree, created (as tree 1, or after the newest) when there is none. */
    synchronized Tree openTree(String digest) throws SQLException {
        try (PreparedStatement ps = db.prepareStatement("SELECT id, digest, state, opened_at, entries, link, root FROM archive_tree WHERE state = 'OPEN'");
                ResultSet rs = ps.executeQuery()) {
            if (rs.next()) {
                return tree(rs);
            }
        }
        long id = 1;
        try (Statement st = db.createStatement(); ResultSet rs = st.executeQuery("SELECT MAX(id) FROM archive_tree")) {
            if (rs.next()) {
                id = rs.getLong(1) + 1;
            }
        }
        Instant now = Instant.now();
        try (PreparedStatement ps = db.prepareStatement("INSERT INTO archive_tree (id, digest, state, opened_at) VALUES (?, ?, 'OPEN', ?)")) {
            ps.setLong(1, id);
            ps.setString(2, digest);
            ps.setTimestamp(3, Timestamp.from(now));
            ps.executeUpdate();
        }
        db.commit();
        return new Tree(id, digest, "OPEN", now, 0, null, null);
    }

    private static Tree tree(ResultSet rs) throws SQLException {
        return new Tree(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getTimestamp(4).toInstant(), rs.getLong(5),
                rs.getBytes(6), rs.getBytes(7));
    }

    synchronized Tree tree(long id) throws SQLException {
        try (PreparedStatement ps = db.prepareStatement("SELECT id, digest, state, opened_at, entries, link, root FROM archive_tree WHERE id = ?")) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? tree(rs) : null;
            }
        }
    }

    private interface Work {
        void run() throws SQLException;
    }

    /** Runs work as one transaction, committed and forced to disk, or rolled back. */
    private void durably(Work work) throws SQLException {
        try {
            work.run();
            db.commit();
            sync();
        } catch (SQLException e) {
            db.rollback();
            throw e;
        }
    }

    /** Forces what is committed to the disk (an fsync): the power may fail, not only the process. */
    private void sync() throws SQLException {
        try (Statement st = db.createStatement()) {
            st.execute("CHECKPOINT SYNC");
        }
    }

    /** Trees in any of these states (every tree when none is named), oldest first. */
    synchronized List<Tree> trees(String... states) throws SQLException {
        List<Tree> out = new ArrayList<>();
        try (PreparedStatement ps = db.prepareStatement("SELECT id, digest, state, opened_at, entries, link, root FROM archive_tree"
                + (states.length == 0 ? "" : " WHERE state IN (" + String.join(", ", java.util.Collections.nCopies(states.length, "?")) + ")")
                + " ORDER BY id")) {
            for (int i = 0; i < states.length; i++) {
                ps.setString(i + 1, states[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(tree(rs));
                }
            }
        }
        return out;
    }

    /** The next entry id and leaf of a tree, from what is committed. */
    synchronized long[] next(long tree) throws SQLException {
        long id = 1;
        long leaf = 1;
        try (Statement st = db.createStatement();
                ResultSet rs = st.executeQuery("SELECT first_id + entries FROM archive_block ORDER BY first_id DESC LIMIT 1")) {
            if (rs.next()) {
                id = rs.getLong(1);
            }
        }
        try (PreparedStatement ps = db.prepareStatement(
                "SELECT first_leaf + entries FROM archive_block WHERE tree_id = ? ORDER BY first_leaf DESC LIMIT 1")) {
            ps.setLong(1, tree);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    leaf = rs.getLong(1);
                }
            }
        }
        return new long[] { id, leaf };
    }

    /**
     * Inserts entries (consecutive ids and leaves of one tree) as one block, with the index rows of
     * the objects kept for them (a hash kept before keeps its first copy), and commits: the
     * durability point of their receipts.
     */
    synchronized void insert(List<Entry> entries, List<KeptObject> kept) throws SQLException {
        Entry first = entries.get(0);
        int size = first.documentHash().length;
        byte[] hashes = new byte[entries.size() * (1 + 2 * size)];
        int o = 0;
        for (Entry e : entries) {
            hashes[o] = (byte) ((e.signatureHash() == null ? 0 : 1) | (e.renewal() ? 2 : 0));
            System.arraycopy(e.documentHash(), 0, hashes, o + 1, size);
            if (e.signatureHash() != null) {
                System.arraycopy(e.signatureHash(), 0, hashes, o + 1 + size, size);
            }
            o += 1 + 2 * size;
        }
        durably(() -> {
            try (PreparedStatement ps = db.prepareStatement(
                    "INSERT INTO archive_block (tree_id, first_leaf, first_id, entries, hashes) VALUES (?, ?, ?, ?, ?)")) {
                ps.setLong(1, first.tree());
                ps.setInt(2, first.leaf());
                ps.setLong(3, first.id());
                ps.setInt(4, entries.size());
                ps.setBytes(5, hashes);
                ps.executeUpdate();
                if (!kept.isEmpty()) {
                    // Portable to PostgreSQL as it stands; H2 accepts it in PostgreSQL mode.
                    try (PreparedStatement k = db.prepareStatement("INSERT INTO archive_object (digest, hash, pack, pack_offset, length) "
                            + "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")) {
                        for (KeptObject ko : kept) {
                            k.setString(1, ko.digest());
                            k.setBytes(2, ko.hash());
                            k.setInt(3, ko.at().pack());
                            k.setLong(4, ko.at().offset());
                            k.setLong(5, ko.at().length());
                            k.addBatch();
                        }
                        k.executeBatch();
                    }
                }
                if (entries.stream().anyMatch(Entry::renewal)) {
                    try (PreparedStatement r = db.prepareStatement("INSERT INTO archive_renewal (renewal_id, original_id, prior_stamps) VALUES (?, ?, ?)")) {
                        for (Entry e : entries) {
                            if (e.renewal()) {
                                r.setLong(1, e.id());
                                r.setLong(2, e.renews());
                                r.setInt(3, e.priorStamps());
                                r.addBatch();
                            }
                        }
                        r.executeBatch();
                    }
                }
            }
        });
    }

    /** The entries of a block row: tree_id, first_leaf, first_id, entries, hashes. */
    private static List<Entry> decode(ResultSet rs) throws SQLException {
        long tree = rs.getLong(1);
        int leaf = rs.getInt(2);
        long id = rs.getLong(3);
        int n = rs.getInt(4);
        byte[] hashes = rs.getBytes(5);
        if (n <= 0 || hashes.length % n != 0 || (hashes.length / n - 1) % 2 != 0) {
            throw new SQLException("archive block of tree " + tree + " at leaf " + leaf + " is damaged");
        }
        int size = (hashes.length / n - 1) / 2;
        List<Entry> out = new ArrayList<>(n);
        for (int i = 0, o = 0; i < n; i++, o += 1 + 2 * size) {
            byte[] doc = java.util.Arrays.copyOfRange(hashes, o + 1, o + 1 + size);
            byte[] sig = (hashes[o] & 1) == 0 ? null : java.util.Arrays.copyOfRange(hashes, o + 1 + size, o + 1 + 2 * size);
            out.add(new Entry(id + i, tree, leaf + i, doc, sig, (hashes[o] & 2) != 0, 0, 0));
        }
        return out;
    }

    /** Only the {@code index}-th entry of a block row (evidence needs one neighbour, not a thousand). */
    private static Entry decodeOne(ResultSet rs, int index) throws SQLException {
        int n = rs.getInt(4);
        if (index < 0 || index >= n) {
            return null;
        }
        byte[] hashes = rs.getBytes(5);
        int size = (hashes.length / n - 1) / 2;
        int o = index * (1 + 2 * size);
        byte[] doc = java.util.Arrays.copyOfRange(hashes, o + 1, o + 1 + size);
        byte[] sig = (hashes[o] & 1) == 0 ? null : java.util.Arrays.copyOfRange(hashes, o + 1 + size, o + 1 + 2 * size);
        return new Entry(rs.getLong(3) + index, rs.getLong(1), rs.getInt(2) + index, doc, sig, (hashes[o] & 2) != 0, 0, 0);
    }

    private static final String BLOCK = "SELECT tree_id, first_leaf, first_id, entries, hashes FROM archive_block ";

    synchronized Entry entry(long id) throws SQLException {
        try (PreparedStatement ps = db.prepareStatement(BLOCK + "WHERE first_id <= ? ORDER BY first_id DESC LIMIT 1")) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? decodeOne(rs, (int) (id - rs.getLong(3))) : null;
            }
        }
    }

    /** Entries of one tree with this document hash (a scan of that tree: for the trees not sealed yet). */
    synchronized List<Entry> entriesByDocument(long tree, byte[] documentHash) throws SQLException {
        List<Entry> out = new ArrayList<>();
        for (Entry e : entries(tree)) {
            if (java.util.Arrays.equals(e.documentHash(), documentHash)) {
                out.add(e);
            }
        }
        return out;
    }

    /** Entries of one tree at these leaves. */
    synchronized List<Entry> entries(long tree, List<Integer> leaves) throws SQLException {
        List<Entry> out = new ArrayList<>();
        try (PreparedStatement ps = db.prepareStatement(BLOCK + "WHERE tree_id = ? AND first_leaf <= ? ORDER BY first_leaf DESC LIMIT 1")) {
            for (int leaf : leaves) {
                ps.setLong(1, tree);
                ps.setInt(2, leaf);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        Entry e = decodeOne(rs, leaf - rs.getInt(2));
                        if (e != null) {
                            out.add(e);
                        }
                    }
                }
            }
        }
        return out;
    }

    /** A tree's entries in leaf order (leaf 0, the link to the previous seal, is not an entry). */
    synchronized List<Entry> entries(long tree) throws SQLException {
        List<Entry> out = new ArrayList<>();
        try (PreparedStatement ps = db.prepareStatement(BLOCK + "WHERE tree_id = ? ORDER BY first_leaf")) {
            ps.setLong(1, tree);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.addAll(decode(rs));
                }
            }
        }
        return out;
    }

    /** Closes the open tree and opens the next one, in one transaction. */
    synchronized void close(long tree, long entries, String nextDigest) throws SQLException {
        durably(() -> {
            try (PreparedStatement ps = db.prepareStatement("UPDATE archive_tree SET state = 'CLOSED', closed_at = ?, entries = ? WHERE id = ? AND state = 'OPEN'");
                    PreparedStatement open = db.prepareStatement("INSERT INTO archive_tree (id, digest, state, opened_at) VALUES (?, ?, 'OPEN', ?)")) {
                Instant now = Instant.now();
                ps.setTimestamp(1, Timestamp.from(now));
                ps.setLong(2, entries);
                ps.setLong(3, tree);
                if (ps.executeUpdate() != 1) {
                    throw new SQLException("tree " + tree + " is not open");
                }
                open.setLong(1, tree + 1);
                open.setString(2, nextDigest);
                open.setTimestamp(3, Timestamp.from(now));
                open.executeUpdate();
            }
        });
    }

    /** Records a tree's seal: its link, root and first archive time stamp, in one transaction. */
    synchronized void sealed(long tree, byte[] link, byte[] root, Stamp stamp) throws SQLException {
        durably(() -> {
            try (PreparedStatement ps = db.prepareStatement("UPDATE archive_tree SET state = 'SEALED', link = ?, root = ?, sealed_at = ? WHERE id = ? AND state = 'CLOSED'")) {
                ps.setBytes(1, link);
                ps.setBytes(2, root);
                ps.setTimestamp(3, Timestamp.from(Instant.now()));
                ps.setLong(4, tree);
                if (ps.executeUpdate() != 1) {
                    throw new SQLException("tree " + tree + " is not waiting for its seal");
                }
                insertStamp(stamp);
            }
        });
    }

    /** Adds a renewal stamp in its own transaction. */
    synchronized void addStamp(Stamp s) throws SQLException {
        durably(() -> {
            insertStamp(s);
        });
    }

    private void insertStamp(Stamp s) throws SQLException {
        try (PreparedStatement ps = db.prepareStatement(
                "INSERT INTO archive_stamp (tree_id, seq, stamp, gen_time, authority) VALUES (?, ?, ?, ?, ?)")) {
            ps.setLong(1, s.tree());
            ps.setInt(2, s.seq());
            ps.setBytes(3, s.stamp());
            ps.setTimestamp(4, Timestamp.from(s.genTime()));
            ps.setString(5, s.authority());
            ps.executeUpdate();
        }
    }

    /** A tree's archive time stamps, oldest first. */
    synchronized List<Stamp> stamps(long tree) throws SQLException {
        List<Stamp> out = new ArrayList<>();
        try (PreparedStatement ps = db.prepareStatement(
                "SELECT tree_id, seq, stamp, gen_time, authority FROM archive_stamp WHERE tree_id = ? ORDER BY seq")) {
            ps.setLong(1, tree);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Stamp(rs.getLong(1), rs.getInt(2), rs.getBytes(3), rs.getTimestamp(4).toInstant(), rs.getString(5)));
                }
            }
        }
        return out;
    }

    /** Where a kept object is, or null. */
    synchronized DocumentStore.Location object(String digest, byte[] hash) throws SQLException {
        try (PreparedStatement ps = db.prepareStatement("SELECT pack, pack_offset, length FROM archive_object WHERE digest = ? AND hash = ?")) {
            ps.setString(1, digest);
            ps.setBytes(2, hash);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new DocumentStore.Location(rs.getInt(1), rs.getLong(2), rs.getLong(3)) : null;
            }
        }
    }

    /** The renewal entries of an original entry, oldest first. */
    synchronized List<Renewal> renewals(long original) throws SQLException {
        List<Renewal> out = new ArrayList<>();
        try (PreparedStatement ps = db.prepareStatement("SELECT renewal_id, prior_stamps FROM archive_renewal WHERE original_id = ? ORDER BY renewal_id")) {
            ps.setLong(1, original);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Renewal(rs.getLong(1), rs.getInt(2)));
                }
            }
        }
        return out;
    }

    /** The entry a renewal entry renews, or 0. */
    synchronized long original(long renewal) throws SQLException {
        try (PreparedStatement ps = db.prepareStatement("SELECT original_id FROM archive_renewal WHERE renewal_id = ?")) {
            ps.setLong(1, renewal);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0;
            }
        }
    }

    /** For the original entries with ids in [from, to]: their newest renewal entry. */
    synchronized java.util.Map<Long, Long> newestRenewals(long from, long to) throws SQLException {
        java.util.Map<Long, Long> out = new java.util.HashMap<>();
        try (PreparedStatement ps = db.prepareStatement(
                "SELECT original_id, MAX(renewal_id) FROM archive_renewal WHERE original_id BETWEEN ? AND ? GROUP BY original_id")) {
            ps.setLong(1, from);
            ps.setLong(2, to);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getLong(1), rs.getLong(2));
                }
            }
        }
        return out;
    }

    /** Closes a sealed tree's chain: its entries now have a newer chain (a hash-tree renewal). */
    synchronized void renewed(long tree) throws SQLException {
        durably(() -> {
            try (PreparedStatement ps = db.prepareStatement("UPDATE archive_tree SET state = 'RENEWED' WHERE id = ? AND state = 'SEALED'")) {
                ps.setLong(1, tree);
                ps.executeUpdate();
            }
        });
    }

    /** An empty open tree takes the archive's new digest (a tree with entries is closed instead). */
    synchronized void redigest(long tree, String digest) throws SQLException {
        durably(() -> {
            try (PreparedStatement ps = db.prepareStatement("UPDATE archive_tree SET digest = ? WHERE id = ? AND state = 'OPEN'")) {
                ps.setString(1, digest);
                ps.setLong(2, tree);
                ps.executeUpdate();
            }
        });
    }

    synchronized String setting(String name) throws SQLException {
        try (PreparedStatement ps = db.prepareStatement("SELECT setting FROM archive_setting WHERE name = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    synchronized void setting(String name, String value) throws SQLException {
        durably(() -> {
            try (PreparedStatement del = db.prepareStatement("DELETE FROM archive_setting WHERE name = ?");
                    PreparedStatement ins = db.prepareStatement("INSERT INTO archive_setting (name, setting) VALUES (?, ?)")) {
                del.setString(1, name);
                del.executeUpdate();
                ins.setString(1, name);
                ins.setString(2, value);
                ins.executeUpdate();
            }
        });
    }

    @Override
    public synchronized void close() throws SQLException {
        db.close();
    }
}
