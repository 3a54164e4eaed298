package org.sigillum.api;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Bytes that can be read more than once: a document, a signature or a signed result. Backed by
 * memory or by a file, so that a 200 MB PDF need not be held on the heap.
 */
public interface Content {

    InputStream openStream() throws IOException;

    long size();

    /**
     * A digest of this content that its producer already computed from these very bytes, so that a
     * consumer need not hash them again (the core hashes each document once and hands it on).
     * Empty when unknown; a consumer then hashes the content itself.
     */
    default java.util.Optional<byte[]> knownDigest(DigestAlgorithm algorithm) {
        return java.util.Optional.empty();
    }

    /**
     * The file these bytes are read from, when they are a file: a consumer that needs random access
     * (a PDF parser) can then open it directly instead of copying the bytes somewhere first.
     */
    default java.util.Optional<Path> file() {
        return java.util.Optional.empty();
    }

    /**
     * Says that its consumer is done with these bytes: a content held in a temporary file (a large
     * signed PDF) deletes the file now rather than when it is garbage collected. Reading after this
     * is undefined. Contents of documents a caller handed in are never deleted by this.
     */
    default void release() {
    }

    /** The whole content in memory; for small contents only. */
    default byte[] bytes() throws IOException {
        try (InputStream in = openStream()) {
            return in.readAllBytes();
        }
    }

    static Content of(byte[] bytes) {
        byte[] copy = bytes.clone();
        return new Content() {
            @Override
            public InputStream openStream() {
                return new ByteArrayInputStream(copy);
            }

            @Override
            public long size() {
                return copy.length;
            }

            @Override
            public byte[] bytes() {
                return copy.clone();
            }
        };
    }

    /** A file read when needed; its size is taken now. */
    static Content of(Path file) {
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Content() {
            @Override
            public InputStream openStream() throws IOException {
                return Files.newInputStream(file);
            }

            @Override
            public long size() {
                return size;
            }

            @Override
            public java.util.Optional<Path> file() {
                return java.util.Optional.of(file);
            }
        };
    }
}
