package org.sigillum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A peer on the control socket that does not behave like the command line: one that streams far
 * more than a request can hold, ones that connect and say nothing, ones that stop answering a PIN
 * prompt, one that sends garbage. The socket is private to the server's user, so these are buggy
 * or stuck local scripts rather than attackers, but each of them used to be able to take the
 * server's heap or every one of its control threads.
 *
 * <p>One server for all cases (starting one costs more than the cases together): two command
 * workers and a three-second request timeout, so that the limits are reached with a handful of
 * connections and the timeout passes quickly; the heap is kept small so that a flood the server
 * would buffer shows.
 */
class ControlSocketAbuseTest {

    private static final int WORKERS = 2;
    private static final int TIMEOUT_S = 3;
    /** What the server may take of one request; the flood below is 64 times that. */
    private static final long CAP = 4L << 20;

    @TempDir
    static Path tmp;
    private static Server server;
    private static Path home;
    private final List<SocketChannel> peers = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        home = tmp.resolve("home");
        server = new Server(home, tmp.resolve("server.log"))
                .withJavaOptions("-Xmx256m -Dsigillum.control.workers=" + WORKERS + " -Dsigillum.control.timeout=" + TIMEOUT_S)
                .start(true);
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @AfterEach
    void closePeers() throws IOException {
        for (SocketChannel p : peers) {
            p.close();
        }
        peers.clear();
    }

