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
            CREATE TABLE IF NOT EXISTS archive_entry (
              id BIGINT PRIMARY KEY,
              tree_id BIGINT NOT NULL,
              leaf INTEGER NOT NULL,
              document_hash BYTEA NOT NULL,
              signature_hash BYTEA,
              CONSTRAINT archive_entry_leaf UNIQUE (tree_id, leaf)
            );
            CREATE TABLE IF NOT EXISTS archive_stamp (
              tree_id BIGINT NOT NULL,
              chain INTEGER NOT NULL,
              seq INTEGER NOT NULL,
              digest VARCHAR(16) NOT NULL,
              stamp BYTEA NOT NULL,
              gen_time TIMESTAMP WITH TIME ZONE NOT NULL,
              authority VARCHAR(200),
              PRIMARY KEY (tree_id, chain, seq)
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
    }

    record Entry(long id, long tree, int leaf, byte[] documentHash, byte[] signatureHash) {
    }

    record Stamp(long tree, int chain, int seq, String digest, byte[] stamp, Instant genTime, String authority) {
    }

    Connection connection() {
        return db;
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

    /** Forces what is committed to the disk (an fsync): the power may fail, not only the process. */
    private void sync() throws SQLException {
        try (Statement st = db.createStatement()) {
            st.execute("CHECKPOINT SYNC");
        }
    }

    /** Trees in a state, oldest first. */
    synchronized List<Tree> trees(String state) throws SQLException {
        List<Tree> out = new ArrayList<>();
        try (PreparedStatement ps = db.prepareStatement("SELECT id, digest, state, opened_at, entries, link, root FROM archive_tree"
                + (state == null ? "" : " WHERE state = ?") + " ORDER BY id")) {
            if (state != null) {
                ps.setString(1, state);
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
        long id = 0;
        long leaf = 0;
        try (Statement st = db.createStatement(); ResultSet rs = st.executeQuery("SELECT MAX(id) FROM archive_entry")) {
            if (rs.next()) {
                id = rs.getLong(1);
            }
        }
        try (PreparedStatement ps = db.prepareStatement("SELECT MAX(leaf) FROM archive_entry WHERE tree_id = ?")) {
            ps.setLong(1, tree);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next() && rs.getObject(1) != null) {
                    leaf = rs.getLong(1);
                }
            }
        }
        return new long[] { id + 1, leaf + 1 };
    }

    /** Inserts entries and commits them together: the durability point of their receipts. */
    synchronized void insert(List<Entry> entries) throws SQLException {
        try (PreparedStatement ps = db.prepareStatement(
                "INSERT INTO archive_entry (id, tree_id, leaf, document_hash, signature_hash) VALUES (?, ?, ?, ?, ?)")) {
            for (Entry e : entries) {
                ps.setLong(1, e.id());
                ps.setLong(2, e.tree());
                ps.setInt(3, e.leaf());
                ps.setBytes(4, e.documentHash());
                ps.setBytes(5, e.signatureHash());
                ps.addBatch();
            }
            ps.executeBatch();
            db.commit();
            sync();
        } catch (SQLException e) {
            db.rollback();
            throw e;
        }
    }

    synchronized Entry entry(long id) throws SQLException {
        try (PreparedStatement ps = db.prepareStatement("SELECT id, tree_id, leaf, document_hash, signature_hash FROM archive_entry WHERE id = ?")) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new Entry(rs.getLong(1), rs.getLong(2), rs.getInt(3), rs.getBytes(4), rs.getBytes(5)) : null;
            }
        }
    }

    /** Entries of one tree with this document hash (a scan of that tree: for the trees not sealed yet). */
    synchronized List<Entry> entriesByDocument(long tree, byte[] documentHash) throws SQLException {
        List<Entry> out = new ArrayList<>();
        try (PreparedStatement ps = db.prepareStatement(
                "SELECT id, tree_id, leaf, document_hash, signature_hash FROM archive_entry WHERE tree_id = ? AND document_hash = ? ORDER BY id")) {
            ps.setLong(1, tree);
            ps.setBytes(2, documentHash);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Entry(rs.getLong(1), rs.getLong(2), rs.getInt(3), rs.getBytes(4), rs.getBytes(5)));
                }
            }
        }
        return out;
    }

    /** Entries of one tree at these leaves (through the unique index on tree and leaf). */
    synchronized List<Entry> entries(long tree, List<Integer> leaves) throws SQLException {
        List<Entry> out = new ArrayList<>();
        try (PreparedStatement ps = db.prepareStatement(
                "SELECT id, tree_id, leaf, document_hash, signature_hash FROM archive_entry WHERE tree_id = ? AND leaf = ?")) {
            for (int leaf : leaves) {
                ps.setLong(1, tree);
                ps.setInt(2, leaf);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new Entry(rs.getLong(1), rs.getLong(2), rs.getInt(3), rs.getBytes(4), rs.getBytes(5)));
                    }
                }
            }
        }
        return out;
    }

    /** The leaves' groups of a tree in leaf order (leaf 0, the link to the previous seal, is not an entry). */
    synchronized List<Entry> entries(long tree) throws SQLException {
        List<Entry> out = new ArrayList<>();
        // A tree's entries are one range of ids (one writer fills one open tree at a time): read them
        // along the primary key, not row by row through the (tree, leaf) index.
        long first;
        long last;
        try (PreparedStatement ps = db.prepareStatement("SELECT MIN(id), MAX(id) FROM archive_entry WHERE tree_id = ? AND leaf IN (1, "
                + "(SELECT entries FROM archive_tree WHERE id = ?))")) {
            ps.setLong(1, tree);
            ps.setLong(2, tree);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next() || rs.getObject(1) == null) {
                    return out;
                }
                first = rs.getLong(1);
                last = rs.getLong(2);
            }
        }
        try (PreparedStatement ps = db.prepareStatement(
                "SELECT id, tree_id, leaf, document_hash, signature_hash FROM archive_entry WHERE id BETWEEN ? AND ? ORDER BY id")) {
            ps.setLong(1, first);
            ps.setLong(2, last);
            ps.setFetchSize(10_000);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Entry(rs.getLong(1), rs.getLong(2), rs.getInt(3), rs.getBytes(4), rs.getBytes(5)));
                }
            }
        }
        return out;
    }

    /** Closes the open tree and opens the next one, in one transaction. */
    synchronized void close(long tree, long entries, String nextDigest) throws SQLException {
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
            db.commit();
            sync();
        } catch (SQLException e) {
            db.rollback();
            throw e;
        }
    }

    /** Records a tree's seal: its link, root and first archive time stamp, in one transaction. */
    synchronized void sealed(long tree, byte[] link, byte[] root, Stamp stamp) throws SQLException {
        try (PreparedStatement ps = db.prepareStatement("UPDATE archive_tree SET state = 'SEALED', link = ?, root = ?, sealed_at = ? WHERE id = ? AND state = 'CLOSED'")) {
            ps.setBytes(1, link);
            ps.setBytes(2, root);
            ps.setTimestamp(3, Timestamp.from(Instant.now()));
            ps.setLong(4, tree);
            if (ps.executeUpdate() != 1) {
                throw new SQLException("tree " + tree + " is not waiting for its seal");
            }
            insertStamp(stamp);
            db.commit();
            sync();
        } catch (SQLException e) {
            db.rollback();
            throw e;
        }
    }

    /** Adds a renewal stamp in its own transaction. */
    synchronized void addStamp(Stamp s) throws SQLException {
        try {
            insertStamp(s);
            db.commit();
            sync();
        } catch (SQLException e) {
            db.rollback();
            throw e;
        }
    }

    private void insertStamp(Stamp s) throws SQLException {
        try (PreparedStatement ps = db.prepareStatement(
                "INSERT INTO archive_stamp (tree_id, chain, seq, digest, stamp, gen_time, authority) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
            ps.setLong(1, s.tree());
            ps.setInt(2, s.chain());
            ps.setInt(3, s.seq());
            ps.setString(4, s.digest());
            ps.setBytes(5, s.stamp());
            ps.setTimestamp(6, Timestamp.from(s.genTime()));
            ps.setString(7, s.authority());
            ps.executeUpdate();
        }
    }

    /** A tree's archive time stamps, by chain then sequence. */
    synchronized List<Stamp> stamps(long tree) throws SQLException {
        List<Stamp> out = new ArrayList<>();
        try (PreparedStatement ps = db.prepareStatement(
                "SELECT tree_id, chain, seq, digest, stamp, gen_time, authority FROM archive_stamp WHERE tree_id = ? ORDER BY chain, seq")) {
            ps.setLong(1, tree);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Stamp(rs.getLong(1), rs.getInt(2), rs.getInt(3), rs.getString(4), rs.getBytes(5),
                            rs.getTimestamp(6).toInstant(), rs.getString(7)));
                }
            }
        }
        return out;
    }

    @Override
    public synchronized void close() throws SQLException {
        db.close();
    }
}
