package org.sigillum.tsa.internal;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * How many HTTP requests the TSA has in hand, overall and per client address, with a cap on each:
 * a request counts from its headers until its answer is written, which is what a connection that
 * dribbles its body holds. IPv6 clients count per /64, since one host commonly has a whole /64 to
 * pick addresses from.
 */
final class Admission {

    enum Verdict {
        ADMITTED, ADDRESS_BUSY, BUSY
    }

    private final int max;
    private final int maxPerAddress;
    private final AtomicInteger total = new AtomicInteger();
    private final ConcurrentHashMap<String, Integer> perAddress = new ConcurrentHashMap<>();

    Admission(int max, int maxPerAddress) {
        this.max = max;
        this.maxPerAddress = maxPerAddress;
    }

    /** Admits a request from {@code client} (a remote address literal); an admitted one must {@link #leave} once. */
    Verdict enter(String client) {
        if (total.incrementAndGet() > max) {
            total.decrementAndGet();
            return Verdict.BUSY;
        }
        boolean[] admitted = { false };
        perAddress.compute(key(client), (k, n) -> {
            int now = n == null ? 0 : n;
            if (now >= maxPerAddress) {
                return n;
            }
            admitted[0] = true;
            return now + 1;
        });
        if (!admitted[0]) {
            total.decrementAndGet();
            return Verdict.ADDRESS_BUSY;
        }
        return Verdict.ADMITTED;
    }

    void leave(String client) {
        // Removing the entry at zero keeps the map as small as the set of clients in flight.
        perAddress.computeIfPresent(key(client), (k, n) -> n <= 1 ? null : n - 1);
        total.decrementAndGet();
    }

    int inFlight() {
        return total.get();
    }

    /** The address itself, or its /64 for IPv6; never a DNS look-up (the servlet passes literals). */
    static String key(String client) {
        if (client == null || client.indexOf(':') < 0) {
            return String.valueOf(client);
        }
        try {
            byte[] a = InetAddress.getByName(client.startsWith("[") ? client.substring(1, client.length() - 1) : client).getAddress();
            if (a.length != 16) {
                return InetAddress.getByAddress(a).getHostAddress();
            }
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < 8; i += 2) {
                sb.append(Integer.toHexString(((a[i] & 0xff) << 8) | (a[i + 1] & 0xff))).append(':');
            }
            return sb.append(":/64").toString();
        } catch (UnknownHostException e) {
            return client;
        }
    }
}
