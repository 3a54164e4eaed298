package org.sigillum.api;

import java.util.Objects;

/**
 * What a format signer produced: the output's name (relative, derived from the input's name), its
 * content, and the signature value alone (the bytes the archive hashes as "the signature").
 */
public record FormatOutput(String name, Content content, byte[] signatureValue) {
    public FormatOutput {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(content, "content");
        signatureValue = signatureValue == null ? new byte[0] : signatureValue.clone();
    }

    @Override
    public byte[] signatureValue() {
        return signatureValue.clone();
    }
}