    private SocketChannel connect() throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(home.resolve("run/control.sock")));
        peers.add(ch);
        return ch;
    }

    /** A request as the command line frames it: a count, then the working directory, command and arguments. */
    private static byte[] request(String cwd, String... args) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(b);
        out.writeInt(args.length + 1);
        out.writeUTF(cwd);
        for (String a : args) {
            out.writeUTF(a);
        }
        return b.toByteArray();
    }

    private static void write(SocketChannel ch, byte[] bytes) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    /** The frames the server sends until it closes, as "o text", "e text", "s prompt", "x code"; fails after {@code ms}. */
    private static List<String> framesUntilClosed(SocketChannel ch, long ms) throws Exception {
        CompletableFuture<List<String>> f = CompletableFuture.supplyAsync(() -> {
            List<String> frames = new ArrayList<>();
            try {
                DataInputStream in = new DataInputStream(Channels.newInputStream(ch));
                while (true) {
                    byte type = in.readByte();
                    frames.add(type == 'x' ? "x " + in.readInt() : (char) type + " " + in.readUTF());
                }
            } catch (EOFException e) {
                return frames;
            } catch (IOException e) {
                frames.add("! " + e);
                return frames;
            }
        });
        try {
            return f.get(ms, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            ch.close();
            throw new AssertionError("the server kept the connection open for more than " + ms + " ms");
        }
    }

    private static void assertServes() throws Exception {
        Sigillum.Result status = Sigillum.run(home, "status");
        assertEquals(0, status.exit(), status.toString());
        assertTrue(status.out().contains("profiles:"), status.toString());
    }

    /** (a) The flood is cut off at the cap; the server keeps serving, and no OutOfMemoryError shows. */
    @Test
    void aRequestFarLargerThanTheCapIsRefusedAndTheServerKeepsServing() throws Exception {
        SocketChannel ch = connect();
        // Well-formed as far as the old parser could tell: 100,000 strings of 65,535 bytes each.
        ByteBuffer header = ByteBuffer.allocate(4).putInt(100_000).flip();
        ch.write(header);
        byte[] chunk = new byte[65_537];
        chunk[0] = (byte) 0xff;
        chunk[1] = (byte) 0xff;
        java.util.Arrays.fill(chunk, 2, chunk.length, (byte) 'a');
        long written = 4;
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
        try {
            while (written < 64 * CAP && System.nanoTime() < end) {
                ByteBuffer b = ByteBuffer.wrap(chunk);
                while (b.hasRemaining()) {
                    written += ch.write(b);
                }
            }
        } catch (IOException refused) {
            // the server closed the connection: what we want
        }
        // The socket buffers on both sides hold a few hundred KiB beyond what the server read.
        assertTrue(written < CAP + (4L << 20), "the server took " + (written >> 20) + " MiB of one request");
        List<String> frames = framesUntilClosed(ch, 10_000);
        assertTrue(frames.stream().anyMatch(f -> f.startsWith("e ") && f.contains("too large")), frames.toString());
        assertServes();
        assertFalse(server.log().contains("OutOfMemoryError"), server.log());
        assertTrue(server.log().contains("refused a request: too large"), server.log());
        assertTrue(Files.readAllLines(home.resolve("log/audit.log")).stream().anyMatch(l -> l.contains("\"channel\":\"cli\"")
                && l.contains("\"outcome\":\"refused\"") && l.contains("\"reason\":\"too large\"")), "the refusal is audited");
    }

    /**
     * (b) Connections that say nothing take no worker; connections stuck at a PIN prompt take
     * every worker, and then {@code status} still answers (its slot is kept) while any other
     * command gets one "server busy" line and a non-zero exit, no stack trace.
     */
    @Test
    void stalledPeersLeaveStatusAnsweringAndOthersAreToldTheServerIsBusy() throws Exception {
        for (int i = 0; i < 40; i++) {
            connect();
        }
        long t0 = System.nanoTime();
        assertServes();
        long statusMs = (System.nanoTime() - t0) / 1_000_000;

        for (int i = 0; i < WORKERS; i++) {
            SocketChannel ch = connect();
            write(ch, request(tmp.toString(), "token", "activate", "no-such-token"));
            DataInputStream in = new DataInputStream(Channels.newInputStream(ch));
            assertEquals('s', in.readByte(), "a PIN prompt");
            in.readUTF();
            // ...and no answer: this worker now waits for the PIN.
        }
        assertServes();

        Sigillum.Result busy = Sigillum.run(home, "token", "list");
        assertNotEquals(0, busy.exit(), busy.toString());
        assertEquals("", busy.out(), busy.toString());
        List<String> lines = busy.err().lines().toList();
        assertEquals(1, lines.size(), busy.toString());
        assertTrue(lines.get(0).contains("server busy"), busy.toString());

        // Once the stuck clients go, the workers are free again.
        closePeers();
        long end = System.currentTimeMillis() + 15_000;
        Sigillum.Result list;
        while ((list = Sigillum.run(home, "token", "list")).exit() != 0 && System.currentTimeMillis() < end) {
            Thread.sleep(200);
        }
        assertEquals(0, list.exit(), list.toString());
        System.out.println("status with 40 silent peers answered in " + statusMs + " ms (launcher and client JVM included)");
    }

    /** (c) Peers that connect and stall, or send a request byte by byte, are dropped after the timeout. */
    @Test
    void stalledPeersAreDroppedAfterTheTimeout() throws Exception {
        List<SocketChannel> silent = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            silent.add(connect());
        }
        SocketChannel dripping = connect();
        byte[] req = request(tmp.toString(), "status");
        long t0 = System.nanoTime();
        CompletableFuture<Void> drip = CompletableFuture.runAsync(() -> {
            try {
                for (int i = 0; i < req.length - 1; i++) {
                    write(dripping, new byte[] {req[i]});
                    Thread.sleep(400);
                }
            } catch (IOException | InterruptedException e) {
                // dropped by the server, as expected
            }
        });
        for (SocketChannel ch : silent) {
            List<String> frames = framesUntilClosed(ch, (TIMEOUT_S + 5) * 1000L);
            assertTrue(frames.stream().anyMatch(f -> f.contains("timed out")), frames.toString());
        }
        List<String> frames = framesUntilClosed(dripping, (TIMEOUT_S + 5) * 1000L);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(frames.stream().anyMatch(f -> f.contains("timed out")), frames.toString());
        assertTrue(ms >= TIMEOUT_S * 1000L - 500, "dropped after " + ms + " ms, before the timeout");
        drip.get(10, TimeUnit.SECONDS);
        assertTrue(server.log().contains("refused a request: timed out"), server.log());
        assertServes();
        System.out.println("stalled peers dropped after " + ms + " ms (timeout " + TIMEOUT_S + " s)");
    }

    /**
     * A malformed request gets an answer and one log line in which nothing the peer sent can
     * start a new line or steer the terminal.
     */
    @Test
    void aMalformedRequestIsRefusedAndLoggedWithThePeersTextEscaped() throws Exception {
        SocketChannel ch = connect();
        write(ch, request("relative\nFORGED LOG LINE \u001b[2J", "status"));
        List<String> frames = framesUntilClosed(ch, 10_000);
        assertTrue(frames.stream().anyMatch(f -> f.startsWith("e ") && f.contains("malformed")), frames.toString());
        assertTrue(frames.contains("x 2"), frames.toString());

        SocketChannel count = connect();
        write(count, new byte[] {(byte) 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff});
        frames = framesUntilClosed(count, 10_000);
        assertTrue(frames.stream().anyMatch(f -> f.startsWith("e ") && f.contains("malformed")), frames.toString());

        String log = server.log();
        assertTrue(log.contains("refused a request: malformed"), log);
        // Quoted and escaped where the refusal is made, and the server log escapes every message once more.
        assertTrue(log.contains("relative\\\\nFORGED LOG LINE \\\\e[2J"), log);
        assertFalse(log.contains("\nFORGED"), log);
        assertFalse(log.contains("\u001b"), log);
        assertServes();
    }
}
