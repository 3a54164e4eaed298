package org.sigillum.fuzz;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * Runs a parser over mutated inputs and fails on the first input that escapes with anything but
 * the parser's documented failure, runs past a deadline, or allocates more than a bound.
 * <p>
 * Inputs run one after another on one worker thread while the test thread keeps the clock: a
 * parser stuck in a loop is reported with its input rather than hanging the build. Allocation is
 * counted per input on the worker thread (HotSpot's per-thread allocation counter), so an input
 * that claims a huge length and gets that much allocated fails even when the heap could hold it.
 * A failing input is written to {@code target/fuzz-failures/} and the message says how to run it
 * again.
 */
public final class Fuzz {

    /** The parser under test; throwing is fine as long as the test's predicate accepts it. */
    @FunctionalInterface
    public interface Target {
        void accept(byte[] input) throws Exception;
    }

    /** Per-input deadline and allocation bound, and the whole run's time budget. */
    public record Limits(Duration perInput, long bytesPerInput, Duration total) {
    }

    /** What the run saw: how many inputs passed and which failures how often (for the log). */
    public record Report(int inputs, int accepted, Map<String, Integer> failures) {
        @Override
        public String toString() {
            return inputs + " inputs, " + accepted + " accepted, refused: " + failures;
        }
    }

    private Fuzz() {
    }

    public static Report run(String name, Mutator mutator, long seed, int count, Limits limits, Target target,
            Predicate<Throwable> expected) throws Exception {
        System.out.println("fuzz " + name + ": seed " + seed + ", " + count + " inputs (reproduce with -Dfuzz.seed=" + seed + ")");
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "fuzz-" + name);
            t.setDaemon(true);
            return t;
        });
        long deadline = System.nanoTime() + limits.total().toNanos();
        int accepted = 0;
        Map<String, Integer> failures = new TreeMap<>();
        try {
            for (int i = 0; i < count; i++) {
                byte[] input = mutator.input(seed, i);
                Future<Outcome> f = worker.submit(() -> {
                    long tid = Thread.currentThread().threadId();
                    long before = threads.getThreadAllocatedBytes(tid);
                    try {
                        target.accept(input);
                        return new Outcome(threads.getThreadAllocatedBytes(tid) - before, null);
                    } catch (Throwable t) {
                        long used = threads.getThreadAllocatedBytes(tid) - before;
                        if (!expected.test(t)) {
                            throw new Escaped(t, used);
                        }
                        return new Outcome(used, t.getClass().getSimpleName());
                    }
                });
                Outcome result;
                try {
                    result = f.get(limits.perInput().toMillis(), TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    f.cancel(true);
                    throw fail(name, seed, i, input, "ran longer than " + limits.perInput(), null);
                } catch (ExecutionException e) {
                    Escaped x = (Escaped) e.getCause();
                    throw fail(name, seed, i, input, "escaped with " + x.getCause() + " after allocating " + x.used + " bytes",
                            x.getCause());
                }
                if (result.allocated() > limits.bytesPerInput()) {
                    throw fail(name, seed, i, input, "allocated " + result.allocated() + " bytes, more than " + limits.bytesPerInput(),
                            null);
                }
                if (result.refusedAs() == null) {
                    accepted++;
                } else {
                    failures.merge(result.refusedAs(), 1, Integer::sum);
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("fuzz " + name + ": " + i + " inputs took longer than the budget of " + limits.total());
                }
            }
        } finally {
            worker.shutdownNow();
        }
        Report report = new Report(count, accepted, failures);
        System.out.println("fuzz " + name + ": " + report);
        return report;
    }

    private record Outcome(long allocated, String refusedAs) {
    }

    private static AssertionError fail(String name, long seed, int i, byte[] input, String what, Throwable cause) {
        String saved;
        try {
            Path dir = Files.createDirectories(Path.of("target", "fuzz-failures"));
            Path file = dir.resolve(name + "-" + seed + "-" + i + ".bin");
            Files.write(file, input);
            saved = file.toAbsolutePath().toString();
        } catch (IOException e) {
            saved = "(not saved: " + e + ")";
        }
        return new AssertionError("fuzz " + name + ": input " + i + " of seed " + seed + " (" + input.length + " bytes, " + saved
                + ") " + what + "; run it alone with -Dfuzz.seed=" + (seed + i) + " -Dfuzz.count=1", cause);
    }

    /** Carries an unexpected failure and what it allocated out of the worker. */
    private static final class Escaped extends Exception {
        private static final long serialVersionUID = 1L;
        final long used;

        Escaped(Throwable cause, long used) {
            super(cause);
            this.used = used;
        }
    }
}
