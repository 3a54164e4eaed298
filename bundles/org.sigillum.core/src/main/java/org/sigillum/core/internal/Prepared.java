package org.sigillum.core.internal;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import org.sigillum.api.Content;
import org.sigillum.api.DigestAlgorithm;
import org.sigillum.api.Document;
import org.sigillum.api.Reason;
import org.sigillum.api.SigningException;

/**
 * A document read once before signing: its SHA-256 (for the audit log and the archive) and its digest
 * with the profile's algorithm (handed to the format), from one pass over the bytes. A small
 * document is kept in memory so that the format and the post-signing check do not read the file
 * again, and so that all three see the very same bytes even if the file changes meanwhile.
 */
record Prepared(Document document, String sha256, Content checkContent) {

    /** Larger documents are streamed from where they are, never held whole on the heap. */
    static final long IN_MEMORY_LIMIT = 8L * 1024 * 1024;

    static Prepared of(Document document, DigestAlgorithm profileDigest) throws SigningException {
        try {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            MessageDigest other = profileDigest == DigestAlgorithm.SHA256 ? null
                    : MessageDigest.getInstance(profileDigest.jcaName());
            Document doc = document;
            long size = document.content().size();
            try (InputStream in = document.content().openStream()) {
                if (size <= IN_MEMORY_LIMIT) {
                    // One allocation of the announced size (readAllBytes would grow and copy buffers);
                    // a file that grew meanwhile is read to its end all the same.
                    byte[] all = in.readNBytes((int) size);
                    int extra = in.read();
                    if (extra >= 0) {
                        java.io.ByteArrayOutputStream more = new java.io.ByteArrayOutputStream();
                        more.writeBytes(all);
                        more.write(extra);
                        in.transferTo(more);
                        all = more.toByteArray();
                    }
                    sha256.update(all);
                    if (other != null) {
                        other.update(all);
                    }
                    doc = new Document(document.name(), new InMemory(all, profileDigest, null));
                } else {
                    byte[] buf = new byte[256 * 1024];
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        sha256.update(buf, 0, n);
                        if (other != null) {
                            other.update(buf, 0, n);
                        }
                    }
                }
            }
            byte[] s = sha256.digest();
            byte[] d = other == null ? s : other.digest();
            if (doc.content() instanceof InMemory m) {
                doc = new Document(doc.name(), new InMemory(m.data(), profileDigest, d));
                // The check sees the very bytes we hashed: our digest may stand in for a second pass.
                return new Prepared(doc, HexFormat.of().formatHex(s), doc.content());
            }
            doc = new Document(doc.name(), new Known(document.content(), profileDigest, d));
            // A file on disk is read again by the check, so a change after our pass is caught.
            return new Prepared(doc, HexFormat.of().formatHex(s), document.content());
        } catch (IOException e) {
            throw new SigningException(Reason.IO_ERROR, "the document cannot be read: " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A large document left where it is, with the digest from our pass. If the file changes after
     * that pass, the signature covers the digest we logged, and the post-signing check, which reads
     * the file again, fails: a changing file is never signed as something it is not.
     */
    private record Known(Content content, DigestAlgorithm algorithm, byte[] digest) implements Content {
        @Override
        public InputStream openStream() throws IOException {
            return content.openStream();
        }

        @Override
        public long size() {
            return content.size();
        }

        @Override
        public java.util.Optional<byte[]> knownDigest(DigestAlgorithm a) {
            return a == algorithm ? java.util.Optional.of(digest.clone()) : java.util.Optional.empty();
        }

        @Override
        public java.util.Optional<java.nio.file.Path> file() {
            return content.file();
        }
    }

    /** The bytes just read, shared without the defensive copy Content.of makes: nobody else holds them. */
    private record InMemory(byte[] data, DigestAlgorithm algorithm, byte[] digest) implements Content {
        @Override
        public java.util.Optional<byte[]> knownDigest(DigestAlgorithm a) {
            return digest != null && a == algorithm ? java.util.Optional.of(digest.clone()) : java.util.Optional.empty();
        }

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
