package org.sigillum.channel.hotfolder.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * File operations with the durability the hot folder promises: nothing appears under its final
 * name before its bytes are on disk, and a rename is the commit.
 */
final class Disk {

    private Disk() {
    }

    /** Writes under a temporary name in the same folder, forces it to disk, then renames it into place. */
    static void writeDurably(Path target, byte[] data) throws IOException {
        Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.wrap(data);
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
        rename(tmp, target);
        forceDirectory(target.getParent());
    }

    static void rename(Path from, Path to) throws IOException {
        Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    static void forceDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /**
     * Puts every file under {@code dir} on disk before the caller publishes them with one rename.
     * syncfs(2) (through coreutils' {@code sync -f}) flushes a whole batch in one call, where forcing
     * 20,000 files one by one costs seconds; without it, files are forced one by one.
     */
    static void syncTree(Path dir) throws IOException {
        if (!syncFileSystem(dir)) {
            List<Path> files = new ArrayList<>();
            try (Stream<Path> s = Files.walk(dir)) {
                s.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).forEach(files::add);
            }
            for (Path f : files) {
                try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
                    ch.force(true);
                }
            }
        }
        List<Path> dirs = new ArrayList<>();
        try (Stream<Path> s = Files.walk(dir)) {
            s.filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)).forEach(dirs::add);
        }
        for (Path d : dirs) {
            forceDirectory(d);
        }
    }

    private static boolean syncFileSystem(Path dir) {
        try {
            Process p = new ProcessBuilder("sync", "-f", dir.toString()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return false;
            }
            return p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Moves a finished folder to {@code parent/name} in one step when both are on one file system.
     * Across file systems it is copied into a hidden folder on the target's file system (see
     * {@link #partFolder}; each file forced, {@code last} last), which is then renamed: the target
     * still appears whole, at once. Returns false when the target exists: the caller picks another name.
     */
    static boolean publish(Path source, Path parent, String name, String last) throws IOException {
        Path target = parent.resolve(name);
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        try {
            Files.move(source, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Path part = partFolder(parent, name);
            copyTree(source, part, last == null ? "" : last);
            try {
                Files.move(part, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (java.nio.file.DirectoryNotEmptyException | java.nio.file.FileAlreadyExistsException x) {
                return false;
            }
            forceDirectory(parent);
            deleteTree(source);
            return true;
        } catch (java.nio.file.DirectoryNotEmptyException | java.nio.file.FileAlreadyExistsException e) {
            return false;
        }
        forceDirectory(parent);
        return true;
    }

    /**
     * Where a copy to another file system is assembled: beside {@code parent} (so nothing hidden
     * ever shows inside it) when that is the same file system, else inside it as a hidden folder.
     */
    static Path partFolder(Path parent, String name) throws IOException {
        Path up = parent.getParent();
        if (up != null && Files.isWritable(up) && Files.getFileStore(up).equals(Files.getFileStore(parent))) {
            return up.resolve("." + parent.getFileName() + "." + name + ".sigillum-part");
        }
        return parent.resolve("." + name + ".sigillum-part");
    }

    /** The copy for a target on another file system; safe to run again after a crash. */
    static void copyTree(Path source, Path target, String last) throws IOException {
        Files.createDirectories(target);
        List<Path> files = new ArrayList<>();
        try (Stream<Path> s = Files.walk(source)) {
            s.filter(p -> !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)).forEach(files::add);
        }
        if (!last.isEmpty()) {
            Path lastFile = source.resolve(last);
            if (files.remove(lastFile)) {
                files.add(lastFile);
            }
        }
        for (Path f : files) {
            Path to = target.resolve(source.relativize(f).toString());
            Files.createDirectories(to.getParent());
            // A fixed name (one file at a time): "." + a 255-byte name + a suffix would not fit.
            Path tmp = to.resolveSibling(".sigillum-copy.part");
            Files.copy(f, tmp, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
            if (Files.isRegularFile(tmp, LinkOption.NOFOLLOW_LINKS)) {
                try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                    ch.force(true);
                }
            }
            rename(tmp, to);
            forceDirectory(to.getParent());
        }
    }

    /** Deletes a tree without following links out of it. */
    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                Files.deleteIfExists(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** {@code name}, or {@code name-1}, {@code name-2}… whichever does not exist in {@code dir} yet. */
    static String freeName(Path dir, String name) {
        String candidate = name;
        for (int i = 1; Files.exists(dir.resolve(candidate), LinkOption.NOFOLLOW_LINKS); i++) {
            candidate = name + "-" + i;
        }
        return candidate;
    }
}
