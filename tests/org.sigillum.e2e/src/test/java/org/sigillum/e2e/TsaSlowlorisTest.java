package org.sigillum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.tsp.TSPAlgorithms;
import org.bouncycastle.tsp.TimeStampRequest;
import org.bouncycastle.tsp.TimeStampRequestGenerator;
import org.bouncycastle.tsp.TimeStampResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The built-in TSA under a slow-body ("slowloris") attack on a real server: a few hundred
 * connections that announce a body and then send it one byte every two seconds must not keep a
 * valid RFC 3161 request from being answered within a second; one greedy address is held to its
 * share; a slow body is cut off after the configured deadline; aborted bodies do not flood the log
 * with stack traces; and only the methods the endpoint serves are allowed.
 *
 * <p>Attackers connect from other loopback addresses (Linux routes all of 127/8 to lo), so the
 * valid client on 127.0.0.1 is a different address, as it would be on a real network.
 */
class TsaSlowlorisTest {

    /** More than Jetty's default pool of 200 threads: before the fix every one of them was held. */
    static final int SPREAD_ADDRESSES = 100;
    static final int PER_SPREAD_ADDRESS = 3;
    /** One greedy address with more connections than the per-address default (16) allows. */
    static final int GREEDY = 40;
    static final long DRIBBLE_MILLIS = 2_000;
    static final long ATTACK_MILLIS = 14_000;

    @TempDir
    static Path tmp;
    static Process server;
    static Path home;
    static Path log;
    static int port;
    static String url;
    static X509Certificate tsaCert;
    static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        url = "http://127.0.0.1:" + port + "/tsa";
        home = tmp.resolve("home");
        log = tmp.resolve("server.log");
        ProcessBuilder pb = Sigillum.command(home, "run").redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("SIGILLUM_HTTP_PORT", Integer.toString(port));
        server = pb.start();
        long end = System.currentTimeMillis() + 90_000;
        while (!Files.readString(log).contains("sigillum: ready")) {
            assertTrue(server.isAlive() && System.currentTimeMillis() < end, Files.readString(log));
            Thread.sleep(20);
        }
        try (InputStream in = Files.newInputStream(home.resolve("pki/certs/demo-tsa.pem"))) {
            tsaCert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        // Jetty comes up a moment after the servlet is registered on a fresh start; this also warms the JIT.
        long until = System.currentTimeMillis() + 30_000;
        while (stamp().status() != 200) {
            assertTrue(System.currentTimeMillis() < until, "the TSA did not come up");
            Thread.sleep(100);
        }
        for (int i = 0; i < 20; i++) {
            stamp();
        }
    }

