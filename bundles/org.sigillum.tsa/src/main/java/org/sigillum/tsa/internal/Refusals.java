package org.sigillum.tsa.internal;

import java.util.EnumMap;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * Counts the HTTP requests the TSA refused or lost, by cause, and logs them as one short line at
 * most once per interval: an attacker can make thousands of refusals a second, and a line (let
 * alone a stack trace) for each would fill the disk and bury everything else. The line holds counts
 * and the last client address (escaped), never anything the client sent.
 */
final class Refusals {

    enum Cause {
        METHOD("method not allowed"), MEDIA_TYPE("wrong content type"), TOO_LARGE("body too large"),
        ADDRESS_BUSY("too many from one address"), BUSY("too many in all"), SLOW_BODY("body too slow"),
        ABORTED("body aborted");

        final String text;

        Cause(String text) {
            this.text = text;
        }
    }

    /** Where the summary goes; the component passes its logger, tests a list. */
    interface Sink {
        void log(String line);
    }

    private final Map<Cause, LongAdder> total = new EnumMap<>(Cause.class);
    private final Map<Cause, AtomicLong> sinceLog = new EnumMap<>(Cause.class);
    private final long intervalNanos;
    private final LongSupplier nanoTime;
    private final Sink sink;
    private final AtomicLong lastLog;
    private volatile String lastClient = "";

    Refusals(long intervalMillis, LongSupplier nanoTime, Sink sink) {
        for (Cause c : Cause.values()) {
            total.put(c, new LongAdder());
            sinceLog.put(c, new AtomicLong());
        }
        this.intervalNanos = intervalMillis * 1_000_000;
        this.nanoTime = nanoTime;
        this.sink = sink;
        // The first refusal after a quiet spell is logged at once.
        this.lastLog = new AtomicLong(nanoTime.getAsLong() - intervalNanos);
    }

    void count(Cause cause, String client) {
        total.get(cause).increment();
        sinceLog.get(cause).incrementAndGet();
        lastClient = client;
        long now = nanoTime.getAsLong();
        long last = lastLog.get();
        // Only the thread that wins the compare-and-set writes; the others only count.
        if (now - last >= intervalNanos && lastLog.compareAndSet(last, now)) {
            StringJoiner parts = new StringJoiner(", ");
            long sum = 0;
            for (Cause c : Cause.values()) {
                long n = sinceLog.get(c).getAndSet(0);
                if (n > 0) {
                    parts.add(c.text + " " + n);
                    sum += n;
                }
            }
            if (sum > 0) {
                sink.log("TSA over HTTP refused " + sum + (sum == 1 ? " request" : " requests") + " (" + parts + "), last from "
                        + escape(lastClient) + "; next summary in " + intervalNanos / 1_000_000_000 + " s at the earliest");
            }
        }
    }

    long total(Cause cause) {
        return total.get(cause).sum();
    }

    /** A client address as the log may show it: address characters only, anything else as '?', at most 64. */
    static String escape(String s) {
        if (s == null) {
            return "?";
        }
        StringBuilder sb = new StringBuilder(Math.min(s.length(), 64));
        for (int i = 0; i < s.length() && i < 64; i++) {
            char c = s.charAt(i);
            boolean ok = c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == '.' || c == ':' || c == '['
                    || c == ']';
            sb.append(ok ? c : '?');
        }
        return sb.toString();
    }
}
