package org.sigillum.api;

/** One document's outcome in a batch: either a signed document or the failure. */
public record DocumentResult(String inputName, SignedDocument signed, SigningException failure) {

    public static DocumentResult success(SignedDocument signed) {
        return new DocumentResult(signed.inputName(), signed, null);
    }

    public static DocumentResult failure(String inputName, SigningException failure) {
        return new DocumentResult(inputName, null, failure);
    }

    public boolean succeeded() {
        return signed != null;
    }
}
