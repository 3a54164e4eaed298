package org.sigillum.channel.hotfolder.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Publishes a batch whose documents all have an outcome. Every step is recorded in the journal
 * before or after it is taken so that a crash at any point resumes here without doing anything
 * twice: force the staged files to disk, publish failures to {@code error/<batch>}, assemble and
 * publish {@code out/<batch>} with READY in one rename, then clear the input.
 */
final class Finisher {

    private final RootSettings settings;
    private final InputTree inputs;
    /** The group published results are shared with; null: private. Set by {@link Root#start()} before any work. */
    private Sharing sharing;

    Finisher(RootSettings settings, InputTree inputs) {
        this.settings = settings;
        this.inputs = inputs;
    }

    void share(Sharing s) {
        this.sharing = s;
    }

    /** Returns the published output folder's name, or null when the batch failed as a whole. */
    String finish(Batch b) throws IOException {
        long t0 = System.nanoTime();
        if (!b.marks.containsKey("synced")) {
            Disk.syncTree(b.dir);
            b.journal.force();
            mark(b, "synced", "yes");
        }
        // Only now: the check above may have turned a signed document into a failed one.
        boolean failedWhole = settings.allOrNothing() && !b.failed.isEmpty();
        Path pub = b.dir.resolve("publish");
        String errorName = null;
        if (!b.failed.isEmpty()) {
            errorName = b.marks.get("error-published");
            if (errorName == null) {
                errorName = alreadyPlaced(b, pub.resolve("error"), settings.error(), "error-name");
            }
            if (errorName == null) {
                errorName = publishErrors(b, pub.resolve("error"), failedWhole);
                mark(b, "error-published", errorName);
            }
        }
        long t1 = System.nanoTime();
        String outName = null;
        if (!failedWhole) {
            outName = b.marks.get("out-published");
            if (outName == null) {
                outName = alreadyPlaced(b, pub.resolve("out"), settings.out(), "out-name");
            }
            if (outName == null) {
                outName = publishOut(b, pub.resolve("out"), errorName);
                mark(b, "out-published", outName);
            }
        }
        long t2 = System.nanoTime();
        if (!b.marks.containsKey("cleaned")) {
            clearInput(b, failedWhole, errorName);
            mark(b, "cleaned", "yes");
        }
        b.timing = String.format("sync %d ms, publish %d ms, input cleared %d ms", (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000,
                (System.nanoTime() - t2) / 1_000_000);
        return outName;
    }

    private String publishErrors(Batch b, Path dir, boolean failedWhole) throws IOException {
        Manifest m = b.manifest;
        Files.createDirectories(dir);
        Map<Integer, String> errorNames = errorNames(b, failedWhole);
        List<Object> failures = new ArrayList<>();
        for (Manifest.Entry e : m.entries()) {
            Journal.Failed f = b.failed.get(e.index());
            if (f == null && !failedWhole) {
                continue;
            }
            String copyName = errorNames.get(e.index());
            Path copy = dir.resolve(copyName);
            Files.createDirectories(copy.getParent());
            boolean kept = e.kind() == Manifest.Kind.FILE && copyOriginal(m, e, copy);
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("document", e.rel());
            j.put("batch", m.name());
            j.put("root", settings.name());
            if (f != null) {
                j.put("reason", f.reason());
                j.put("message", f.message());
            } else {
                j.put("reason", "not signed");
                j.put("message", "another document of this all-or-nothing batch failed; nothing of the batch was released");
            }
            j.put("originalKept", kept);
            j.put("time", Instant.now().toString());
            Files.writeString(dir.resolve(errorJson(copyName)), JsonOut.write(j), StandardCharsets.UTF_8);
            if (f != null) {
                failures.add(Map.of("document", e.rel(), "reason", f.reason(), "message", f.message()));
            }
        }
        if (failedWhole) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("batch", m.name());
            j.put("batchId", m.id());
            j.put("root", settings.name());
            j.put("policy", "all-or-nothing");
            j.put("documents", m.entries().size());
            j.put("failures", failures);
            j.put("time", Instant.now().toString());
            Files.writeString(dir.resolve(settings.failed()), JsonOut.write(j), StandardCharsets.UTF_8);
        }
        if (sharing != null) {
            sharing.shareReadOnly(dir);
        }
        Disk.syncTree(dir);
        return place(b, dir, settings.error(), "error-name", failedWhole ? settings.failed() : null);
    }

