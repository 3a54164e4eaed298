package org.sigillum.archive.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.security.MessageDigest;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sigillum.api.Content;

class DocumentStoreTest {

    @TempDir
    Path dir;

    /** A worker interrupted mid-write closes the shared pack channel; the next caller must not inherit that. */
    @Test
    void anInterruptedWriterDoesNotStopTheOthers() throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        byte[] a = "first".getBytes();
        byte[] b = "second".getBytes();
        try (DocumentStore store = new DocumentStore(dir)) {
            DocumentStore.Location first = store.put("SHA-256", md.digest(a), Content.of(a));
            Thread.currentThread().interrupt();
            try {
                assertThrows(java.nio.channels.ClosedByInterruptException.class, () -> store.put("SHA-256", md.digest(b), Content.of(b)));
            } finally {
                Thread.interrupted();
            }
            DocumentStore.Location second = store.put("SHA-256", md.digest(b), Content.of(b));
            store.force(first, second);
            assertArrayEquals(MessageDigest.getInstance("SHA-512").digest(a), store.rehash(first, "SHA-256", md.digest(a), "SHA-512"));
            assertArrayEquals(MessageDigest.getInstance("SHA-512").digest(b), store.rehash(second, "SHA-256", md.digest(b), "SHA-512"));
            assertThrows(java.io.IOException.class, () -> store.put("SHA-256", md.digest(a), Content.of(b)), "a hash that does not match");
        }
    }
}
