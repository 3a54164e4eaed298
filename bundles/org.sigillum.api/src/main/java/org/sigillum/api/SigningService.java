package org.sigillum.api;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The one entry point every channel uses. Each signature is checked (integrity and a path to a
 * trust anchor) before it is returned, and every outcome is written to the audit log.
 */
@ProviderType
public interface SigningService {

    /** Signs one document, synchronously. */
    SignedDocument sign(SigningRequest request, Document document) throws SigningException;

    /**
     * Signs a batch with one profile, synchronously, and reports per document in input order. A
     * failure of one document does not stop the others; an {@link SigningRequest#pin() individual
     * PIN} serves the whole batch and is wiped afterwards.
     */
    List<DocumentResult> signBatch(SigningRequest request, List<Document> documents);

    /**
     * Enters a document into the long-term archive without signing it (an archive-only channel):
     * its hash alone is its data-object group. Written to the audit log like a signature.
     *
     * @throws SigningException {@link Reason#ARCHIVE_UNAVAILABLE} when no archive is installed or it
     *         cannot record the entry now
     */
    ArchiveReceipt archive(String channel, Document document) throws SigningException;

    /** The configured profiles and whether each can sign now. */
    List<ProfileStatus> profiles();

    /**
     * A time stamp over a digest from the named authority, or when {@code authority} is null from
     * the built-in one if installed, else from the configured ones tried in name order. For channels that stamp
     * files without signing them.
     */
    TimeStamp timeStamp(String authority, DigestAlgorithm digest, byte[] messageImprint) throws SigningException;

    /** The tokens known to the server and their states. */
    List<TokenStatus> tokens();

    /**
     * Activates a token with its PIN (a mass-signature card, a key store without a configured
     * password). The PIN is wiped afterwards, whatever happens; a wrong one is reported once with
     * {@link Reason#PIN_INCORRECT} and never retried.
     */
    void activate(String tokenId, Pin pin) throws SigningException;

    /**
     * Ends a token's activation at once (a mass-signature card leaving the operator's control);
     * the next signature needs a new activation. A token that needs no activation is not affected.
     */
    void deactivate(String tokenId) throws SigningException;
}
