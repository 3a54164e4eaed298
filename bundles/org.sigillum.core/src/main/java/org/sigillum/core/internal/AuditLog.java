package org.sigillum.core.internal;

import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The append-only audit log: one JSON object per line. It is opened in append mode only, so a line
 * once written is never rewritten; each line goes out in one write so concurrent signers never
 * interleave. It never receives a PIN: callers pass only names, hashes and outcomes.
 *
 * <p>A FileOutputStream, not a FileChannel: an interrupted thread closes a FileChannel for every
 * other thread too, which would silently end the audit trail of a running server.
 */
final class AuditLog implements AutoCloseable {
    private final Path file;
    private FileOutputStream out;

    AuditLog(Path file) {
        this.file = file;
    }

    synchronized void write(Json entry) throws IOException {
        if (out == null) {
            Files.createDirectories(file.getParent());
            out = new FileOutputStream(file.toFile(), true);
        }
        out.write((entry + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /** Forces written lines to disk; called at the end of each batch rather than per line. */
    synchronized void sync() throws IOException {
        if (out != null) {
            out.getFD().sync();
        }
    }

    @Override
    public synchronized void close() throws IOException {
        if (out != null) {
            try {
                out.getFD().sync();
            } finally {
                out.close();
                out = null;
            }
        }
    }
}
