package org.sigillum.tsa.internal;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Time-stamp serial numbers: strictly increasing and never reused, across restarts and crashes.
 * Numbers are handed out from a block whose upper end is written (and forced to disk) before the
 * first number of it is used, so a crash skips at most the rest of one block, and a number can
 * never be given twice.
 */
final class SerialNumbers {
    static final long BLOCK = 10_000;

    private final Path file;
    private long next;
    private long reservedUpTo;

    SerialNumbers(Path file) throws IOException {
        this.file = file;
        Files.createDirectories(file.toAbsolutePath().getParent());
        long start = 1;
        if (Files.exists(file)) {
            start = Long.parseLong(Files.readString(file, StandardCharsets.US_ASCII).trim());
        }
        this.next = start;
        this.reservedUpTo = start;
        reserve();
    }

    synchronized BigInteger next() throws IOException {
        if (next >= reservedUpTo) {
            reserve();
        }
        return BigInteger.valueOf(next++);
    }

    private void reserve() throws IOException {
        long upTo = reservedUpTo + BLOCK;
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, Long.toString(upTo) + "\n", StandardCharsets.US_ASCII, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
        reservedUpTo = upTo;
    }
}
