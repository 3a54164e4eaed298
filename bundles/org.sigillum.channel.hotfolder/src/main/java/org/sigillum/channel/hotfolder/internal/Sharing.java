package org.sigillum.channel.hotfolder.internal;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;

/**
 * The group access a root's configuration grants ({@code group = scanners}): the server creates
 * everything private (umask 077), and only what the operator shares gets the group. Senders in the
 * group write into {@code in}; consumers in it read {@code out} and {@code error}, folder by folder
 * and file by file as they are published. The work folder stays private.
 */
final class Sharing {

    private final GroupPrincipal group;

    private Sharing(GroupPrincipal group) {
        this.group = group;
    }

    /** Null when the root shares nothing. */
    static Sharing of(RootSettings settings, Path anyFolder) throws IOException {
        if (settings.group().isEmpty()) {
            return null;
        }
        return new Sharing(anyFolder.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(settings.group()));
    }

    /** The root's in folder: the group may list it and add batches. */
    void shareIncoming(Path in) throws IOException {
        set(in, EnumSet.of(PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE));
    }

    /** One folder (out, error; not what is in it): the group may list and enter it. */
    void shareFolder(Path dir) throws IOException {
        set(dir, EnumSet.of(PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_EXECUTE));
    }

    /** A published tree: the group may read it, never write it. */
    void shareReadOnly(Path top) throws IOException {
        Files.walkFileTree(top, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a) throws IOException {
                set(d, EnumSet.of(PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_EXECUTE));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                if (a.isRegularFile()) {
                    set(f, EnumSet.of(PosixFilePermission.GROUP_READ));
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private void set(Path p, Set<PosixFilePermission> grant) throws IOException {
        PosixFileAttributeView v = Files.getFileAttributeView(p, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
        v.setGroup(group);
        Set<PosixFilePermission> perms = v.readAttributes().permissions();
        perms.removeIf(x -> x.name().startsWith("GROUP_") || x.name().startsWith("OTHERS_"));
        perms.addAll(grant);
        v.setPermissions(perms);
    }
}