    @AfterAll
    static void stop() throws Exception {
        server.destroy();
        server.waitFor(20, TimeUnit.SECONDS);
        // Kept for reading what the server said under attack; the home itself is a temporary folder.
        Files.copy(log, Path.of("target", "slowloris-server.log"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    record Stamp(int status, long millis) {
    }

    /** One valid query with a fresh nonce; a 200 must carry a granted token over it, signed by the TSA. */
    static Stamp stamp() throws Exception {
        TimeStampRequestGenerator g = new TimeStampRequestGenerator();
        g.setCertReq(true);
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(("doc " + System.nanoTime()).getBytes(StandardCharsets.UTF_8));
        TimeStampRequest req = g.generate(TSPAlgorithms.SHA256, digest, new BigInteger(63, new SecureRandom()));
        long t0 = System.nanoTime();
        HttpResponse<byte[]> r;
        try {
            r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5))
                    .header("Content-Type", "application/timestamp-query").POST(HttpRequest.BodyPublishers.ofByteArray(req.getEncoded()))
                    .build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (java.net.http.HttpTimeoutException e) {
            return new Stamp(-1, (System.nanoTime() - t0) / 1_000_000);
        }
        long millis = (System.nanoTime() - t0) / 1_000_000;
        if (r.statusCode() == 200) {
            TimeStampResponse resp = new TimeStampResponse(r.body());
            assertEquals(0, resp.getStatus(), resp.getStatusString());
            resp.validate(req);
            resp.getTimeStampToken().validate(new JcaSimpleSignerInfoVerifierBuilder().build(tsaCert));
        }
        return new Stamp(r.statusCode(), millis);
    }

    /** Connections that announce a small body and send it one byte per tick, reconnecting when cut off. */
    static final class Dribblers implements AutoCloseable {
        final Selector selector = Selector.open();
        final List<Slot> slots = new ArrayList<>();
        final byte[] head = ("POST /tsa HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/timestamp-query\r\n"
                + "Content-Length: 100\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        /** How long the server took to answer or close each slow connection, and what it said first. */
        final List<Long> heldMillis = new ArrayList<>();
        final Set<String> firstLines = new TreeSet<>();
        int refusedWithin1s;
        int refusedFromGreedy;

        record Slot(InetAddress from, boolean greedy) {
        }

        final class Conn {
            final Slot slot;
            final SocketChannel ch;
            final long opened = System.nanoTime();
            final StringBuilder answer = new StringBuilder();

            Conn(Slot slot) throws Exception {
                this.slot = slot;
                ch = SocketChannel.open();
                ch.bind(new InetSocketAddress(slot.from, 0));
                ch.connect(new InetSocketAddress("127.0.0.1", port));
                ch.write(ByteBuffer.wrap(head));
                ch.configureBlocking(false);
                ch.register(selector, SelectionKey.OP_READ, this);
            }
        }

        Dribblers() throws Exception {
            for (int a = 0; a < SPREAD_ADDRESSES; a++) {
                for (int i = 0; i < PER_SPREAD_ADDRESS; i++) {
                    slots.add(new Slot(InetAddress.getByName("127.0.0." + (2 + a)), false));
                }
            }
            for (int i = 0; i < GREEDY; i++) {
                slots.add(new Slot(InetAddress.getByName("127.0.1.1"), true));
            }
        }

        /** Runs the attack for {@code millis} on this thread. */
        void run(long millis) throws Exception {
            List<Conn> open = new ArrayList<>();
            for (Slot s : slots) {
                open.add(new Conn(s));
            }
            long end = System.currentTimeMillis() + millis;
            long nextTick = System.currentTimeMillis() + DRIBBLE_MILLIS;
            ByteBuffer buf = ByteBuffer.allocate(4096);
            while (System.currentTimeMillis() < end) {
                selector.select(Math.max(1, Math.min(nextTick, end) - System.currentTimeMillis()));
                for (SelectionKey k : selector.selectedKeys()) {
                    Conn c = (Conn) k.attachment();
                    buf.clear();
                    int n;
                    try {
                        n = c.ch.read(buf);
                    } catch (java.io.IOException e) {
                        n = -1;
                    }
                    if (n > 0) {
                        c.answer.append(new String(buf.array(), 0, n, StandardCharsets.ISO_8859_1));
                    }
                    if (n < 0 || c.answer.indexOf("\r\n\r\n") >= 0) {
                        finished(c);
                        k.cancel();
                        c.ch.close();
                        open.remove(c);
                    }
                }
                selector.selectedKeys().clear();
                if (System.currentTimeMillis() >= nextTick) {
                    nextTick += DRIBBLE_MILLIS;
                    for (Conn c : List.copyOf(open)) {
                        try {
                            c.ch.write(ByteBuffer.wrap(new byte[] { 0x30 }));
                        } catch (java.io.IOException e) {
                            finished(c);
                            c.ch.close();
                            open.remove(c);
                        }
                    }
                    // An attacker reconnects every slot the server has closed, to keep the pressure up.
                    selector.selectNow();
                    selector.selectedKeys().clear();
                    List<Slot> busy = open.stream().map(c -> c.slot).toList();
                    List<Slot> free = new ArrayList<>(slots);
                    for (Slot s : busy) {
                        free.remove(s);
                    }
                    for (Slot s : free) {
                        open.add(new Conn(s));
                    }
                }
            }
            for (Conn c : open) {
                c.ch.close();
            }
        }

        private void finished(Conn c) {
            long ms = (System.nanoTime() - c.opened) / 1_000_000;
            String first = c.answer.toString().lines().findFirst().orElse("(closed)");
            firstLines.add(first);
            if (ms < 1_000) {
                refusedWithin1s++;
                if (c.slot.greedy) {
                    refusedFromGreedy++;
                }
            } else {
                heldMillis.add(ms);
            }
        }

        @Override
        public void close() throws Exception {
            selector.close();
        }
    }

    @Test
    void validRequestsAreAnsweredQuicklyWhileSlowBodiesHoldManyConnections() throws Exception {
        List<Stamp> stamps = new ArrayList<>();
        try (Dribblers attack = new Dribblers()) {
            Thread valid = Thread.ofPlatform().start(() -> {
                try {
                    // Let every slow connection get in and send its first bytes.
                    Thread.sleep(3 * DRIBBLE_MILLIS);
                    long end = System.currentTimeMillis() + ATTACK_MILLIS - 3 * DRIBBLE_MILLIS - 1_000;
                    while (System.currentTimeMillis() < end) {
                        stamps.add(stamp());
                        Thread.sleep(200);
                    }
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            attack.run(ATTACK_MILLIS);
            valid.join();
            String report = "valid requests (status, ms): " + stamps + "\nslow connections ended after (ms): " + attack.heldMillis
                    + "\nrefused within 1 s: " + attack.refusedWithin1s + " (greedy address: " + attack.refusedFromGreedy + ")"
                    + "\nfirst lines: " + attack.firstLines;
            System.out.println(report);
            Files.writeString(Path.of("target", "slowloris.txt"), report);
            assertTrue(stamps.size() >= 10, report);
            for (Stamp s : stamps) {
                assertEquals(200, s.status(), report);
                assertTrue(s.millis() < 1_000, "a valid request took " + s.millis() + " ms\n" + report);
            }
            // The greedy address gets its share (16) and is refused the rest at once, on every reconnect.
            assertTrue(attack.refusedFromGreedy >= GREEDY - 16, report);
            // A slow body is cut off after the deadline (5 s by default), not left to dribble on. The
            // server's clock starts at the end of the headers, this one at connect: when hundreds
            // reconnect at once on a busy 2-core machine, accepting them lags by seconds, hence the
            // margin on the slowest and the tighter bound on the typical one.
            List<Long> held = attack.heldMillis.stream().sorted().toList();
            // (Seen at 10.2 s once on a loaded machine with the server's own 408 at 5 s: the slowest only
            // shows the cut-off happens at all; the median shows when.)
            assertTrue(!held.isEmpty() && held.get(held.size() - 1) < 15_000, report);
            assertTrue(held.get(held.size() / 2) < 6_000, report);
            assertTrue(attack.firstLines.stream().allMatch(l -> l.equals("(closed)") || l.startsWith("HTTP/1.1 408")
                    || l.startsWith("HTTP/1.1 503")), report);
        }
    }

    @Test
    void abortedBodiesDoNotFloodTheLog() throws Exception {
        long before = Files.lines(log).count();
        long tracesBefore = Files.lines(log).filter(l -> l.startsWith("\tat ")).count();
        byte[] head = ("POST /tsa HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/timestamp-query\r\n"
                + "Content-Length: 100\r\n\r\n0123456789").getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < 100; i++) {
            try (Socket s = new Socket()) {
                s.bind(new InetSocketAddress("127.0.0." + (2 + i % 8), 0));
                s.connect(new InetSocketAddress("127.0.0.1", port));
                s.getOutputStream().write(head);
                s.getOutputStream().flush();
                Thread.sleep(20);
                // An abortive close (RST), as a client that gives up or crashes mid-body.
                s.setSoLinger(true, 0);
            }
        }
        // Whatever the server logs about them, it has logged it by now.
        Thread.sleep(2_000);
        assertEquals(200, stamp().status(), "the TSA keeps serving");
        List<String> lines = Files.readAllLines(log);
        List<String> added = lines.subList((int) Math.min(before, lines.size()), lines.size());
        long traces = lines.stream().filter(l -> l.startsWith("\tat ")).count() - tracesBefore;
        assertEquals(0, traces, "no stack traces for aborted bodies:\n" + String.join("\n", added));
        assertTrue(added.size() <= 10, "at most a few short lines for 100 aborted bodies:\n" + String.join("\n", added));
        // Audited too, as the log is: a summary with the counts by cause, not a record per refusal.
        assertTrue(Files.readAllLines(home.resolve("log/audit.log")).stream().anyMatch(l -> l.contains("\"channel\":\"tsa\"")
                && l.contains("\"outcome\":\"refused\"") && l.contains("TSA over HTTP refused")), "TSA refusals are audited");
    }

    @Test
    void connectionsThatSayNothingMoreAreClosedAfterTheIdleTimeout() throws Exception {
        List<Socket> silent = new ArrayList<>();
        try {
            for (int i = 0; i < 20; i++) {
                Socket s = new Socket();
                s.bind(new InetSocketAddress("127.0.2.1", 0));
                s.connect(new InetSocketAddress("127.0.0.1", port));
                // Headers that never end, or a body that never starts: neither reaches the servlet.
                String half = i % 2 == 0 ? "POST /tsa HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        : "POST /tsa HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/timestamp-query\r\nContent-Length: 100\r\n\r\n";
                s.getOutputStream().write(half.getBytes(StandardCharsets.US_ASCII));
                s.setSoTimeout(20_000);
                silent.add(s);
            }
            long t0 = System.nanoTime();
            for (Socket s : silent) {
                try {
                    while (s.getInputStream().read() >= 0) {
                        // An error answer (408) is fine; the end of the stream is what counts.
                    }
                } catch (java.net.SocketTimeoutException e) {
                    throw new AssertionError("a silent connection was still open after 20 s");
                } catch (java.io.IOException e) {
                    // Reset by the server: closed, too.
                }
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            // 10 s idle timeout (product default), not Jetty's 60 s.
            assertTrue(ms < 13_000, "silent connections held for " + ms + " ms");
        } finally {
            for (Socket s : silent) {
                s.close();
            }
        }
    }

    static HttpResponse<String> method(String method) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).method(method, HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static Set<String> allow(HttpResponse<?> r) {
        Set<String> methods = new TreeSet<>();
        for (String v : r.headers().allValues("Allow")) {
            for (String m : v.split(",")) {
                methods.add(m.trim());
            }
        }
        return methods;
    }

    @Test
    void onlyWhatTheEndpointServesIsAllowed() throws Exception {
        HttpResponse<String> options = method("OPTIONS");
        assertEquals(200, options.statusCode());
        assertEquals(Set.of("OPTIONS", "POST"), allow(options), "OPTIONS advertises only what answers");
        for (String m : List.of("TRACE", "GET", "HEAD", "PUT", "DELETE", "PATCH")) {
            HttpResponse<String> r = method(m);
            assertEquals(405, r.statusCode(), m);
            assertEquals(Set.of("OPTIONS", "POST"), allow(r), m);
            assertTrue(!r.body().contains("Content-Type") && !r.body().toLowerCase().contains("host:"), m + " must not echo the request");
        }
    }
}
