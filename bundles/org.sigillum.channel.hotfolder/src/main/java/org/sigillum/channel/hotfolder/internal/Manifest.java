package org.sigillum.channel.hotfolder.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * What a batch was when it was taken: its documents (relative names, sizes, modification times)
 * in a fixed order. Written once, durably, when the batch is claimed; the claim itself is the
 * rename that puts this file in place. Everything later refers to documents by their index here.
 *
 * @param source the input batch folder, or the loose file
 * @param name the batch's name, as the output folder is named
 */
record Manifest(String id, Path source, String name, boolean loose, Instant approvedAt, List<Entry> entries) {

    static final String FILE = "batch";

    /** What a path in a batch is; only regular files are documents, the rest goes to error. */
    enum Kind {
        FILE, LINK, SPECIAL, UNREADABLE
    }

    record Entry(int index, String rel, Kind kind, long size, long modified) {
    }

    /** Lists a batch folder without following links; the approval semaphore at its top is not a document. */
    static List<Entry> scan(Path batch, String approval) throws IOException {
        List<Entry> found = new ArrayList<>();
        Files.walkFileTree(batch, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes a) {
                String rel = rel(batch, file);
                if (file.getParent().equals(batch) && file.getFileName().toString().equals(approval)) {
                    return FileVisitResult.CONTINUE;
                }
                Kind k = a.isRegularFile() ? Kind.FILE : a.isSymbolicLink() ? Kind.LINK : Kind.SPECIAL;
                found.add(new Entry(0, rel, k, a.size(), a.lastModifiedTime().toMillis()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException exc) {
                found.add(new Entry(0, rel(batch, file), Kind.UNREADABLE, 0, 0));
                return FileVisitResult.CONTINUE;
            }
        });
        found.sort(Comparator.comparing(Entry::rel));
        List<Entry> indexed = new ArrayList<>(found.size());
        for (Entry e : found) {
            indexed.add(new Entry(indexed.size(), e.rel(), e.kind(), e.size(), e.modified()));
        }
        return indexed;
    }

    static String rel(Path base, Path file) {
        return base.relativize(file).toString().replace(java.io.File.separatorChar, '/');
    }

    void writeTo(Path dir) throws IOException {
        StringBuilder sb = new StringBuilder("sigillum-batch 1\n");
        // As a URI: a folder name that is not valid in the JVM's charset still reads back as the same path.
        sb.append(Escape.line("id", id)).append(Escape.line("source", source.toUri().toString()))
                .append(Escape.line("name", name)).append(Escape.line("loose", String.valueOf(loose)))
                .append(Escape.line("approved", approvedAt.toString()));
        for (Entry e : entries) {
            sb.append(Escape.line("E", e.kind().name(), Long.toString(e.size()), Long.toString(e.modified()), e.rel()));
        }
        sb.append("end\n");
        Disk.writeDurably(dir.resolve(FILE), sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    static Manifest readFrom(Path dir) throws IOException {
        List<String> lines = Files.readAllLines(dir.resolve(FILE), StandardCharsets.UTF_8);
        if (lines.isEmpty() || !lines.get(0).equals("sigillum-batch 1") || !lines.get(lines.size() - 1).equals("end")) {
            throw new IOException("not a complete batch manifest: " + dir.resolve(FILE));
        }
        String id = null;
        String source = null;
        String name = null;
        boolean loose = false;
        Instant approved = Instant.EPOCH;
        List<Entry> entries = new ArrayList<>();
        for (String line : lines.subList(1, lines.size() - 1)) {
            String[] f = Escape.fields(line);
            switch (f[0]) {
                case "id" -> id = f[1];
                case "source" -> source = f[1];
                case "name" -> name = f[1];
                case "loose" -> loose = Boolean.parseBoolean(f[1]);
                case "approved" -> approved = Instant.parse(f[1]);
                case "E" -> entries.add(new Entry(entries.size(), f[4], Kind.valueOf(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3])));
                default -> throw new IOException("unknown line in " + dir.resolve(FILE) + ": " + f[0]);
            }
        }
        if (id == null || source == null || name == null) {
            throw new IOException("incomplete batch manifest: " + dir.resolve(FILE));
        }
        return new Manifest(id, Path.of(java.net.URI.create(source)), name, loose, approved, List.copyOf(entries));
    }

    /** Where document {@code e} was in the input. */
    Path input(Entry e) {
        return loose ? source : source.resolve(e.rel());
    }

    /**
     * Whether the folders between the batch and document {@code e} are still real folders: a sender
     * who swaps one for a symbolic link after approval must not make us read, copy or delete
     * anything outside the batch.
     */
    boolean inside(Entry e) {
        if (loose) {
            return true;
        }
        try {
            if (Files.isSymbolicLink(source)) {
                return false;
            }
            Path rel = Path.of(e.rel()).getParent();
            if (rel == null) {
                return true;
            }
            return source.resolve(rel).toRealPath().equals(source.toRealPath().resolve(rel));
        } catch (IOException | RuntimeException x) {
            return false;
        }
    }

    /** Whether the input file is still the one listed (same size and modification time, not a link). */
    boolean unchanged(Entry e) {
        try {
            BasicFileAttributes a = Files.readAttributes(input(e), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            return a.isRegularFile() && a.size() == e.size() && a.lastModifiedTime().toMillis() == e.modified();
        } catch (IOException x) {
            return false;
        }
    }
}
