package org.sigillum.api;

import java.util.List;

/** DER-encoded OCSP responses and CRLs for a certificate chain, to embed at level LT. */
public record RevocationData(List<byte[]> ocspResponses, List<byte[]> crls) {
    public RevocationData {
        ocspResponses = ocspResponses.stream().map(byte[]::clone).toList();
        crls = crls.stream().map(byte[]::clone).toList();
    }
}
