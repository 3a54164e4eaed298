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

    Finisher(RootSettings settings) {
        this.settings = settings;
    }

    /** Returns the published output folder's name, or null when the batch failed as a whole. */
    String finish(Batch b) throws IOException {
        long t0 = System.nanoTime();
        if (!b.marks.containsKey("synced")) {
            dropChangedCopies(b);
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

    /**
     * A staged copy that is a hard link to the sender's file changes if the sender rewrites that file
     * in place after approval. Such a document is not published with a signature that no longer
     * matches it: it goes to error, and the sender sends it again.
     */
    private void dropChangedCopies(Batch b) throws IOException {
        for (Manifest.Entry e : b.manifest.entries()) {
            Journal.Signed s = b.signed.get(e.index());
            if (s == null || !s.detached()) {
                continue;
            }
            Path staged = b.stagedInput(e.index());
            boolean same;
            try {
                BasicFileAttributes a = Files.readAttributes(staged, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                same = a.size() == e.size() && a.lastModifiedTime().toMillis() == e.modified();
            } catch (NoSuchFileException x) {
                same = false;
            }
            if (!same) {
                Journal.Failed f = new Journal.Failed("bad input", "was changed in place after it was signed and before its "
                        + "batch was published; the signature no longer matches it. Send it again in a new batch");
                b.journal.failed(e.index(), f);
                b.signed.remove(e.index());
                b.failed.put(e.index(), f);
            }
        }
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
            boolean kept = m.inside(e) && copyOriginal(m.input(e), copy);
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
            Files.writeString(dir.resolve(copyName + ".error.json"), JsonOut.write(j), StandardCharsets.UTF_8);
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
                while (!taken.add(n + ".error.json")) {
                    taken.remove(n);
                    n = unique(taken, n + "~");
                }
                names.put(e.index(), n);
            }
        }
        return names;
    }

    /** Copies the untouched original into the error folder; a link is copied as a link, a pipe not at all. */
    private static boolean copyOriginal(Path original, Path copy) throws IOException {
        try {
            BasicFileAttributes a = Files.readAttributes(original, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!a.isRegularFile() && !a.isSymbolicLink()) {
                return false;
            }
            Files.copy(original, copy, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES,
                    LinkOption.NOFOLLOW_LINKS);
            return true;
        } catch (NoSuchFileException | java.nio.file.AccessDeniedException e) {
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

    /** {@code name}, or {@code name~2} before its extension, so that no output overwrites another. */
    static String unique(Set<String> taken, String name) {
        if (taken.add(name)) {
            return name;
        }
        int slash = name.lastIndexOf('/');
        int dot = name.lastIndexOf('.');
        String stem = dot > slash + 1 ? name.substring(0, dot) : name;
        String ext = dot > slash + 1 ? name.substring(dot) : "";
        for (int i = 2;; i++) {
            String n = stem + "~" + i + ext;
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
        if (!m.loose() && Files.isSymbolicLink(m.source())) {
            // Replaced by a link after approval: nothing behind it is ours to touch.
            return;
        }
        Map<Integer, String> errorNames = errorNames(b, failedWhole);
        if (settings.done() != null && !m.loose()) {
            if (Files.isDirectory(m.source(), LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectories(settings.done());
                moveFolder(m.source(), settings.done().resolve(Disk.freeName(settings.done(), m.name())));
            }
            return;
        }
        for (Manifest.Entry e : m.entries()) {
            Path p = m.input(e);
            if (!m.inside(e)) {
                continue;
            }
            boolean copied = switch (e.kind()) {
                case LINK, SPECIAL -> true;
                case UNREADABLE -> false;
                case FILE -> m.unchanged(e) && ((!failedWhole && b.signed.containsKey(e.index()))
                        || (errorName != null && errorNames.containsKey(e.index())
                                && Files.exists(settings.error().resolve(errorName).resolve(errorNames.get(e.index())), LinkOption.NOFOLLOW_LINKS)));
            };
            if (copied) {
                if (m.loose() && settings.done() != null) {
                    Files.createDirectories(settings.done());
                    Files.move(p, settings.done().resolve(Disk.freeName(settings.done(), m.name())));
                } else {
                    Files.deleteIfExists(p);
                }
            }
        }
        if (m.loose()) {
            if (Files.exists(m.source(), LinkOption.NOFOLLOW_LINKS)) {
                keepUnprocessed(m, List.of(m.name()), true);
            }
            return;
        }
        Path source = m.source();
        if (!Files.isDirectory(source, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.deleteIfExists(source.resolve(settings.approval()));
        Disk.deleteEmptyDirectories(source);
        if (Files.exists(source, LinkOption.NOFOLLOW_LINKS)) {
            List<String> left = new ArrayList<>();
            Files.walkFileTree(source, new java.nio.file.SimpleFileVisitor<>() {
                @Override
                public java.nio.file.FileVisitResult visitFile(Path f, BasicFileAttributes a) {
                    left.add(Manifest.rel(source, f));
                    return java.nio.file.FileVisitResult.CONTINUE;
                }

                @Override
                public java.nio.file.FileVisitResult visitFileFailed(Path f, IOException x) {
                    left.add(Manifest.rel(source, f) + " (cannot be read)");
                    return java.nio.file.FileVisitResult.CONTINUE;
                }
            });
            left.sort(null);
            keepUnprocessed(m, left, false);
        }
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
                + "batch was approved, or could not be read or copied (the batch's error files say why). Send them again in a new batch.");
        j.put("files", left);
        Disk.writeDurably(target.resolve("UNPROCESSED.json"), JsonOut.write(j).getBytes(StandardCharsets.UTF_8));
    }

    private static void moveFolder(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (java.nio.file.AtomicMoveNotSupportedException e) {
            Disk.copyTree(from, to, "");
            Disk.deleteTree(from);
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
