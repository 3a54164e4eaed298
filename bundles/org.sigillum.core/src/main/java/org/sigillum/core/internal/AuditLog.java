package org.sigillum.core.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The append-only audit log: one JSON object per line. It is opened in append mode only, so a line
 * once written is never rewritten; each line goes out in one write so concurrent signers never
 * interleave. It never receives a PIN: callers pass only names, hashes and outcomes.
 */
final class AuditLog implements AutoCloseable {
    private final Path file;
    private FileChannel channel;

    AuditLog(Path file) {
        this.file = file;
    }

    synchronized void write(Json entry) throws IOException {
        if (channel == null) {
            Files.createDirectories(file.getParent());
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        }
        ByteBuffer b = ByteBuffer.wrap((entry + "\n").getBytes(StandardCharsets.UTF_8));
        while (b.hasRemaining()) {
            channel.write(b);
        }
    }

    /** Forces written lines to disk; called at the end of each batch rather than per line. */
    synchronized void sync() throws IOException {
        if (channel != null) {
            channel.force(false);
        }
    }

    @Override
    public synchronized void close() throws IOException {
        if (channel != null) {
            channel.force(false);
            channel.close();
            channel = null;
        }
    }
}
