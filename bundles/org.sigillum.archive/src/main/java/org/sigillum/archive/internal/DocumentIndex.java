package org.sigillum.archive.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Which leaves of a sealed tree hold a document, by the first 40 bits of its hash, sorted: written
 * once at the seal, searched by bisection. A database index over random hashes rewrote index pages
 * at every durable commit and cost ten times the entries' own size (docs/BENCHMARKS.md); this file
 * costs 12 bytes per document, and a candidate is confirmed against the stored entry.
 */
final class DocumentIndex {
    private static final int RECORD = 12;

    private DocumentIndex() {
    }

    /** The key: the hash's first 40 bits, leaving 24 bits to carry a leaf through a primitive sort. */
    private static long key(byte[] hash) {
        return ByteBuffer.wrap(hash, 0, 8).getLong() & ~0xFFFFFFL;
    }

    static void write(Path file, List<Store.Entry> entries) throws IOException {
        int n = entries.size();
        if (n >= 1 << 24) {
            throw new IOException("a tree of " + n + " entries is too large for the document index; seal more often");
        }
        long[] packed = new long[n];
        for (int i = 0; i < n; i++) {
            packed[i] = key(entries.get(i).documentHash()) | entries.get(i).leaf();
        }
        // Unsigned order by flipping the sign bit, sorted as signed longs.
        for (int i = 0; i < n; i++) {
            packed[i] ^= Long.MIN_VALUE;
        }
        Arrays.sort(packed);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        ByteBuffer buf = ByteBuffer.allocate(n * RECORD);
        for (long p : packed) {
            long v = p ^ Long.MIN_VALUE;
            buf.putLong(v & ~0xFFFFFFL).putInt((int) (v & 0xFFFFFF));
        }
        buf.flip();
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** The leaves whose document hash starts like {@code hash} (to be confirmed by the caller). */
    static List<Integer> leaves(Path file, byte[] hash) throws IOException {
        long key = key(hash);
        List<Integer> out = new ArrayList<>();
        if (!Files.exists(file)) {
            return out;
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long n = ch.size() / RECORD;
            ByteBuffer rec = ByteBuffer.allocate(RECORD);
            long lo = 0;
            long hi = n;
            while (lo < hi) {
                long mid = (lo + hi) >>> 1;
                if (Long.compareUnsigned(read(ch, rec, mid).getLong(0), key) < 0) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            for (long i = lo; i < n; i++) {
                ByteBuffer r = read(ch, rec, i);
                if (r.getLong(0) != key) {
                    break;
                }
                out.add(r.getInt(8));
            }
        }
        return out;
    }

    private static ByteBuffer read(FileChannel ch, ByteBuffer rec, long index) throws IOException {
        rec.clear();
        while (rec.hasRemaining()) {
            if (ch.read(rec, index * RECORD + rec.position()) < 0) {
                throw new IOException("index file ends early");
            }
        }
        return rec;
    }
}
