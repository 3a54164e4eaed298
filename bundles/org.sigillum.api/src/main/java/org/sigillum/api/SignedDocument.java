package org.sigillum.api;

import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A signed, verified result.
 *
 * @param inputName the name of the document that was signed
 * @param output the signed file (or the detached signature) with its name
 * @param inputSha256 hex SHA-256 of the input, as written to the audit log
 * @param signer the signer's certificate
 * @param token the id of the token that signed
 * @param level the level reached
 * @param packaging detached (the output is a signature beside the untouched document) or embedded
 * @param signingTime the signing time put into the signature
 * @param receipt the archive receipt when an archive is installed
 */
public record SignedDocument(String inputName, FormatOutput output, String inputSha256, X509Certificate signer,
        String token, String format, SignatureLevel level, Packaging packaging, Instant signingTime, Optional<ArchiveReceipt> receipt) {
    public SignedDocument {
        Objects.requireNonNull(inputName, "inputName");
        Objects.requireNonNull(output, "output");
        receipt = receipt == null ? Optional.empty() : receipt;
    }
}
