package org.sigillum.channel.hotfolder.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
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

    /**
     * One listed name. {@code key} is the file's device and inode ("(dev=…,ino=…)") when it was
     * listed: size and time alone do not prove that a file is still the one approved.
     */
    record Entry(int index, String rel, Kind kind, long size, long modified, String key) {
        Entry(int index, String rel, Kind kind, long size, long modified) {
            this(index, rel, kind, size, modified, "");
        }
    }

    /** Lists a batch folder without following links at any level; the approval semaphore at its top is not a document. */
    static List<Entry> scan(InputTree tree, String batchFolder, String approval) throws IOException {
        List<Entry> indexed = new ArrayList<>();
        for (InputTree.Found f : tree.list(List.of(batchFolder), approval)) {
            indexed.add(new Entry(indexed.size(), f.rel(), f.kind(), f.size(), f.modified(), f.key()));
        }
        return indexed;
    }

    void writeTo(Path dir) throws IOException {
        StringBuilder sb = new StringBuilder("sigillum-batch 1\n");
        // As a URI: a folder name that is not valid in the JVM's charset still reads back as the same path.
        sb.append(Escape.line("id", id)).append(Escape.line("source", source.toUri().toString()))
                .append(Escape.line("name", name)).append(Escape.line("loose", String.valueOf(loose)))
                .append(Escape.line("approved", approvedAt.toString()));
        for (Entry e : entries) {
            sb.append(Escape.line("E", e.kind().name(), Long.toString(e.size()), Long.toString(e.modified()), e.rel(), e.key()));
        }
        sb.append("end\n");
        Disk.writeDurably(dir.resolve(FILE), sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Reads a manifest back; a damaged one (any field) is an IOException naming it, never a runtime failure. */
    static Manifest readFrom(Path dir) throws IOException {
        try {
            return parse(dir);
        } catch (RuntimeException e) {
            throw new IOException("damaged batch manifest " + dir.resolve(FILE) + ": " + e, e);
        }
    }

    private static Manifest parse(Path dir) throws IOException {
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
                // Manifests written before the file key was recorded have five fields.
                case "E" -> entries.add(new Entry(entries.size(), f[4], Kind.valueOf(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]),
                        f.length > 5 ? f[5] : ""));
                default -> throw new IOException("unknown line in " + dir.resolve(FILE) + ": " + f[0]);
            }
        }
        if (id == null || source == null || name == null) {
            throw new IOException("incomplete batch manifest: " + dir.resolve(FILE));
        }
        return new Manifest(id, Path.of(java.net.URI.create(source)), name, loose, approved, List.copyOf(entries));
    }


    /** The names leading from the root's in folder to document {@code e}, one component each. */
    List<String> parts(Entry e) {
        List<String> p = new ArrayList<>();
        p.add(source.getFileName().toString());
        if (!loose) {
            p.addAll(List.of(e.rel().split("/")));
        }
        return p;
    }

    /** The batch folder's own name in the in folder. */
    List<String> folder() {
        return List.of(source.getFileName().toString());
    }
}
