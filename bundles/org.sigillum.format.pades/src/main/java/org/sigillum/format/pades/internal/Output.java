package org.sigillum.format.pades.internal;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

import org.sigillum.api.Content;
import org.sigillum.api.DigestAlgorithm;

/**
 * Where PDFBox writes the signed PDF: memory for a small document, a spool file for a large one.
 * While the bytes pass, the first {@code prefix} of them (the original document, which an
 * incremental update copies unchanged) are hashed, so that for a document read from a file the
 * caller can prove the output starts with exactly the bytes the core hashed before.
 */
final class Output extends OutputStream {
    private final Spool spool;
    private final Path file;
    private final ByteArrayOutputStream memory;
    private final OutputStream out;
    private final MessageDigest prefixDigest;
    private final boolean hashesPrefix;
    private long remaining;
    private boolean failed;

    /** A new output; a spool file that cannot be created is the server's problem, not the document's. */
    static Output create(long prefix, boolean hashPrefix, DigestAlgorithm digest, boolean inMemory, Spool spool)
            throws org.sigillum.api.SigningException {
        try {
            return new Output(prefix, hashPrefix, digest, inMemory, spool);
        } catch (IOException e) {
            throw new org.sigillum.api.SigningException(org.sigillum.api.Reason.IO_ERROR,
                    "no temporary file for the signed PDF: " + e.getMessage(), e);
        }
    }

    private Output(long prefix, boolean hashPrefix, DigestAlgorithm digest, boolean inMemory, Spool spool) throws IOException {
        this.spool = spool;
        this.remaining = hashPrefix ? prefix : 0;
        this.hashesPrefix = hashPrefix;
        try {
            this.prefixDigest = MessageDigest.getInstance(digest.jcaName());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        if (inMemory) {
            file = null;
            memory = new ByteArrayOutputStream((int) Math.min(Integer.MAX_VALUE - 8, prefix + 64 * 1024));
            out = memory;
        } else {
            file = spool.newFile(".pdf");
            memory = null;
            out = new BufferedOutputStream(Files.newOutputStream(file), 256 * 1024);
        }
    }

    /** An output write failed: the spool's disk, not the document, is at fault. */
    boolean failed() {
        return failed;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] { (byte) b }, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        if (remaining > 0) {
            int n = (int) Math.min(remaining, len);
            prefixDigest.update(b, off, n);
            remaining -= n;
        }
        try {
            out.write(b, off, len);
        } catch (IOException e) {
            failed = true;
            throw e;
        }
    }

    @Override
    public void close() throws IOException {
        try {
            out.close();
        } catch (IOException e) {
            failed = true;
            throw e;
        }
    }

    /** Drops a spool file that will not be handed out. */
    void discard() {
        if (file != null) {
            try {
                out.close();
            } catch (IOException e) {
                // the file goes anyway
            }
            Spool.delete(file);
        }
    }

    /** Whether the first bytes were hashed. */
    boolean hashesPrefix() {
        return hashesPrefix;
    }

    byte[] prefixDigest() {
        return prefixDigest.digest();
    }

    Content content() {
        if (file != null) {
            return spool.own(file);
        }
        return new Bytes(memory.toByteArray());
    }

    /** The signed PDF in memory, shared without Content.of's defensive copy: nobody else holds it. */
    private record Bytes(byte[] data) implements Content {
        @Override
        public InputStream openStream() {
            return new java.io.ByteArrayInputStream(data);
        }

        @Override
        public long size() {
            return data.length;
        }

        @Override
        public byte[] bytes() {
            return data.clone();
        }
    }
}
