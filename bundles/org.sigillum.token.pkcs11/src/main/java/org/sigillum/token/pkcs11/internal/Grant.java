package org.sigillum.token.pkcs11.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Properties;

/**
 * What a mass-signature activation allows and how much of it is used, kept in a file so that a
 * restart never resets a limit: an activation after a restart continues the interrupted one until
 * its count or time is used up; only then, or after an explicit deactivation, does the next
 * activation start afresh.
 *
 * <p>Counting every signature with an fsync would cap a fast HSM at the disk's rate, so the file is
 * written ahead in blocks (at most 1 % of the limit, at most 64): after a crash the count may be
 * up to one block too high, never too low.
 */
final class Grant {
    private final Path file;
    private boolean open;
    private long maxSignatures;
    private Instant until;
    private long used;
    private long written;
    private double rate;

    private Grant(Path file) {
        this.file = file;
    }

    static Grant load(Path file) throws IOException {
        Grant g = new Grant(file);
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
        } catch (NoSuchFileException e) {
            return g;
        }
        try {
            g.open = Boolean.parseBoolean(p.getProperty("open", "false"));
            g.maxSignatures = Long.parseLong(p.getProperty("maxSignatures", "0"));
            g.used = Long.parseLong(p.getProperty("used", "0"));
            g.written = g.used;
            String u = p.getProperty("until", "");
            g.until = u.isEmpty() ? null : Instant.parse(u);
            g.rate = Double.parseDouble(p.getProperty("signaturesPerSecond", "0"));
        } catch (RuntimeException e) {
            // A damaged file must not grant anything: treat the activation as used up.
            throw new IOException("token state " + file + " is damaged (" + e.getMessage() + "); delete it only if no activation should be continued");
        }
        return g;
    }

    synchronized boolean open() {
        return open;
    }

    /** Why the activation is over, or null while it still allows a signature. */
    synchronized String exhausted(Instant now) {
        if (!open) {
            return "not activated";
        }
        if (maxSignatures > 0 && used >= maxSignatures) {
            return "its limit of " + maxSignatures + " signatures is used up";
        }
        if (until != null && !now.isBefore(until)) {
            return "its time ran out at " + until;
        }
        return null;
    }

    /** Starts a new activation unless one is still running (after a restart), which it continues. */
    synchronized boolean startOrContinue(long max, Duration duration, Instant now) throws IOException {
        if (open && exhausted(now) == null) {
            return false;
        }
        open = true;
        maxSignatures = Math.max(0, max);
        until = duration == null ? null : now.plus(duration);
        used = 0;
        written = -1;
        save(0);
        return true;
    }

    /** Counts one signature before it is made; false when the activation does not allow it. */
    synchronized boolean reserve(Instant now) throws IOException {
        if (exhausted(now) != null) {
            return false;
        }
        used++;
        if (used > written) {
            long block = maxSignatures == 0 ? 64 : Math.max(1, Math.min(64, maxSignatures / 100));
            long ahead = maxSignatures == 0 ? used + block - 1 : Math.min(maxSignatures, used + block - 1);
            save(ahead);
        }
        return true;
    }

    synchronized void end() throws IOException {
        if (open) {
            open = false;
            save(used);
        }
    }

    /** Writes the exact count (a clean shutdown) and the measured rate. */
    synchronized void flush(double measuredRate) throws IOException {
        if (measuredRate > 0) {
            rate = measuredRate;
        }
        save(used);
    }

    synchronized OptionalLong left() {
        return open && maxSignatures > 0 ? OptionalLong.of(Math.max(0, maxSignatures - used)) : OptionalLong.empty();
    }

    synchronized Optional<Instant> until() {
        return open ? Optional.ofNullable(until) : Optional.empty();
    }

    synchronized long used() {
        return used;
    }

    synchronized OptionalDouble rate() {
        return rate > 0 ? OptionalDouble.of(rate) : OptionalDouble.empty();
    }

    private void save(long count) throws IOException {
        Properties p = new Properties();
        p.setProperty("open", Boolean.toString(open));
        p.setProperty("maxSignatures", Long.toString(maxSignatures));
        p.setProperty("used", Long.toString(count));
        p.setProperty("until", until == null ? "" : until.toString());
        if (rate > 0) {
            p.setProperty("signaturesPerSecond", Double.toString(rate));
        }
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            p.store(out, "Sigillum mass-signature activation; a restart continues it");
        }
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
        written = count;
    }
}
