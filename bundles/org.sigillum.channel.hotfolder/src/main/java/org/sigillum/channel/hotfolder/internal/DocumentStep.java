package org.sigillum.channel.hotfolder.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

import org.sigillum.api.Content;
import org.sigillum.api.Document;
import org.sigillum.api.Packaging;
import org.sigillum.api.Reason;
import org.sigillum.api.SignedDocument;
import org.sigillum.api.SigningException;
import org.sigillum.api.SigningOverrides;
import org.sigillum.api.SigningRequest;
import org.sigillum.api.SigningService;

/**
 * Signs one document of a batch: checks it is still what the manifest listed, copies it into the
 * batch's staging folder (so the copy published beside a detached signature is exactly what was
 * signed, whatever the sender does to the original meanwhile), signs it and stages the result. The
 * caller journals the outcome; the staged signature under its final name plus that journal line is
 * the commit.
 */
final class DocumentStep {

    /** Small documents are read once into memory; larger ones are copied and signed from the copy. */
    static final long IN_MEMORY = 8L * 1024 * 1024;

    /** Failures of the document itself; every other reason is the server's side and is retried. */
    private static final Set<Reason> DOCUMENT_FAULTS = Set.of(Reason.BAD_INPUT, Reason.BAD_REQUEST,
            Reason.VERIFICATION_FAILED, Reason.INTERNAL);

    private final RootSettings settings;
    private final SigningService signing;
    private final InputTree inputs;

    DocumentStep(RootSettings settings, SigningService signing, InputTree inputs) {
        this.settings = settings;
        this.signing = signing;
        this.inputs = inputs;
    }

    Journal.Signed sign(Batch batch, Manifest.Entry e) throws Outcome {
        switch (e.kind()) {
            case LINK -> throw refused("is a symbolic link; links are never followed");
            case SPECIAL -> throw refused("is not a regular file (a pipe, socket or device)");
            case UNREADABLE -> throw refused("cannot be read (the file or its folder is not accessible)");
            default -> {
                // a regular file: go on
            }
        }
        checkEmpty(e);
        List<String> parts = batch.manifest.parts(e);
        Path staged = batch.stagedInput(e.index());
        try {
            batch.ensureFolder(staged.getParent());
            Files.deleteIfExists(staged);
        } catch (IOException x) {
            throw workFolder(x);
        }
        // Always a copy the server owns, read from a descriptor opened without following links: a hard
        // link to the sender's file would let whoever can write that file (or a file outside the root
        // linked into the batch) change the published copy, or be changed through it.
        byte[] data;
        try {
            data = inputs.readListed(parts, e, in -> {
                byte[] small = e.size() <= IN_MEMORY ? in.readNBytes((int) e.size() + 1) : null;
                long read = small != null ? small.length : -1;
                if (small == null || read == e.size()) {
                    read = writeStaged(in, small, staged);
                }
                if (read != e.size()) {
                    throw new InputTree.NotListed("changed while it was read (" + e.size() + " bytes listed, " + read
                            + " read): it was probably still being written when the batch was approved");
                }
                return small;
            });
        } catch (InputTree.NotListed x) {
            throw refused(x.getMessage());
        } catch (AccessDeniedException x) {
            throw refused("cannot be read: permission denied");
        } catch (NoSuchFileException x) {
            throw refused("disappeared before it was signed");
        } catch (IOException x) {
            throw refused("cannot be read: " + reason(x));
        }
        try {
            // The copy carries the original's time, so the check before publication treats it alike.
            Files.setLastModifiedTime(staged, java.nio.file.attribute.FileTime.fromMillis(e.modified()));
        } catch (IOException x) {
            throw workFolder(x);
        }
        Content content = data != null ? Content.of(data) : Content.of(staged);
        if (settings.archiveOnly()) {
            return archive(batch, e, content, staged);
        }
        SigningOverrides o = SigningOverrides.none().withTokens(settings.tokens().isEmpty() ? null : settings.tokens())
                .withPackaging(settings.packaging());
        SignedDocument sd;
        try {
            sd = signing.sign(new SigningRequest(settings.profile(), o, "hotfolder:" + settings.name(), null),
                    new Document(e.rel(), content));
        } catch (SigningException x) {
            if (DOCUMENT_FAULTS.contains(x.reason())) {
                throw new Outcome.Refused(x.reason().label(), x.getMessage(), true);
            }
            throw new Outcome.Held(x.reason().label(), x.getMessage(), x);
        } catch (LinkageError x) {
            // A plug-in's jar taken away mid-signature: it may come back.
            throw new Outcome.Held(Reason.FORMAT_UNAVAILABLE.label(), "a plug-in went away while signing", x);
        }
        boolean detached = sd.packaging() == Packaging.DETACHED;
        String output = outputName(e.rel(), sd.output().name(), detached);
        String outSha;
        Path sig = batch.stagedSignature(e.index());
        try {
            batch.ensureFolder(sig.getParent());
            // Written in place: a half-written file is never trusted, since only a journal line with its
            // hash makes it count, and that line is written after this file is complete.
            outSha = stage(sd.output().content(), sig);
        } catch (IOException x) {
            throw new Outcome.Held(Reason.IO_ERROR.label(), "the signed output cannot be staged in " + settings.work() + ": " + x.getMessage(), x);
        } finally {
            sd.output().content().release();
        }
        if (!detached) {
            // Only a detached signature is published beside the original's copy.
            try {
                Files.deleteIfExists(staged);
            } catch (IOException x) {
                // A leftover staged copy is removed with the batch's work folder.
            }
        }
        return new Journal.Signed(sd.inputSha256(), output, outSha, detached,
                sd.signer() == null ? "" : sd.signer().getSubjectX500Principal().getName(),
                sd.level() == null ? "" : sd.level().toString(), sd.signingTime() == null ? "" : sd.signingTime().toString(),
                sd.token() == null ? "" : sd.token(), sd.receipt().map(r -> r.id()).orElse(""),
                sd.receipt().map(r -> r.tree()).orElse(""), sd.receipt().map(r -> Long.toString(r.leaf())).orElse(""));
    }

