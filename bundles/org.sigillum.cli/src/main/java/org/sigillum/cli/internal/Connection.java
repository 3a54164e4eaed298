package org.sigillum.cli.internal;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A client's connection while a worker runs its command. Unix domain socket channels have no
 * read or write timeout, so each blocking step that waits on the peer is given a deadline at which
 * the channel is closed, which ends the blocked call with an exception: a client that stops
 * reading the answer, or never answers a PIN prompt, cannot hold a worker for ever.
 */
final class Connection {

    /** A blocking step on the channel. */
    interface Step<T> {
        T run() throws IOException;
    }

    private final SocketChannel channel;
    private final ScheduledExecutorService timer;
    private final long writeTimeoutMs;
    private final DataInputStream in;
    private final DataOutputStream out;
    private volatile boolean timedOut;

    /** {@code rest}: bytes that arrived with the request and belong to what follows it. */
    Connection(SocketChannel channel, byte[] rest, ScheduledExecutorService timer, long writeTimeoutMs) {
        this.channel = channel;
        this.timer = timer;
        this.writeTimeoutMs = writeTimeoutMs;
        InputStream raw = Channels.newInputStream(channel);
        this.in = new DataInputStream(new BufferedInputStream(rest.length == 0 ? raw : new SequenceInputStream(new ByteArrayInputStream(rest), raw)));
        OutputStream rawOut = Channels.newOutputStream(channel);
        this.out = new DataOutputStream(new BufferedOutputStream(new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                within(Connection.this.writeTimeoutMs, () -> {
                    rawOut.write(b);
                    return null;
                });
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                within(Connection.this.writeTimeoutMs, () -> {
                    rawOut.write(b, off, len);
                    return null;
                });
            }
        }));
    }

    DataInputStream in() {
        return in;
    }

    DataOutputStream out() {
        return out;
    }

    long writeTimeoutMs() {
        return writeTimeoutMs;
    }

    /** Runs {@code step}; if it has not returned after {@code ms}, the connection is closed under it. */
    <T> T within(long ms, Step<T> step) throws IOException {
        ScheduledFuture<?> deadline = timer.schedule(() -> {
            timedOut = true;
            close();
        }, ms, TimeUnit.MILLISECONDS);
        try {
            return step.run();
        } finally {
            deadline.cancel(false);
        }
    }

    /** Whether a deadline closed the connection (then the I/O exception that followed is its doing). */
    boolean timedOut() {
        return timedOut;
    }

    void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // closed is closed
        }
    }
}
