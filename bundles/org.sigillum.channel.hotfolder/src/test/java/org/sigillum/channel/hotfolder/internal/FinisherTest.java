package org.sigillum.channel.hotfolder.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Publication on its own: a staged, journaled batch is published whole, or a document changed in place is not. */
class FinisherTest {

    @TempDir
    Path dir;

    private RootSettings settings;
    private Batch batch;
    private Path original;

    /** One signed document, staged as the server's own copy of the sender's file, journaled as the worker does. */
    private void stageOneSignedDocument() throws Exception {
        settings = RootSettings.of(TestConfigs.root("r", "", "", "partial"), dir);
        Path b = Files.createDirectories(settings.in().resolve("b"));
        original = Files.writeString(b.resolve("a.txt"), "signed bytes");
        Files.writeString(b.resolve("APPROVED"), "");
        Manifest m = new Manifest("1-000001", b, "b", false, Instant.now(), Manifest.scan(new InputTree(settings.in()), "b", "APPROVED"));
        Path work = Files.createDirectories(settings.work().resolve(m.id()));
        m.writeTo(work);
        batch = new Batch(m, work);
        batch.ensureFolder(batch.stagedInput(0).getParent());
        batch.ensureFolder(batch.stagedSignature(0).getParent());
        Files.copy(original, batch.stagedInput(0), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        Files.writeString(batch.stagedSignature(0), "signature");
        Journal.Signed s = new Journal.Signed(sha("signed bytes"), "a.txt.p7s", sha("signature"), true, "CN=t", "B-B",
                "2026-11-25T00:00:00Z", "t", "", "", "");
        batch.journal.signed(0, s);
        batch.signed.put(0, s);
    }

    @Test
    void aStagedBatchIsPublishedWholeAndItsInputCleared() throws Exception {
        stageOneSignedDocument();
        assertEquals("b", new Finisher(settings, new InputTree(settings.in())).finish(batch));
        Path out = settings.out().resolve("b");
        assertEquals("signed bytes", Files.readString(out.resolve("a.txt")));
        assertEquals("signature", Files.readString(out.resolve("a.txt.p7s")));
        assertTrue(Files.readString(out.resolve("READY")).contains("\"signed\": 1,"));
        assertFalse(Files.exists(settings.in().resolve("b")));
        // Finishing again after a crash at the very end changes nothing and publishes nothing twice.
        assertEquals("b", new Finisher(settings, new InputTree(settings.in())).finish(batch));
        try (var s = Files.list(settings.out())) {
            assertEquals(List.of(out), s.toList());
        }
    }

    @Test
    void aDocumentRewrittenInPlaceAfterSigningIsPublishedAsSignedAndTheChangedOriginalKept() throws Exception {
        stageOneSignedDocument();
        // The sender appends to its file after it was signed: the published copy is the server's own,
        // so it is still what was signed; the changed original is not deleted but kept for the sender.
        Files.writeString(original, " and more", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        assertEquals("b", new Finisher(settings, new InputTree(settings.in())).finish(batch));
        Path out = settings.out().resolve("b");
        assertEquals("signed bytes", Files.readString(out.resolve("a.txt")));
        assertEquals("signature", Files.readString(out.resolve("a.txt.p7s")));
        assertEquals("signed bytes and more", Files.readString(settings.error().resolve("b-unprocessed/a.txt")),
                "the sender's changed file is kept, not deleted");
        assertFalse(Files.exists(settings.in().resolve("b")));
    }

    @Test
    void aVeryLongNameGetsAShortenedOutputThatFits() {
        String name = "sub/" + "ä".repeat(127) + ".p"; // 256 bytes: longer than any file system takes
        String fitted = Finisher.fit(name + ".p7s");
        String last = fitted.substring(fitted.lastIndexOf('/') + 1);
        assertTrue(last.getBytes(StandardCharsets.UTF_8).length <= Finisher.NAME_MAX, fitted);
        assertTrue(fitted.startsWith("sub/ää") && fitted.endsWith(".p7s"), fitted);
        assertTrue(!fitted.equals(Finisher.fit(name + "x.p7s")), "different long names stay different");
        assertEquals("short.txt.p7s", Finisher.fit("short.txt.p7s"));
        String json = Finisher.errorJson("x".repeat(255));
        assertTrue(json.endsWith(".json") && json.getBytes(StandardCharsets.UTF_8).length <= Finisher.NAME_MAX, json);
    }

    private static String sha(String s) throws Exception {
        return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    }
}
