package org.sigillum.cli.internal;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One request as it arrives, in whatever pieces the peer sends it. Nothing the peer claims is
 * believed before the bytes are there: the buffer grows with what actually arrived and never past
 * {@link Protocol#MAX_REQUEST_BYTES}, and each byte is looked at a bounded number of times (once
 * to find the frame's end, once to decode), so memory and time stay bounded for any input.
 */
final class RequestReader {

    /** A complete request: the client's working directory, the command and its arguments. */
    record Request(Path cwd, String command, List<String> args) {
    }

    /** Why a request was not taken; {@code detail} holds no raw peer text. */
    static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;
        private final Refusal.Kind kind;

        Refused(Refusal.Kind kind, String detail) {
            super(detail, null, false, false);
            this.kind = kind;
        }

        Refusal.Kind kind() {
            return kind;
        }
    }

    private static final int INITIAL = 512;

    private byte[] buf = new byte[INITIAL];
    private int length;
    /** Where the next string's length prefix starts, once the count has been read. */
    private int next = 4;
    private int count = -1;
    private int strings;

    /** Takes what arrived; after this, {@link #complete()} says whether the request is whole. */
    void append(ByteBuffer data) throws Refused {
        int n = data.remaining();
        if (n > Protocol.MAX_REQUEST_BYTES - length) {
            throw new Refused(Refusal.Kind.TOO_LARGE, "more than " + Protocol.MAX_REQUEST_BYTES + " bytes");
        }
        if (length + n > buf.length) {
            buf = Arrays.copyOf(buf, (int) Math.min(Protocol.MAX_REQUEST_BYTES, Math.max(length + n, 2L * buf.length)));
        }
        data.get(buf, length, n);
        length += n;
        scan();
    }

    private void scan() throws Refused {
        if (count < 0 && length >= 4) {
            count = ByteBuffer.wrap(buf, 0, 4).getInt();
            // At least the working directory and a command; more strings than the cap can hold is a lie.
            if (count < 2 || count > Protocol.MAX_STRINGS) {
                throw new Refused(Refusal.Kind.MALFORMED, "a request of " + count + " strings");
            }
        }
        while (count >= 0 && strings < count && next + 2 <= length) {
            int size = ((buf[next] & 0xff) << 8) | (buf[next + 1] & 0xff);
            if (next + 2 + size > length) {
                if (next + 2L + size > Protocol.MAX_REQUEST_BYTES) {
                    throw new Refused(Refusal.Kind.TOO_LARGE, "more than " + Protocol.MAX_REQUEST_BYTES + " bytes");
                }
                return;
            }
            next += 2 + size;
            strings++;
        }
    }

    boolean complete() {
        return count >= 0 && strings == count;
    }

    /** How many bytes have arrived so far. */
    int received() {
        return length;
    }

    /** Bytes the buffer holds, for the server's budget across all connections. */
    int capacity() {
        return buf.length;
    }

    /** What arrived after the request (the client sends nothing more unless asked; kept anyway, not lost). */
    byte[] rest() {
        return Arrays.copyOfRange(buf, next, length);
    }

    /** The request, once {@link #complete()}: decoded exactly as the client's writeUTF encoded it. */
    Request request() throws Refused {
        if (!complete()) {
            throw new IllegalStateException("incomplete request");
        }
        List<String> all = new ArrayList<>(count);
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(buf, 4, next - 4));
            for (int i = 0; i < count; i++) {
                all.add(in.readUTF());
            }
        } catch (IOException e) {
            throw new Refused(Refusal.Kind.MALFORMED, "a string that is not modified UTF-8");
        }
        String dir = all.get(0);
        Path cwd;
        try {
            cwd = Path.of(dir);
        } catch (InvalidPathException e) {
            throw new Refused(Refusal.Kind.MALFORMED, "working directory " + LogText.quote(dir) + " is not a path");
        }
        // Every relative path the user typed is resolved against it: it must not depend on the server's own.
        if (!cwd.isAbsolute()) {
            throw new Refused(Refusal.Kind.MALFORMED, "working directory " + LogText.quote(dir) + " is not absolute");
        }
        return new Request(cwd, all.get(1), List.copyOf(all.subList(2, all.size())));
    }
}
