package org.sigillum.archive.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.stream.Stream;

import org.sigillum.api.Content;

/**
 * The documents and signatures the archive keeps for hash-tree renewal, content-addressed: a file's
 * name is its hash in the digest of the tree it entered, under {@code DIGEST/ab/abcdef...}. The
 * same file entered twice is stored once. A file appears only complete and forced to the disk
 * (written to a temporary name, then renamed), so a crash leaves at worst a temporary file, which
 * the next start removes; and the file is stored before its entry is committed, so every entry a
 * receipt was given for has its document.
 */
final class DocumentStore {
    private final Path root;

    DocumentStore(Path root) throws IOException {
        this.root = root.toAbsolutePath().normalize();
        Files.createDirectories(this.root);
        try (Stream<Path> s = Files.walk(this.root)) {
            for (Path p : s.filter(f -> f.getFileName().toString().endsWith(".part")).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    Path root() {
        return root;
    }

    Path path(String digest, byte[] hash) {
        String hex = HexFormat.of().formatHex(hash);
        return root.resolve(digest).resolve(hex.substring(0, 2)).resolve(hex);
    }

    /** Stores the content under its hash unless it is there; checks that the content has that hash. */
    void put(String digest, byte[] hash, Content content) throws IOException {
        Path target = path(digest, hash);
        if (Files.isRegularFile(target)) {
            return;
        }
        Files.createDirectories(target.getParent());
        Path tmp = target.resolveSibling(target.getFileName() + "." + Thread.currentThread().threadId() + ".part");
        MessageDigest md = digest(digest);
        try (InputStream in = content.openStream();
                FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            OutputStream out = Channels.newOutputStream(ch);
            byte[] buf = new byte[65536];
            for (int n; (n = in.read(buf)) > 0;) {
                md.update(buf, 0, n);
                out.write(buf, 0, n);
            }
            out.flush();
            ch.force(true);
        } catch (IOException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        if (!MessageDigest.isEqual(md.digest(), hash)) {
            Files.deleteIfExists(tmp);
            throw new IOException("the content given for the archive does not have the hash given with it");
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * The stored content's hash in {@code newDigest}, after checking that it still has its hash in
     * the digest it was stored under; null when the store does not hold it.
     *
     * @throws IOException when the stored file no longer matches its name (it was changed)
     */
    byte[] rehash(String digest, byte[] hash, String newDigest) throws IOException {
        Path p = path(digest, hash);
        if (!Files.isRegularFile(p)) {
            return null;
        }
        MessageDigest old = digest(digest);
        MessageDigest fresh = digest(newDigest);
        try (InputStream in = Files.newInputStream(p)) {
            byte[] buf = new byte[65536];
            for (int n; (n = in.read(buf)) > 0;) {
                old.update(buf, 0, n);
                fresh.update(buf, 0, n);
            }
        }
        if (!MessageDigest.isEqual(old.digest(), hash)) {
            throw new IOException("the stored copy " + p.getFileName() + " no longer has its hash: it was changed on disk");
        }
        return fresh.digest();
    }

    private static MessageDigest digest(String name) throws IOException {
        try {
            return MessageDigest.getInstance(name);
        } catch (NoSuchAlgorithmException e) {
            throw new IOException(e);
        }
    }
}
