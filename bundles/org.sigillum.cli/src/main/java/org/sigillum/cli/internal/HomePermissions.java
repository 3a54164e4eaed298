package org.sigillum.cli.internal;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Keeps what the server owns private to its account. The launcher starts the server with umask
 * 077, so whatever it creates is private from the start; a home made by an older version, restored
 * from a backup or opened by hand may still have parts that other local users can read (the
 * archive's database and kept documents are the plaintext of every document ever signed, the audit
 * log names them, etc/ holds key-store passwords) or write (a jar in deploy/ is code the server
 * runs). At every start those parts are made private again, and the server says which.
 */
final class HomePermissions {

    /**
     * What only the server may read or write ({@code work/} holds PAdES's temporary files of large
     * documents). Hot-folder in/, out/ and error/ are shared by configuration.
     */
    static final List<String> PRIVATE = List.of("etc", "pki", "state", "log", "run", "tsa", "deploy", "work", "hotfolder/work");

    private static final Set<PosixFilePermission> OPEN = EnumSet.of(PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private HomePermissions() {
    }

    /** One part of the home that was open, and how many of its files and folders were. */
    record Repaired(String part, int entries) {
    }

    /**
     * Removes every group and other permission below the private parts of {@code home}, and group
     * or other write permission on the home folder itself (whoever may write there may replace
     * etc/). Links are neither followed nor changed. Returns what was open.
     */
    static List<Repaired> secure(Path home) throws IOException {
        List<Repaired> repaired = new ArrayList<>();
        PosixFileAttributeView top = Files.getFileAttributeView(home, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
        if (top == null) {
            return repaired; // not a POSIX file system: nothing we can say about its modes
        }
        Set<PosixFilePermission> p = top.readAttributes().permissions();
        if (p.remove(PosixFilePermission.GROUP_WRITE) | p.remove(PosixFilePermission.OTHERS_WRITE)) {
            top.setPermissions(p);
            repaired.add(new Repaired(".", 1));
        }
        for (String part : PRIVATE) {
            Path dir = home.resolve(part);
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            int[] count = { 0 };
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a) throws IOException {
                    close(d, count);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                    if (!a.isSymbolicLink()) {
                        close(f, count);
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path f, IOException e) {
                    return FileVisitResult.CONTINUE; // a socket that went away meanwhile, say
                }
            });
            if (count[0] > 0) {
                repaired.add(new Repaired(part, count[0]));
            }
        }
        return repaired;
    }

    private static void close(Path f, int[] count) throws IOException {
        PosixFileAttributeView v = Files.getFileAttributeView(f, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
        Set<PosixFilePermission> p = v.readAttributes().permissions();
        if (p.removeAll(OPEN)) {
            v.setPermissions(p);
            count[0]++;
        }
    }
}
