package org.sigillum.channel.hotfolder.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * A root's input folder, reached only through directory descriptors. Every name below the
 * configured {@code in} folder is opened relative to its already open parent and never through a
 * symbolic link ({@link SecureDirectoryStream}: {@code openat}, {@code fstatat}, {@code unlinkat}
 * with {@code O_NOFOLLOW}). Checking a path and then opening it by name is a race: a sender can
 * swap a sub-folder for a link between the two and get a file outside the batch read, copied or
 * deleted. Here such a swap makes the access fail instead.
 *
 * <p>The configured {@code in} folder itself is the operator's and is opened by its path.
 */
final class InputTree {

    /** Deeper trees are listed as unreadable: each level holds one descriptor open while it is walked. */
    static final int MAX_DEPTH = 64;

    private static final Set<OpenOption> READ = Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);

    private final Path in;

    InputTree(Path in) {
        this.in = in;
    }

    /** A name that is not the file listed in the manifest any more; the message says what happened. */
    static final class NotListed extends IOException {
        private static final long serialVersionUID = 1L;

        NotListed(String message) {
            super(message);
        }
    }

    /** What a name is now, read without following it; the file key is "(dev=…,ino=…)" on Unix. */
    record Stat(boolean file, boolean link, boolean directory, long size, long modified, String key) {
        static Stat of(BasicFileAttributes a) {
            return new Stat(a.isRegularFile(), a.isSymbolicLink(), a.isDirectory(), a.size(), a.lastModifiedTime().toMillis(),
                    a.fileKey() == null ? "" : a.fileKey().toString());
        }
    }

    @FunctionalInterface
    interface At<T, X extends Exception> {
        T apply(SecureDirectoryStream<Path> parent, Path name) throws IOException, X;
    }

    /** What is done with a listed document's bytes while its folder is held open. */
    @FunctionalInterface
    interface Body<T, X extends Exception> {
        T read(InputStream in) throws IOException, X;
    }

    /**
     * Runs {@code f} on the folder that holds {@code parts}' last name, reached from {@code in} one
     * name at a time without following a link; a link or a non-folder on the way is a {@link NotListed}.
     */
    <T, X extends Exception> T at(List<String> parts, At<T, X> f) throws IOException, X {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("no name");
        }
        for (String p : parts) {
            checkName(p);
        }
        SecureDirectoryStream<Path> dir = open(in);
        try {
            for (int i = 0; i < parts.size() - 1; i++) {
                SecureDirectoryStream<Path> next = child(dir, parts.get(i));
                dir.close();
                dir = next;
            }
            return f.apply(dir, Path.of(parts.get(parts.size() - 1)));
        } finally {
            dir.close();
        }
    }

    /** The folder {@code in} opened by its path: it is configuration, not sender input. */
    static SecureDirectoryStream<Path> open(Path folder) throws IOException {
        DirectoryStream<Path> ds = Files.newDirectoryStream(folder);
        if (ds instanceof SecureDirectoryStream<Path> s) {
            return s;
        }
        ds.close();
        throw new IOException("the file system of " + folder + " cannot open folders without following links; "
                + "hot folders refuse to work there");
    }

    /** A sub-folder opened relative to {@code dir}, refused when it is a link or not a folder. */
    static SecureDirectoryStream<Path> child(SecureDirectoryStream<Path> dir, String name) throws IOException {
        Path p = Path.of(name);
        // Looked at first so that a plain file or a pipe is refused before it is opened (opening a
        // pipe would wait for a writer); O_NOFOLLOW below closes the race with a link.
        Stat s = stat(dir, p);
        if (s.link()) {
            throw new NotListed("the folder '" + name + "' was replaced by a symbolic link; links are never followed");
        }
        if (!s.directory()) {
            throw new NotListed("'" + name + "' is no longer a folder");
        }
        try {
            return dir.newDirectoryStream(p, LinkOption.NOFOLLOW_LINKS);
        } catch (FileSystemException e) {
            throw swapped(e, "the folder '" + name + "' was replaced by a symbolic link while it was opened; links are never followed");
        }
    }

    static Stat stat(SecureDirectoryStream<Path> dir, Path name) throws IOException {
        return Stat.of(dir.getFileAttributeView(name, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).readAttributes());
    }

    /**
     * Reads a listed document. It must still be a regular file with the listed device, inode, size
     * and modification time, looked at without following links just before the open; the open
     * refuses a link ({@code O_NOFOLLOW}) and the descriptor must be as long as the file listed; and
     * after {@code body} has read it, its name is looked at again through the same folder descriptor.
     * Whatever a sender swaps in meanwhile, what is read can only be a file inside the batch.
     */
    <T, X extends Exception> T readListed(List<String> parts, Manifest.Entry e, Body<T, X> body) throws IOException, X {
        return at(parts, (dir, name) -> {
            expect(stat(dir, name), e, "before it was signed");
            T result;
            try (SeekableByteChannel ch = open(dir, name); InputStream in = Channels.newInputStream(ch)) {
                // fstat on the descriptor we hold: what we read is as long as the file listed.
                if (ch.size() != e.size()) {
                    throw new NotListed("changed after the batch was approved (" + e.size() + " bytes listed, " + ch.size()
                            + " now): it was probably still being written when the semaphore appeared; send it again in a new batch");
                }
                result = body.read(in);
            }
            expect(stat(dir, name), e, "while it was being read");
            return result;
        });
    }

    /**
     * Copies a regular file, as it is now, into {@code target} (a new file of the server's, never
     * with the sender's permissions); false when the name holds no regular file any more.
     */
    boolean copyFile(List<String> parts, Path target) throws IOException {
        try {
            return at(parts, (dir, name) -> {
                if (!stat(dir, name).file()) {
                    return false;
                }
                try (SeekableByteChannel ch = open(dir, name); InputStream in = Channels.newInputStream(ch)) {
                    Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
                }
                return true;
            });
        } catch (NotListed | NoSuchFileException x) {
            return false;
        }
    }

    private static SeekableByteChannel open(SecureDirectoryStream<Path> dir, Path name) throws IOException {
        try {
            return dir.newByteChannel(name, READ);
        } catch (FileSystemException x) {
            throw swapped(x, "was replaced by a symbolic link while it was opened; links are never followed");
        }
    }

    /** Whether the name still holds the listed file, unchanged; false for anything else, errors included. */
    boolean unchanged(List<String> parts, Manifest.Entry e) {
        try {
            return at(parts, (dir, name) -> {
                expect(stat(dir, name), e, "");
                return true;
            });
        } catch (IOException | RuntimeException x) {
            return false;
        }
    }

    /** Deletes a listed document when its name still holds the listed file; false otherwise. */
    boolean deleteIfListed(List<String> parts, Manifest.Entry e) throws IOException {
        try {
            return at(parts, (dir, name) -> {
                try {
                    expect(stat(dir, name), e, "");
                } catch (NotListed x) {
                    return false;
                }
                dir.deleteFile(name);
                return true;
            });
        } catch (NotListed | NoSuchFileException x) {
            return false;
        }
    }

    /** Deletes a plain file (a semaphore) by name when it is one; a link or anything else stays. */
    void deleteFileIfPlain(List<String> parts) throws IOException {
        try {
            at(parts, (dir, name) -> {
                if (stat(dir, name).file()) {
                    dir.deleteFile(name);
                }
                return null;
            });
        } catch (NotListed | NoSuchFileException x) {
            // Nothing of ours to delete.
        }
    }

    /** Removes the empty folders of the tree {@code parts} names (and that folder itself when empty), bottom up. */
    void deleteEmptyFolders(List<String> parts) throws IOException {
        try {
            at(parts, (dir, name) -> {
                try (SecureDirectoryStream<Path> sub = child(dir, name.toString())) {
                    deleteEmptyBelow(sub, 0);
                }
                try {
                    dir.deleteDirectory(name);
                } catch (IOException x) {
                    // Not empty: it stays.
                }
                return null;
            });
        } catch (NotListed | NoSuchFileException x) {
            // Gone or swapped: nothing of ours to remove.
        }
    }

    private static void deleteEmptyBelow(SecureDirectoryStream<Path> dir, int depth) throws IOException {
        if (depth >= MAX_DEPTH) {
            return;
        }
        List<Path> names = new ArrayList<>();
        for (Path p : dir) {
            names.add(p.getFileName());
        }
        for (Path n : names) {
            Stat s;
            try {
                s = stat(dir, n);
            } catch (IOException x) {
                continue;
            }
            if (!s.directory()) {
                continue;
            }
            try (SecureDirectoryStream<Path> sub = child(dir, n.toString())) {
                deleteEmptyBelow(sub, depth + 1);
            } catch (IOException x) {
                continue; // a folder we may not open, or one swapped meanwhile: it stays
            }
            try {
                dir.deleteDirectory(n);
            } catch (IOException x) {
                // Not empty: it stays.
            }
        }
    }

    /**
     * Copies the regular files of the folder {@code parts} names into {@code target} (a folder of
     * the server's, on another file system) and deletes each original that is still the file copied;
     * links and pipes are neither followed nor copied and stay where they are. For a move across file
     * systems, where a rename cannot do it.
     */
    void moveFilesOut(List<String> parts, Path target) throws IOException {
        List<Found> files = list(parts, "");
        for (Found f : files) {
            if (f.kind() != Manifest.Kind.FILE) {
                continue;
            }
            List<String> p = new ArrayList<>(parts);
            p.addAll(List.of(f.rel().split("/")));
            Manifest.Entry e = new Manifest.Entry(0, f.rel(), f.kind(), f.size(), f.modified(), f.key());
            Path to = target.resolve(f.rel());
            Files.createDirectories(to.getParent());
            Path tmp = to.resolveSibling(".sigillum-copy.part"); // one at a time; a longer name might not fit
            if (!copyFile(p, tmp)) {
                Files.deleteIfExists(tmp);
                continue; // changed meanwhile: it stays in the input
            }
            try (java.nio.channels.FileChannel c = java.nio.channels.FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                c.force(true);
            }
            Disk.rename(tmp, to);
            deleteIfListed(p, e);
        }
        deleteEmptyFolders(parts);
    }

    /** One name found by {@link #list}: its path below the listed folder, and what it is. */
    record Found(String rel, Manifest.Kind kind, long size, long modified, String key) {
    }

    /**
     * Lists everything below the folder {@code parts} names, depth first, without following links;
     * {@code skipTop} (the approval semaphore) is left out at the top. Folders that cannot be opened
     * are listed as unreadable: their contents are never guessed.
     */
    List<Found> list(List<String> parts, String skipTop) throws IOException {
        List<Found> found = new ArrayList<>();
        at(parts, (dir, name) -> {
            try (SecureDirectoryStream<Path> top = child(dir, name.toString())) {
                walk(top, "", skipTop, 0, found);
            }
            return null;
        });
        found.sort(Comparator.comparing(Found::rel));
        return found;
    }

    private static void walk(SecureDirectoryStream<Path> dir, String prefix, String skipTop, int depth, List<Found> found) {
        List<Path> names = new ArrayList<>();
        try {
            for (Path p : dir) {
                names.add(p.getFileName());
            }
        } catch (RuntimeException e) {
            // DirectoryIteratorException: what was read so far is listed; the rest shows up later
            // as files left in the input, kept in error/<batch>-unprocessed.
        }
        for (Path n : names) {
            String rel = prefix + n;
            if (prefix.isEmpty() && n.toString().equals(skipTop)) {
                continue;
            }
            Stat s;
            try {
                s = stat(dir, n);
            } catch (IOException e) {
                found.add(new Found(rel, Manifest.Kind.UNREADABLE, 0, 0, ""));
                continue;
            }
            if (s.directory()) {
                if (depth + 1 >= MAX_DEPTH) {
                    found.add(new Found(rel, Manifest.Kind.UNREADABLE, 0, 0, ""));
                    continue;
                }
                try (SecureDirectoryStream<Path> sub = child(dir, n.toString())) {
                    walk(sub, rel + "/", skipTop, depth + 1, found);
                } catch (IOException e) {
                    found.add(new Found(rel, Manifest.Kind.UNREADABLE, 0, 0, ""));
                }
            } else {
                Manifest.Kind k = s.file() ? Manifest.Kind.FILE : s.link() ? Manifest.Kind.LINK : Manifest.Kind.SPECIAL;
                found.add(new Found(rel, k, s.size(), s.modified(), s.key()));
            }
        }
    }

    /** The listed file, as it was: anything else at its name is named in the message. */
    private static void expect(Stat s, Manifest.Entry e, String when) throws NotListed {
        String w = when.isEmpty() ? "" : " " + when;
        if (s.link()) {
            throw new NotListed("was replaced by a symbolic link" + w + "; links are never followed");
        }
        if (!s.file()) {
            throw new NotListed("is no longer a regular file" + w);
        }
        if (!e.key().isEmpty() && !s.key().isEmpty() && !e.key().equals(s.key())) {
            throw new NotListed("was replaced by another file" + w + " (it is no longer the file listed when the batch "
                    + "was approved); send it again in a new batch");
        }
        if (s.size() != e.size() || s.modified() != e.modified()) {
            String what = s.size() != e.size() ? "its size went from " + e.size() + " to " + s.size() + " bytes"
                    : "it was written again (modification time " + java.time.Instant.ofEpochMilli(e.modified()) + " became "
                            + java.time.Instant.ofEpochMilli(s.modified()) + ")";
            throw new NotListed("changed after the batch was approved (" + what + "): it was probably still being written "
                    + "when the semaphore appeared; send it again in a new batch");
        }
    }

    /** A name from a manifest: one plain component, never a way up or across. */
    private static void checkName(String p) {
        if (p.isEmpty() || p.equals(".") || p.equals("..") || p.indexOf('/') >= 0 || p.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("not a plain file name: '" + p + "'");
        }
    }

    /**
     * O_NOFOLLOW on a link fails with ELOOP, which the JDK reports as a plain FileSystemException;
     * that one is a swap. Everything else (gone, permission denied, no such device) keeps its own
     * exception and so its own message.
     */
    private static IOException swapped(FileSystemException e, String message) {
        String r = e.getReason() == null ? "" : e.getReason();
        return e.getClass() == FileSystemException.class && (r.contains("symbolic link") || r.contains("levels")) ? new NotListed(message) : e;
    }

}
