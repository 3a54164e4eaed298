package org.sigillum.format.pades.internal;

import java.io.IOException;
import java.io.InputStream;
import java.lang.ref.Cleaner;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import org.sigillum.api.Content;

/**
 * Temporary files for documents too large for the heap. A signed output handed out as a spooled
 * file lives as long as its {@link Content}: when nobody holds the content any more, the file is
 * deleted. Whatever a crash left behind is removed at the next start.
 */
final class Spool {
    private final Path dir;
    private final Cleaner cleaner;

    Spool(Path dir, Cleaner cleaner) {
        this.dir = dir;
        this.cleaner = cleaner;
    }

    /**
     * Removes what an earlier process left behind (nothing in this folder outlives its process), once
     * per process: a marker names the process that cleared last, so a component re-activated in the
     * same process keeps the files it is still handing out.
     */
    void clearLeftoversOfOtherProcesses() {
        ProcessHandle self = ProcessHandle.current();
        String me = self.pid() + " " + self.info().startInstant().map(Object::toString).orElse("");
        Path marker = dir.resolve(".owner");
        try {
            if (Files.isRegularFile(marker) && Files.readString(marker).equals(me)) {
                return;
            }
            clear();
            Files.createDirectories(dir);
            Files.writeString(marker, me);
        } catch (IOException e) {
            System.getLogger(Spool.class.getName()).log(System.Logger.Level.WARNING,
                    "the spool folder " + dir + " cannot be prepared: " + e.getMessage());
        }
    }

    private void clear() {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "pades-*")) {
            for (Path f : files) {
                Files.deleteIfExists(f);
            }
        } catch (IOException e) {
            System.getLogger(Spool.class.getName()).log(System.Logger.Level.WARNING,
                    "old temporary files in " + dir + " cannot be removed: " + e.getMessage());
        }
    }

    Path newFile(String suffix) throws IOException {
        Files.createDirectories(dir);
        return Files.createTempFile(dir, "pades-", suffix);
    }

    /** A content that owns {@code file}: the file goes when the content is no longer reachable. */
    Content own(Path file) {
        SpooledContent content = new SpooledContent(file);
        // release() deletes the file at once; for a consumer that never calls it, the file goes with the content.
        content.cleanable = cleaner.register(content, () -> delete(file));
        return content;
    }

    static void delete(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // left for clear() at the next start
        }
    }

    /** The file's content, as {@code Content.of(file)} reads it, owning the file. */
    private static final class SpooledContent implements Content {
        private final Content file;
        private Cleaner.Cleanable cleanable;

        SpooledContent(Path file) {
            this.file = Content.of(file);
        }

        @Override
        public void release() {
            cleanable.clean();
        }

        @Override
        public InputStream openStream() throws IOException {
            return file.openStream();
        }

        @Override
        public long size() {
            return file.size();
        }

        @Override
        public Optional<Path> file() {
            return file.file();
        }
    }
}
