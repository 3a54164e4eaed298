package org.sigillum.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Signs documents in one format. Registered as a whiteboard service with the property
 * {@value #FORMAT_PROPERTY}{@code =<name>}; the core finds it by that name and loses it when the
 * bundle stops.
 */
@ConsumerType
public interface FormatSigner {

    String FORMAT_PROPERTY = "sigillum.format";

    /**
     * Signs one document. The signer must not keep references to the document or the creator after
     * returning, and must report unusable input as {@link Reason#BAD_INPUT} with a message a person
     * understands.
     */
    FormatOutput sign(Document document, SignatureContext context) throws SigningException;
}
