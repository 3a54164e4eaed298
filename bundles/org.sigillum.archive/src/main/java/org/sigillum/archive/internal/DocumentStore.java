package org.sigillum.archive.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import org.sigillum.api.Content;

/**
 * The documents and signatures the archive keeps for hash-tree renewal. Content-addressed: the
 * database's {@code archive_object} table maps a hash (in the digest of the tree the object
 * entered) to where its bytes are, and every read checks the bytes against that hash.
 *
 * <p>The bytes go into append-only pack files ({@code pack-000001} …, a new one after 1 GiB), not
 * one file each: one file per object meant two file creations and two fsyncs per signed document,
 * and halved the entry rate. Callers write their bytes into a region they reserved and force the
 * pack, concurrently (forcing in the archive's single writer, once per group, was slower: the
 * writer then did two fsyncs per group in a row); only then is the entry queued for the commit that
 * makes it and its index rows durable. A crash leaves at most unreferenced bytes in a pack, which
 * are never read.
 */
final class DocumentStore implements AutoCloseable {
    static final long PACK_SIZE = 1L << 30;

    record Location(int pack, long offset, long length) {
    }

    private final Path root;
    private final Map<Integer, FileChannel> channels = new ConcurrentHashMap<>();
    private int pack;
    private long end;

    DocumentStore(Path root) throws IOException {
        this.root = root.toAbsolutePath().normalize();
        Files.createDirectories(this.root);
        forceDirectory();
        int last = 0;
        try (Stream<Path> s = Files.list(this.root)) {
            for (Path p : s.toList()) {
                String n = p.getFileName().toString();
                if (n.matches("pack-[0-9]{6}")) {
                    last = Math.max(last, Integer.parseInt(n.substring(5)));
                }
            }
        }
        pack = Math.max(1, last);
        Path current = file(pack);
        end = Files.exists(current) ? Files.size(current) : 0;
    }

    Path root() {
        return root;
    }

    private Path file(int n) {
        return root.resolve(String.format("pack-%06d", n));
    }

    /**
     * The pack's channel, shared by every thread. A channel is closed for all when any thread using
     * it is interrupted (a hot-folder worker stopped mid-write); it is then opened again, so one
     * interrupt does not stop the archive from keeping documents.
     */
    private FileChannel channel(int n) throws IOException {
        FileChannel ch = channels.get(n);
        if (ch == null || !ch.isOpen()) {
            synchronized (channels) {
                ch = channels.get(n);
                if (ch == null || !ch.isOpen()) {
                    Path f = file(n);
                    boolean created = !Files.exists(f);
                    ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
                    if (created) {
                        forceDirectory(); // a new pack's name must survive a power loss like its bytes
                    }
                    channels.put(n, ch);
                }
            }
        }
        return ch;
    }

    private void forceDirectory() throws IOException {
        try (FileChannel dir = FileChannel.open(root, StandardOpenOption.READ)) {
            dir.force(true);
        }
    }

    private synchronized Location reserve(long length) {
        if (end > 0 && end + length > PACK_SIZE) {
            pack++;
            end = 0;
        }
        Location at = new Location(pack, end, length);
        end += length;
        return at;
    }

    /** Writes the content into a fresh region and checks it has {@code hash}; durable only after {@link #force}. */
    Location put(String digest, byte[] hash, Content content) throws IOException {
        try {
            return write(digest, hash, content);
        } catch (java.nio.channels.ClosedByInterruptException e) {
            throw e; // this thread was interrupted: it stops
        } catch (java.nio.channels.ClosedChannelException e) {
            // Another thread's interrupt closed the shared channel under us: once more, in a new region.
            return write(digest, hash, content);
        }
    }

    private Location write(String digest, byte[] hash, Content content) throws IOException {
        long size = content.size();
        Location at = reserve(size);
        FileChannel ch = channel(at.pack());
        MessageDigest md = digest(digest);
        long pos = at.offset();
        long limit = at.offset() + size;
        try (InputStream in = content.openStream()) {
            byte[] buf = new byte[65536];
            for (int n; (n = in.read(buf)) > 0;) {
                if (pos + n > limit) {
                    throw new IOException("the content grew while the archive kept it");
                }
                md.update(buf, 0, n);
                ByteBuffer b = ByteBuffer.wrap(buf, 0, n);
                while (b.hasRemaining()) {
                    pos += ch.write(b, pos);
                }
            }
        }
        if (pos != limit) {
            throw new IOException("the content shrank while the archive kept it");
        }
        if (!MessageDigest.isEqual(md.digest(), hash)) {
            throw new IOException("the content given for the archive does not have the hash given with it");
        }
        return at;
    }

    /** Forces the packs these objects were written to. */
    void force(Location... written) throws IOException {
        int done = -1;
        for (Location at : written) {
            if (at.pack() != done) {
                try {
                    channel(at.pack()).force(false);
                } catch (java.nio.channels.ClosedByInterruptException e) {
                    throw e;
                } catch (java.nio.channels.ClosedChannelException e) {
                    channel(at.pack()).force(false);
                }
                done = at.pack();
            }
        }
    }

    /**
     * The object's hash in {@code newDigest}, after checking its bytes still have {@code hash} in
     * {@code digest}.
     *
     * @throws IOException when they do not (the pack was changed) or cannot be read
     */
    byte[] rehash(Location at, String digest, byte[] hash, String newDigest) throws IOException {
        MessageDigest old = digest(digest);
        MessageDigest fresh = digest(newDigest);
        FileChannel ch = channel(at.pack());
        ByteBuffer buf = ByteBuffer.allocate(65536);
        long pos = at.offset();
        long limit = at.offset() + at.length();
        while (pos < limit) {
            buf.clear().limit((int) Math.min(buf.capacity(), limit - pos));
            int n = ch.read(buf, pos);
            if (n < 0) {
                throw new IOException("pack " + at.pack() + " ends before the object at " + at.offset() + " does");
            }
            old.update(buf.array(), 0, n);
            fresh.update(buf.array(), 0, n);
            pos += n;
        }
        if (!MessageDigest.isEqual(old.digest(), hash)) {
            throw new IOException("the kept copy in pack " + at.pack() + " at " + at.offset() + " no longer has its hash: it was changed on disk");
        }
        return fresh.digest();
    }

    private static MessageDigest digest(String name) throws IOException {
        try {
            return MessageDigest.getInstance(name);
        } catch (NoSuchAlgorithmException e) {
            throw new IOException(e);
        }
    }

    @Override
    public void close() throws IOException {
        for (FileChannel ch : channels.values()) {
            ch.close();
        }
        channels.clear();
    }
}