    /**
     * Where each failed document's copy goes in the error folder, planned from the journal alone (so
     * that clearing the input after a crash looks in the same places): its relative name, unless that
     * is the FAILED semaphore's or another copy's or error file's name.
     */
    Map<Integer, String> errorNames(Batch b, boolean failedWhole) {
        Set<String> taken = new HashSet<>();
        taken.add(settings.failed());
        Map<Integer, String> names = new java.util.HashMap<>();
        for (Manifest.Entry e : b.manifest.entries()) {
            if (failedWhole || b.failed.containsKey(e.index())) {
                String n = unique(taken, e.rel());
                while (!taken.add(errorJson(n))) {
                    taken.remove(n);
                    n = unique(taken, n + "~");
                }
                names.put(e.index(), n);
            }
        }
        return names;
    }

    /**
     * Copies the original into the error folder as it is now, through a descriptor opened without
     * following links. A link, a pipe or a file that cannot be read is not copied; it stays in the
     * input and moves to {@code <batch>-unprocessed}.
     */
    private boolean copyOriginal(Manifest m, Manifest.Entry e, Path copy) throws IOException {
        try {
            return inputs.copyFile(m.parts(e), copy);
        } catch (java.nio.file.AccessDeniedException x) {
            return false;
        }
    }

    private String publishOut(Batch b, Path dir, String errorName) throws IOException {
        Manifest m = b.manifest;
        Files.createDirectories(dir);
        // Names are planned from the journal alone, so a second run after a crash moves to the same places.
        Set<String> taken = new HashSet<>();
        taken.add(settings.ready());
        List<Object> documents = new ArrayList<>();
        List<Path[]> moves = new ArrayList<>();
        for (Manifest.Entry e : m.entries()) {
            Journal.Signed s = b.signed.get(e.index());
            if (s == null) {
                continue;
            }
            List<String> outputs = new ArrayList<>();
            if (s.detached()) {
                String copy = unique(taken, e.rel());
                moves.add(new Path[] { b.stagedInput(e.index()), dir.resolve(copy) });
                outputs.add(copy);
            }
            String sig = unique(taken, s.output());
            moves.add(new Path[] { b.stagedSignature(e.index()), dir.resolve(sig) });
            outputs.add(sig);
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("name", e.rel());
            d.put("outputs", outputs);
            d.put("sha256", s.sha256());
            if (!settings.archiveOnly()) {
                d.put("signer", s.signer());
                d.put("level", s.level());
                d.put("time", s.time());
                d.put("token", s.token());
            }
            d.put("archive", s.archive().isEmpty() ? null : receipt(s));
            documents.add(d);
        }
        moveAll(moves);
        Map<Integer, String> errorNames = errorNames(b, false);
        List<Object> failures = new ArrayList<>();
        for (Manifest.Entry e : m.entries()) {
            Journal.Failed f = b.failed.get(e.index());
            if (f != null) {
                Map<String, Object> d = new LinkedHashMap<>();
                d.put("name", e.rel());
                d.put("reason", f.reason());
                d.put("message", f.message());
                d.put("error", errorName == null ? null : errorName + "/" + errorNames.get(e.index()));
                failures.add(d);
            }
        }
        Map<String, Object> ready = new LinkedHashMap<>();
        ready.put("batch", m.name());
        ready.put("batchId", m.id());
        ready.put("root", settings.name());
        ready.put("profile", settings.archiveOnly() ? null : settings.profile());
        ready.put("approved", m.approvedAt().toString());
        ready.put("completed", Instant.now().toString());
        ready.put(settings.archiveOnly() ? "archived" : "signed", documents.size());
        ready.put("failed", failures.size());
        ready.put("documents", documents);
        ready.put("failures", failures);
        Disk.writeDurably(dir.resolve(settings.ready()), JsonOut.write(ready).getBytes(StandardCharsets.UTF_8));
        if (sharing != null) {
            sharing.shareReadOnly(dir);
        }
        Disk.forceDirectory(dir);
        return place(b, dir, settings.out(), "out-name", settings.ready());
    }

