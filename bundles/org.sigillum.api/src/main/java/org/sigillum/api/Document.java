package org.sigillum.api;

import java.util.Objects;

/**
 * A document to sign or verify. The name is relative (it may hold sub-folders, separated by
 * {@code /}) and is used to name the output; it never names a place on disk.
 */
public record Document(String name, Content content) {
    public Document {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(content, "content");
    }
}