    /**
     * An archive-only root: the document's copy is staged as the batch's output under its own name,
     * hashed as it is written, and that staged copy is what enters the archive unsigned: the bytes
     * archived, the bytes published and the hash in READY are the same. READY holds the receipt.
     */
    private Journal.Signed archive(Batch batch, Manifest.Entry e, Content content, Path staged) throws Outcome {
        Path out = batch.stagedSignature(e.index());
        String sha;
        try {
            batch.ensureFolder(out.getParent());
            sha = stage(content, out);
            Files.deleteIfExists(staged);
        } catch (IOException x) {
            throw new Outcome.Held(Reason.IO_ERROR.label(), "the copy to archive cannot be staged in " + settings.work() + ": " + x.getMessage(), x);
        }
        org.sigillum.api.ArchiveReceipt receipt;
        try {
            receipt = signing.archive("hotfolder:" + settings.name(), new Document(e.rel(), Content.of(out)));
        } catch (SigningException x) {
            if (DOCUMENT_FAULTS.contains(x.reason())) {
                throw new Outcome.Refused(x.reason().label(), x.getMessage(), true);
            }
            throw new Outcome.Held(x.reason().label(), x.getMessage(), x);
        } catch (LinkageError x) {
            throw new Outcome.Held(Reason.ARCHIVE_UNAVAILABLE.label(), "a plug-in went away while archiving", x);
        }
        return new Journal.Signed(sha, e.rel(), sha, false, "", "", "", "", receipt.id(), receipt.tree(), Long.toString(receipt.leaf()));
    }

    /**
     * The staged copy: {@code data} when it was read into memory, else the rest of {@code in}. A
     * failure to read the input propagates as an {@link IOException} (the document's problem); a
     * failure to write the work folder is the server's and holds the document.
     */
    private long writeStaged(InputStream in, byte[] data, Path staged) throws IOException, Outcome {
        OutputStream out;
        try {
            out = Files.newOutputStream(staged, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (IOException x) {
            throw workFolder(x);
        }
        boolean ok = false;
        try {
            long total = 0;
            if (data != null) {
                write(out, data, data.length);
                total = data.length;
            } else {
                byte[] buf = new byte[64 * 1024];
                for (int n; (n = in.read(buf)) > 0;) {
                    write(out, buf, n);
                    total += n;
                }
            }
            ok = true;
            return total;
        } finally {
            try {
                out.close();
            } catch (IOException x) {
                if (ok) {
                    throw workFolder(x);
                }
            }
        }
    }

    private void write(OutputStream out, byte[] b, int n) throws Outcome.Held {
        try {
            out.write(b, 0, n);
        } catch (IOException x) {
            throw workFolder(x);
        }
    }

    private Outcome.Held workFolder(IOException x) {
        return new Outcome.Held(Reason.IO_ERROR.label(), "the work folder " + settings.work() + " cannot be written: " + x.getMessage(), x);
    }

    /** Writes the content to a staged file and returns its SHA-256 (hex), computed while writing. */
    private static String stage(Content content, Path target) throws IOException {
        MessageDigest md = sha256();
        try (InputStream in = content.openStream();
                OutputStream out = new DigestOutputStream(Files.newOutputStream(target, StandardOpenOption.CREATE,
                        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE), md)) {
            in.transferTo(out);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** An I/O failure as a person reads it: the JDK often gives only the file's name. */
    static String reason(IOException x) {
        String m = x.getMessage();
        if (x instanceof java.nio.file.FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        return x.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }

    /** The format's name for the output, kept inside the batch and given the root's extension if one is set. */
    private String outputName(String rel, String produced, boolean detached) throws Outcome {
        String name = produced.replace('\\', '/');
        if (name.startsWith("/") || name.isEmpty() || java.util.Arrays.asList(name.split("/")).contains("..")) {
            throw new Outcome.Refused(Reason.INTERNAL.label(), "the format named its output '" + produced + "', outside the batch");
        }
        if (detached && !settings.signatureExtension().isEmpty()) {
            name = rel + settings.signatureExtension();
        }
        // NAME.p7s of a 255-byte NAME is too long for any file system: shortened now, before it is journaled.
        return Finisher.fit(name);
    }

    /** An empty file is refused by default: it is almost always a transfer that went wrong. */
    private void checkEmpty(Manifest.Entry e) throws Outcome {
        if (e.size() == 0 && !settings.acceptEmpty()) {
            throw refused("is empty (0 bytes); empty files are not signed unless the root sets acceptEmptyFiles");
        }
    }

    private static Outcome.Refused refused(String message) {
        return new Outcome.Refused(Reason.BAD_INPUT.label(), message);
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
