package org.sigillum.api;

import java.util.Objects;

/**
 * What goes into the archive's hash tree for one document: the hash of the document and, unless the
 * document is archived without a signature, the hash of its signature (RFC 4998 data-object group).
 */
public record ArchiveEntry(String documentName, DigestAlgorithm digest, byte[] documentHash, byte[] signatureHash) {
    public ArchiveEntry {
        Objects.requireNonNull(documentName, "documentName");
        Objects.requireNonNull(digest, "digest");
        documentHash = Objects.requireNonNull(documentHash, "documentHash").clone();
        signatureHash = signatureHash == null ? null : signatureHash.clone();
    }
}
