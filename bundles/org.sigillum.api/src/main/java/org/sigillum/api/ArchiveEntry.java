package org.sigillum.api;

import java.util.Objects;

/**
 * What goes into the archive's hash tree for one document: the hash of the document and, unless the
 * document is archived without a signature, the hash of its signature (RFC 4998 data-object group).
 * When the contents are given too, the archive keeps them (if so configured) for a later hash-tree
 * renewal, which must hash the documents again with a stronger digest.
 */
public record ArchiveEntry(String documentName, DigestAlgorithm digest, byte[] documentHash, byte[] signatureHash,
        Content document, Content signature) {
    public ArchiveEntry {
        Objects.requireNonNull(documentName, "documentName");
        Objects.requireNonNull(digest, "digest");
        documentHash = Objects.requireNonNull(documentHash, "documentHash").clone();
        signatureHash = signatureHash == null ? null : signatureHash.clone();
        if (signature != null && signatureHash == null) {
            throw new IllegalArgumentException("a signature's content needs its hash");
        }
    }

    /** Hashes only: the archive cannot keep the documents, so it cannot renew this entry's hash tree. */
    public ArchiveEntry(String documentName, DigestAlgorithm digest, byte[] documentHash, byte[] signatureHash) {
        this(documentName, digest, documentHash, signatureHash, null, null);
    }
}
