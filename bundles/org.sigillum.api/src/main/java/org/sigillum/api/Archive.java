package org.sigillum.api;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The long-term archive: enters documents into the current hash tree, seals trees with one time
 * stamp each, and exports RFC 4998 evidence records. Implemented by the archive bundle; the core
 * and the channels call it.
 */
@ProviderType
public interface Archive {

    /** Returns only once the entry is durable. */
    ArchiveReceipt enter(ArchiveEntry entry) throws SigningException;

    /** Enters a batch (a hot-folder batch, an archive-only delivery); returns once all are durable. */
    List<ArchiveReceipt> enterAll(List<ArchiveEntry> entries) throws SigningException;

    /**
     * Closes the open tree (if it holds entries) and seals every closed tree that still waits for
     * its time stamp, oldest first. Returns the trees sealed now.
     */
    List<ArchiveSeal> seal() throws SigningException;

    /**
     * Adds a new time stamp to every sealed tree's chain over the stamps before it (RFC 4998 §5.2),
     * one authority call per tree. Returns the trees renewed.
     */
    List<ArchiveSeal> renewTimeStamps() throws SigningException;

    /**
     * Hash-tree renewal (RFC 4998 §5.3): new entries use {@code digest} from now on, and every
     * document whose newest chain uses another digest is hashed again with it, together with the
     * hash of its chains so far, into a new tree that is sealed at once. Needs the documents: the
     * archive's document store, or the entry is reported as not renewable.
     */
    ArchiveRenewal renewDigest(DigestAlgorithm digest) throws SigningException;

    /** The DER {@code EvidenceRecord} (RFC 4998) for the entry with this receipt id. */
    byte[] evidence(String receiptId) throws SigningException;

    /** The receipts of entries of this document, in every digest the archive has used. */
    List<ArchiveReceipt> find(Content document) throws SigningException;

    /**
     * Checks an evidence record against the document (and, when given, the signature file of its
     * data-object group): hash path, every time stamp and its authority's chain to the trust anchors.
     */
    ArchiveProof verify(byte[] evidenceRecord, Content document, Content signature) throws SigningException;

    /** Checks that every sealed tree links to the one before it and still hashes to its stamped root. */
    ArchiveProof verifyChain() throws SigningException;

    /** The archive's digest for new entries. */
    DigestAlgorithm digest();
}