    /** The archive receipt: its id, which evidence is asked for by, and where it is (tree and leaf). */
    private static Map<String, Object> receipt(Journal.Signed s) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("id", s.archive());
        r.put("tree", s.archiveTree().isEmpty() ? null : s.archiveTree());
        r.put("leaf", s.archiveLeaf().isEmpty() ? null : Long.parseLong(s.archiveLeaf()));
        return r;
    }

    /** The name a crash interrupted after the move but before it was journaled as done. */
    private static String alreadyPlaced(Batch b, Path assembled, Path parent, String key) {
        String chosen = b.marks.get(key);
        return chosen != null && !Files.exists(assembled, LinkOption.NOFOLLOW_LINKS)
                && Files.isDirectory(parent.resolve(chosen), LinkOption.NOFOLLOW_LINKS) ? chosen : null;
    }

    /**
     * Moves an assembled folder to {@code parent/<batch name>}, or a free variant of it: never over
     * an existing folder. The chosen name is journaled first, so a crash after the move is recognised.
     */
    private String place(Batch b, Path assembled, Path parent, String key, String last) throws IOException {
        Files.createDirectories(parent);
        String chosen = b.marks.get(key);
        if (chosen != null && Files.exists(parent.resolve(chosen), LinkOption.NOFOLLOW_LINKS)
                && Files.exists(assembled, LinkOption.NOFOLLOW_LINKS)
                && !Files.getFileStore(assembled).equals(Files.getFileStore(parent))) {
            // Copied to another file system and renamed into place; the crash came before our copy was deleted.
            Disk.deleteTree(assembled);
            return chosen;
        }
        for (int attempt = 0; attempt < 1000; attempt++) {
            if (chosen == null || attempt > 0) {
                chosen = Disk.freeName(parent, b.manifest.name());
                mark(b, key, chosen);
            }
            if (Disk.publish(assembled, parent, chosen, last)) {
                return chosen;
            }
        }
        throw new IOException("no free name for batch " + b.manifest.name() + " in " + parent);
    }

    /**
     * The staged files into the assembled folder: folders first, then the renames on two threads
     * (a batch's 20,000 renames took a second and a half on one while the other worker idled).
     */
    private static void moveAll(List<Path[]> moves) throws IOException {
        Set<Path> parents = new HashSet<>();
        for (Path[] mv : moves) {
            if (parents.add(mv[1].getParent())) {
                Files.createDirectories(mv[1].getParent());
            }
        }
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            List<java.util.concurrent.Future<?>> done = new ArrayList<>();
            int half = moves.size() / 2;
            for (List<Path[]> part : List.of(moves.subList(0, half), moves.subList(half, moves.size()))) {
                done.add(pool.submit(() -> {
                    for (Path[] mv : part) {
                        move(mv[0], mv[1]);
                    }
                    return null;
                }));
            }
            for (java.util.concurrent.Future<?> f : done) {
                f.get();
            }
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while publishing");
        } finally {
            pool.shutdown();
        }
    }

    private static void move(Path staged, Path target) throws IOException {
        if (!Files.exists(staged, LinkOption.NOFOLLOW_LINKS)) {
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                return;
            }
            throw new IOException("the staged result " + staged + " for " + target.getFileName() + " is missing");
        }
        Disk.rename(staged, target);
    }

    /** The longest file name (one component, in bytes) the file systems we publish to accept. */
    static final int NAME_MAX = 255;

    /**
     * {@code rel} with its last name shortened to fit {@link #NAME_MAX} bytes when it is longer: a
     * legal 255-byte input name would otherwise get an output ({@code NAME.p7s}, {@code ~2},
     * {@code .error.json}) no file system takes, and its batch could never be published. The short
     * name keeps the start and the extension and adds a hash of the full name, so it stays unique;
     * READY and the error files name both.
     */
    static String fit(String rel) {
        int slash = rel.lastIndexOf('/');
        String last = rel.substring(slash + 1);
        byte[] b = last.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (b.length <= NAME_MAX) {
            return rel;
        }
        int dot = last.lastIndexOf('.');
        String ext = dot > 0 && last.length() - dot <= 16 ? last.substring(dot) : "";
        String tag = "~" + HexFormat.of().formatHex(DocumentStep.sha256().digest(b), 0, 8);
        int room = NAME_MAX - tag.length() - ext.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        StringBuilder stem = new StringBuilder();
        int used = 0;
        String body = last.substring(0, last.length() - ext.length());
        for (int i = 0; i < body.length();) {
            int cp = body.codePointAt(i);
            int n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4; // its length in UTF-8
            if (used + n > room) {
                break;
            }
            stem.appendCodePoint(cp);
            used += n;
            i += Character.charCount(cp);
        }
        return rel.substring(0, slash + 1) + stem + tag + ext;
    }

    /** The error file beside a failed document's copy. */
    static String errorJson(String copyName) {
        return fit(copyName + ".error.json");
    }

    /** {@code name}, or {@code name~2} before its extension, so that no output overwrites another; always a name that fits. */
    static String unique(Set<String> taken, String name) {
        name = fit(name);
        if (taken.add(name)) {
            return name;
        }
        int slash = name.lastIndexOf('/');
        int dot = name.lastIndexOf('.');
        String stem = dot > slash + 1 ? name.substring(0, dot) : name;
        String ext = dot > slash + 1 ? name.substring(dot) : "";
        for (int i = 2;; i++) {
            String n = fit(stem + "~" + i + ext);
            if (taken.add(n)) {
                return n;
            }
        }
    }

    /**
     * Removes the input once its results are published: a file only when it is still as listed and
     * a copy of it is in out/ or error/, and the semaphore. Whatever else is left (files added or
     * changed after approval, files that could not be read or copied) is moved as it is to
     * {@code error/<batch>-unprocessed}: nothing the sender gave us is ever deleted without a copy.
     */
    private void clearInput(Batch b, boolean failedWhole, String errorName) throws IOException {
        Manifest m = b.manifest;
        if (!m.loose() && !isFolder(m)) {
            // Gone, or replaced by a link after approval: nothing behind it is ours to touch.
            return;
        }
        Map<Integer, String> errorNames = errorNames(b, failedWhole);
        if (settings.done() != null && !m.loose()) {
            Files.createDirectories(settings.done());
            moveFolder(m.source(), settings.done().resolve(Disk.freeName(settings.done(), m.name())));
            return;
        }
        for (Manifest.Entry e : m.entries()) {
            // Only files we hold a copy of; links, pipes and unreadable names stay and are kept below.
            boolean copied = e.kind() == Manifest.Kind.FILE && ((!failedWhole && b.signed.containsKey(e.index()))
                    || (errorName != null && errorNames.containsKey(e.index())
                            && Files.exists(settings.error().resolve(errorName).resolve(errorNames.get(e.index())), LinkOption.NOFOLLOW_LINKS)));
            if (!copied) {
                continue;
            }
            if (m.loose() && settings.done() != null) {
                if (inputs.unchanged(m.parts(e), e)) {
                    Files.createDirectories(settings.done());
                    Files.move(m.source(), settings.done().resolve(Disk.freeName(settings.done(), m.name())));
                }
            } else {
                // Deleted through its folder's descriptor, and only while its name still holds the listed file.
                inputs.deleteIfListed(m.parts(e), e);
            }
        }
        if (m.loose()) {
            if (Files.exists(m.source(), LinkOption.NOFOLLOW_LINKS)) {
                keepUnprocessed(m, List.of(m.name()), true);
            }
            return;
        }
        inputs.deleteFileIfPlain(List.of(m.source().getFileName().toString(), settings.approval()));
        inputs.deleteEmptyFolders(m.folder());
        if (isFolder(m)) {
            List<String> left = new ArrayList<>();
            try {
                for (InputTree.Found f : inputs.list(m.folder(), "")) {
                    left.add(f.rel() + (f.kind() == Manifest.Kind.UNREADABLE ? " (cannot be read)" : ""));
                }
            } catch (IOException x) {
                left.add("(the folder cannot be listed: " + DocumentStep.reason(x) + ")");
            }
            keepUnprocessed(m, left, false);
        }
    }

    /** Whether the batch's input is still a real folder (not a link to one) in the in folder. */
    private static boolean isFolder(Manifest m) {
        return Files.isDirectory(m.source(), LinkOption.NOFOLLOW_LINKS);
    }

    /** Moves what is left of an input (without reading it) to error/<batch>-unprocessed, with a note. */
    private void keepUnprocessed(Manifest m, List<String> left, boolean loose) throws IOException {
        Files.createDirectories(settings.error());
        Path target = settings.error().resolve(Disk.freeName(settings.error(), m.name() + "-unprocessed"));
        if (loose) {
            Files.createDirectories(target);
            Files.move(m.source(), target.resolve(m.name()));
        } else {
            moveFolder(m.source(), target);
        }
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("batch", m.name());
        j.put("root", settings.name());
        j.put("message", "These files were not signed and are kept here as they were: they were added or changed after the "
                + "batch was approved, are links or pipes (never followed nor copied), or could not be read or copied (the batch's "
                + "error files say why). Send them again in a new batch.");
        j.put("files", left);
        Disk.writeDurably(target.resolve("UNPROCESSED.json"), JsonOut.write(j).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Moves a batch's input folder out of in/: one rename (which moves a link as a link, never what
     * it points to); across file systems its files are copied through descriptors and deleted.
     */
    private void moveFolder(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (java.nio.file.AtomicMoveNotSupportedException e) {
            Files.createDirectories(to);
            inputs.moveFilesOut(List.of(from.getFileName().toString()), to);
        }
    }

    private static void mark(Batch b, String key, String value) throws IOException {
        b.journal.mark(key, value);
        b.marks.put(key, value);
    }

    /** Whether a staged file still has the bytes the journal recorded (after a power loss it may not). */
    static boolean intact(Path file, String sha256) {
        java.security.MessageDigest md = DocumentStep.sha256();
        try (InputStream in = new java.security.DigestInputStream(Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS), md)) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(md.digest()).equals(sha256);
        } catch (IOException e) {
            return false;
        }
    }
}
