package org.sigillum.fuzz;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * A small seeded mutator for the parsers' fuzz tests: bit flips, byte insertion, deletion and
 * duplication, truncation, DER length-field tampering and splicing of valid samples.
 * <p>
 * One copy for every bundle: each bundle's {@code src/test/java/org/sigillum/fuzz} is a symbolic
 * link to this folder. (Tycho's pomless build turns a second test source folder into a
 * build-helper-maven-plugin execution, a plugin the build does not otherwise need; a link keeps the
 * code in one place without it.)
 * <p>
 * Everything derives from one seed, printed by the tests, so a failure reproduces with
 * {@code -Dfuzz.seed=N}; input {@code i} of a run uses {@code seed + i}, so a single failing input
 * reproduces without running the ones before it. Tests that make their samples with fresh keys or
 * the current time get the same mutations of slightly different samples: there the input saved
 * under {@code target/fuzz-failures/} is the exact reproduction.
 */
public final class Mutator {

    /** The seed a run starts from: fixed unless {@code -Dfuzz.seed} says otherwise. */
    public static long seed(long defaultSeed) {
        return Long.getLong("fuzz.seed", defaultSeed);
    }

    /** How many inputs a run tries: the test's own count unless {@code -Dfuzz.count} says otherwise. */
    public static int count(int defaultCount) {
        return Integer.getInteger("fuzz.count", defaultCount);
    }

    private final List<byte[]> samples;

    /** Valid samples to mutate and to splice together; at least one. */
    public Mutator(List<byte[]> samples) {
        if (samples.isEmpty()) {
            throw new IllegalArgumentException("no samples");
        }
        this.samples = List.copyOf(samples);
    }

    /**
     * Mutated input number {@code i} of the run started from {@code seed}: mostly one mutation of a
     * sample (a single change gets deepest into a parser), sometimes two to four.
     */
    public byte[] input(long seed, int i) {
        Random r = new Random(seed + i);
        byte[] b = samples.get(r.nextInt(samples.size())).clone();
        int rounds = r.nextInt(3) == 0 ? 2 + r.nextInt(3) : 1;
        for (int k = 0; k < rounds; k++) {
            b = mutate(b, r);
        }
        return b;
    }

    private byte[] mutate(byte[] b, Random r) {
        if (b.length == 0) {
            return new byte[] { (byte) r.nextInt(256) };
        }
        int at = r.nextInt(b.length);
        switch (r.nextInt(9)) {
        case 0: { // flip one to eight bits
            int n = 1 + r.nextInt(8);
            for (int k = 0; k < n; k++) {
                int p = r.nextInt(b.length);
                b[p] ^= (byte) (1 << r.nextInt(8));
            }
            return b;
        }
        case 1: { // overwrite a byte with an interesting value
            b[at] = INTERESTING[r.nextInt(INTERESTING.length)];
            return b;
        }
        case 2: { // insert random bytes
            byte[] ins = new byte[1 + r.nextInt(16)];
            r.nextBytes(ins);
            return splice(b, at, 0, ins);
        }
        case 3: { // delete a run
            int n = 1 + r.nextInt(Math.min(64, b.length - at));
            return splice(b, at, n, new byte[0]);
        }
        case 4: { // duplicate a run in place
            int n = 1 + r.nextInt(Math.min(256, b.length - at));
            return splice(b, at, 0, Arrays.copyOfRange(b, at, at + n));
        }
        case 5: // truncate
            return Arrays.copyOf(b, at);
        case 6: // splice: a head of this input, a tail of another sample
        {
            byte[] other = samples.get(r.nextInt(samples.size()));
            int from = r.nextInt(other.length + 1);
            byte[] out = Arrays.copyOf(b, at + other.length - from);
            System.arraycopy(other, from, out, at, other.length - from);
            return out;
        }
        default: // DER length fields, twice as likely as the rest: where parsers allocate
            return tamperLength(b, r);
        }
    }

    private static final byte[] INTERESTING = { 0, (byte) 0xff, 0x7f, (byte) 0x80, (byte) 0x81, (byte) 0x84, (byte) 0x88,
            0x30, 0x31, 0x04, 0x02, 0x06, (byte) 0xa0, 0x0a, 0x20, '0', '9', '<', '>', '(', ')', '/', '\n' };

    /**
     * Picks a DER tag-and-length position and gives it another length: off by one, zero, the
     * maximum of its form, a four-byte huge one, or the indefinite form.
     */
    private static byte[] tamperLength(byte[] b, Random r) {
        List<Integer> lengths = new ArrayList<>();
        for (int p = 0; p + 1 < b.length; p++) {
            int tag = b[p] & 0xff;
            if (tag == 0x30 || tag == 0x31 || tag == 0x04 || tag == 0x02 || tag == 0x03 || tag == 0x06 || (tag & 0xe0) == 0xa0) {
                lengths.add(p + 1);
            }
        }
        if (lengths.isEmpty()) {
            return b;
        }
        int p = lengths.get(r.nextInt(lengths.size()));
        int first = b[p] & 0xff;
        int size = first < 0x80 ? 1 : 1 + Math.min(first & 0x7f, b.length - p - 1);
        byte[] repl = switch (r.nextInt(6)) {
        case 0 -> first < 0x80 ? new byte[] { (byte) Math.min(0x7f, first + 1) } : bump(b, p, size, 1);
        case 1 -> first < 0x80 ? new byte[] { (byte) Math.max(0, first - 1) } : bump(b, p, size, -1);
        case 2 -> new byte[] { 0 };
        case 3 -> new byte[] { (byte) 0x84, 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff };
        case 4 -> new byte[] { (byte) 0x84, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff };
        default -> new byte[] { (byte) 0x80 };
        };
        return splice(b, p, size, repl);
    }

    private static byte[] bump(byte[] b, int p, int size, int delta) {
        byte[] out = Arrays.copyOfRange(b, p, p + size);
        if (size > 1) {
            out[size - 1] += (byte) delta;
        }
        return out;
    }

    private static byte[] splice(byte[] b, int at, int remove, byte[] insert) {
        byte[] out = new byte[b.length - remove + insert.length];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(insert, 0, out, at, insert.length);
        System.arraycopy(b, at + remove, out, at + insert.length, b.length - at - remove);
        return out;
    }
}
