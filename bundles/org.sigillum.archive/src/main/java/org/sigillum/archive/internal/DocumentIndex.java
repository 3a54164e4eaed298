package org.sigillum.archive.internal;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
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
 * Which leaves of a sealed tree hold a document, by the first 8 bytes of its hash, sorted: written
 * once at the seal, searched by bisection. A database index over random hashes rewrote index pages
 * at every durable commit and cost ten times the entries' own size (docs/BENCHMARKS.md); this file
 * costs 12 bytes per document, and a candidate is confirmed against the stored entry.
 */
final class DocumentIndex {
    private static final int RECORD = 12;

    private DocumentIndex() {
    }

    static void write(Path file, List<Store.Entry> entries) throws IOException {
        int n = entries.size();
        long[] keys = new long[n];
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            keys[i] = ByteBuffer.wrap(entries.get(i).documentHash(), 0, 8).getLong();
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Long.compareUnsigned(keys[a], keys[b]));
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (OutputStream o = Files.newOutputStream(tmp); DataOutputStream out = new DataOutputStream(new BufferedOutputStream(o, 1 << 16))) {
            for (Integer i : order) {
                out.writeLong(keys[i]);
                out.writeInt(entries.get(i).leaf());
            }
        }
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** The leaves whose document hash starts like {@code hash} (to be confirmed by the caller). */
    static List<Integer> leaves(Path file, byte[] hash) throws IOException {
        long key = ByteBuffer.wrap(hash, 0, 8).getLong();
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
