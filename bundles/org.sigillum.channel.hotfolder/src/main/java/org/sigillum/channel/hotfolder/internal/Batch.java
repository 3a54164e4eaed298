package org.sigillum.channel.hotfolder.internal;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A claimed batch at run time: its manifest, its journal and what is left to do. The scheduling
 * fields are guarded by the root's lock; the outcome maps are safe to read from any thread.
 */
final class Batch {
    final Manifest manifest;
    final Path dir;
    final Journal journal;
    final Map<Integer, Journal.Signed> signed = new ConcurrentHashMap<>();
    final Map<Integer, Journal.Failed> failed = new ConcurrentHashMap<>();
    final Map<String, String> marks = new ConcurrentHashMap<>();

    // Guarded by the root's lock.
    final ArrayDeque<Integer> pending = new ArrayDeque<>();
    int inFlight;
    boolean abort;
    boolean finishing;
    long retryAt;
    long backoffMillis;
    final long startedNanos = System.nanoTime();
    /** Why this batch waits, for the status; null when it does not. */
    volatile String waitReason;
    /** How long finishing took, step by step, for the log. */
    volatile String timing = "";

    Batch(Manifest manifest, Path dir) {
        this.manifest = manifest;
        this.dir = dir;
        this.journal = new Journal(dir);
    }

    String name() {
        return manifest.name();
    }

    /**
     * Staged files are spread over folders by index: workers creating files in one folder queue on
     * its lock while the file system allocates inodes, which measured as a third of a worker's time.
     */
    static final int SHARDS = 32;

    private final java.util.Set<Path> folders = ConcurrentHashMap.newKeySet();

    /** Creates a staging folder once, not once per document. */
    void ensureFolder(Path folder) throws java.io.IOException {
        if (!folders.contains(folder)) {
            java.nio.file.Files.createDirectories(folder);
            folders.add(folder);
        }
    }

    Path stagedInput(int index) {
        return dir.resolve("input").resolve(Integer.toString(index % SHARDS)).resolve(Integer.toString(index));
    }

    Path stagedSignature(int index) {
        return dir.resolve("sig").resolve(Integer.toString(index % SHARDS)).resolve(Integer.toString(index));
    }

    boolean done(int index) {
        return signed.containsKey(index) || failed.containsKey(index);
    }
}
