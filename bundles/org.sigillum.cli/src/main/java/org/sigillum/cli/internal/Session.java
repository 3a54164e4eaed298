package org.sigillum.cli.internal;

import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** One command from a client: its working directory, arguments, and the way to answer. */
final class Session {
    private final Path cwd;
    private final List<String> args;
    private final Connection connection;
    private final DataOutputStream out;
    private final long secretTimeoutMs;

    Session(Path cwd, List<String> args, Connection connection, long secretTimeoutMs) {
        this.cwd = cwd;
        this.args = args;
        this.connection = connection;
        this.out = connection.out();
        this.secretTimeoutMs = secretTimeoutMs;
    }

    Path cwd() {
        return cwd;
    }

    List<String> args() {
        return args;
    }

    /** A path the user typed, relative to where the user typed it. */
    Path path(String p) {
        return cwd.resolve(p).toAbsolutePath().normalize();
    }

    synchronized void out(String line) throws IOException {
        frame(Protocol.OUT, line);
    }

    synchronized void err(String line) throws IOException {
        frame(Protocol.ERR, line);
    }

    /**
     * What reaches the user's terminal never steers it: names in outputs and messages come from
     * outside (a file name, a hot-folder batch), so control characters other than tabs (a newline
     * too: every frame is one line, and a name must not add one) and the bidirectional overrides
     * are shown as escapes.
     */
    static String terminalSafe(String text) {
        StringBuilder b = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean bad = (c < 0x20 && c != '\t') || (c >= 0x7f && c < 0xa0) || (c >= '\u202a' && c <= '\u202e')
                    || (c >= '\u2066' && c <= '\u2069');
            if (bad && b == null) {
                b = new StringBuilder(text.length() + 16).append(text, 0, i);
            }
            if (b != null) {
                b.append(bad ? String.format("\\u%04x", (int) c) : String.valueOf(c));
            }
        }
        return b == null ? text : b.toString();
    }

    private void frame(byte type, String raw) throws IOException {
        String text = terminalSafe(raw);
        // writeUTF holds at most 64 KB; long texts go in pieces.
        for (int i = 0; i < text.length() || i == 0; i += 16_000) {
            out.writeByte(type);
            out.writeUTF(text.substring(i, Math.min(text.length(), i + 16_000)));
            if (text.isEmpty()) {
                break;
            }
        }
        out.flush();
    }

    synchronized void exit(int code) throws IOException {
        out.writeByte(Protocol.EXIT);
        out.writeInt(code);
        out.flush();
    }

    /**
     * A person types the answer, so it gets longer than a request, but not for ever: a client
     * that never answers would otherwise keep its worker. The answer is one UTF string, so at
     * most 64 KB.
     */
    synchronized String askSecret(String prompt) throws IOException {
        out.writeByte(Protocol.ASK_SECRET);
        out.writeUTF(prompt);
        out.flush();
        return connection.within(secretTimeoutMs, connection.in()::readUTF);
    }
}
