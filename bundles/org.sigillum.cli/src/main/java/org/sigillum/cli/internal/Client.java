package org.sigillum.cli.internal;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The command line's side of the control socket. It runs outside OSGi on the plain JDK (the
 * launcher starts it with this bundle's jar on the class path), so it uses no other class of the
 * bundle except the shared constants. Exits {@value Protocol#EXIT_NO_SERVER} when no server runs on
 * the home, so the launcher can start one.
 */
public final class Client {

    private Client() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: Client HOME COMMAND [ARGS...]");
            System.exit(2);
        }
        byte[] request = request(args);
        Path socket = Path.of(args[0]).resolve(Protocol.socket(System.getProperty(Protocol.SOCKET_PROPERTY)));
        if (!Files.exists(socket)) {
            System.exit(Protocol.EXIT_NO_SERVER);
        }
        SocketChannel ch;
        try {
            ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            System.exit(Protocol.EXIT_NO_SERVER);
            return;
        }
        try (ch) {
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(ch)));
            DataInputStream in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(ch)));
            try {
                out.write(request);
                out.flush();
            } catch (IOException e) {
                // Refused before it read everything (busy, say): its one-line reason may be waiting to be read.
            }
            System.exit(answer(in, out));
        } catch (IOException e) {
            // A server that goes away mid-answer is one line for the user, not a stack trace.
            System.err.println("sigillum: lost the connection to the server (" + e.getMessage() + ")");
            System.exit(1);
        }
    }

    /** The request as {@link Protocol} frames it; a command line the server would refuse as too large ends here, with a reason. */
    private static byte[] request(String[] args) throws IOException {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(b);
        out.writeInt(args.length);
        out.writeUTF(Path.of("").toAbsolutePath().toString());
        for (int i = 1; i < args.length; i++) {
            if (args[i].length() > 65_535 / 3 && utfLength(args[i]) > 65_535) {
                tooLarge("an argument of " + utfLength(args[i]) + " bytes (at most 65535)");
            }
            out.writeUTF(args[i]);
        }
        if (b.size() > Protocol.MAX_REQUEST_BYTES) {
            tooLarge(b.size() + " bytes of arguments (at most " + Protocol.MAX_REQUEST_BYTES + ")");
        }
        return b.toByteArray();
    }

    private static void tooLarge(String what) {
        System.err.println("sigillum: the command line is too long for the server: " + what + "; split it into several commands");
        System.exit(Protocol.EXIT_REFUSED);
    }

    /** The length writeUTF gives the string. */
    private static int utfLength(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            n += c >= 1 && c <= 0x7f ? 1 : c <= 0x7ff ? 2 : 3;
        }
        return n;
    }

    /** Prints the server's answer frames until its exit code, which it returns. */
    private static int answer(DataInputStream in, DataOutputStream out) throws IOException {
        while (true) {
            byte type;
            try {
                type = in.readByte();
            } catch (EOFException e) {
                System.err.println("sigillum: the server closed the connection");
                return 1;
            }
            switch (type) {
                case Protocol.OUT -> System.out.println(in.readUTF());
                case Protocol.ERR -> System.err.println(in.readUTF());
                case Protocol.EXIT -> {
                    System.out.flush();
                    return in.readInt();
                }
                case Protocol.ASK_SECRET -> {
                    String prompt = in.readUTF();
                    out.writeUTF(readSecret(prompt));
                    out.flush();
                }
                default -> {
                    System.err.println("sigillum: unexpected answer from the server");
                    return 1;
                }
            }
        }
    }

    /** Java 22 added Console.isTerminal(); before it a non-null console always was one. */
    private static boolean isTerminal(java.io.Console console) {
        try {
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException e) {
            return true;
        }
    }

    /** From the terminal without echo, or one line of standard input when there is no terminal. */
    private static String readSecret(String prompt) throws IOException {
        var console = System.console();
        if (console != null && isTerminal(console)) {
            char[] c = console.readPassword("%s", prompt);
            return c == null ? "" : new String(c);
        }
        var reader = new java.io.BufferedReader(new java.io.InputStreamReader(System.in));
        String line = reader.readLine();
        return line == null ? "" : line;
    }
}
