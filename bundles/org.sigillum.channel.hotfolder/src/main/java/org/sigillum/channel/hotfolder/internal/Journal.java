package org.sigillum.channel.hotfolder.internal;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A batch's append-only log of outcomes, one line per event. Lines are not forced one by one: a
 * "signed" line only counts on recovery when the staged output it names is there with the recorded
 * hash, and the whole batch is forced to disk before it is published. A torn last line (a crash
 * mid-write) is ignored.
 */
final class Journal implements Closeable {

    static final String FILE = "journal";

    /** A signed document: what READY reports, and the hashes that prove the staged files intact. */
    /** {@code archive}, {@code archiveTree}, {@code archiveLeaf}: the archive receipt, or empty strings. */
    record Signed(String sha256, String output, String outputSha256, boolean detached, String signer, String level,
            String time, String token, String archive, String archiveTree, String archiveLeaf) {
    }

    record Failed(String reason, String message) {
    }

    /** What a journal holds after a restart. */
    record State(Map<Integer, Signed> signed, Map<Integer, Failed> failed, Map<String, String> marks) {
    }

    private final Path file;
    /** Opened on the first write: a queue of many small batches must not hold a file open each. */
    private FileChannel channel;

    Journal(Path dir) {
        this.file = dir.resolve(FILE);
    }

    private FileChannel channel() throws IOException {
        if (channel == null) {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        }
        return channel;
    }

    void signed(int index, Signed s) throws IOException {
        append(Escape.line("S", Integer.toString(index), s.sha256(), s.output(), s.outputSha256(),
                s.detached() ? "detached" : "embedded", s.signer(), s.level(), s.time(), s.token(), s.archive(), s.archiveTree(), s.archiveLeaf()));
    }

    void failed(int index, Failed f) throws IOException {
        append(Escape.line("F", Integer.toString(index), f.reason(), f.message()));
    }

    /** A step of finishing the batch (the chosen output name, "published"…), forced to disk at once. */
    void mark(String key, String value) throws IOException {
        append(Escape.line("M", key, value));
        force();
    }

    synchronized void force() throws IOException {
        channel().force(false);
    }

    private synchronized void append(String line) throws IOException {
        FileChannel ch = channel();
        long before = ch.size();
        ByteBuffer b = ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8));
        try {
            while (b.hasRemaining()) {
                ch.write(b);
            }
        } catch (IOException e) {
            // A line cut short (disk full) must not run into the next one.
            try {
                ch.truncate(before);
            } catch (IOException ignored) {
                // the torn line is ignored on reading anyway
            }
            throw e;
        }
    }

    @Override
    public synchronized void close() throws IOException {
        if (channel != null) {
            channel.close();
            channel = null;
        }
    }

    static State read(Path dir) throws IOException {
        Map<Integer, Signed> signed = new HashMap<>();
        Map<Integer, Failed> failed = new HashMap<>();
        Map<String, String> marks = new HashMap<>();
        Path file = dir.resolve(FILE);
        if (!Files.exists(file)) {
            return new State(signed, failed, marks);
        }
        byte[] bytes = Files.readAllBytes(file);
        int end = bytes.length - 1;
        while (end >= 0 && bytes[end] != '\n') {
            end--;
        }
        // Anything after the last newline is a line the crash cut short, possibly inside a name's
        // multi-byte character: it is cut off as bytes, before decoding, and never makes the
        // journal unreadable. A byte sequence that is not UTF-8 elsewhere (a damaged sector)
        // decodes to replacement characters and spoils only its own line.
        String text = new String(bytes, 0, Math.max(0, end), StandardCharsets.UTF_8);
        List<String> lines = end < 0 ? List.of() : text.lines().toList();
        for (String line : lines) {
            String[] f = Escape.fields(line);
            try {
                switch (f[0]) {
                    case "S" -> {
                        int i = Integer.parseInt(f[1]);
                        // The receipt's tree and leaf came later: a journal line without them still counts.
                        signed.put(i, new Signed(f[2], f[3], f[4], f[5].equals("detached"), f[6], f[7], f[8], f[9], f[10],
                                f.length > 12 ? f[11] : "", f.length > 12 ? f[12] : ""));
                        failed.remove(i);
                    }
                    case "F" -> {
                        // Also after an "S": a staged copy found changed before publication.
                        int i = Integer.parseInt(f[1]);
                        failed.put(i, new Failed(f[2], f[3]));
                        signed.remove(i);
                    }
                    case "M" -> marks.put(f[1], f[2]);
                    default -> {
                        // An unknown line from a newer version: skipped, never fatal.
                    }
                }
            } catch (RuntimeException e) {
                // A damaged line (power loss) counts as not written: the document is done again.
            }
        }
        return new State(signed, failed, marks);
    }
}
