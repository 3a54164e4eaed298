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
            out.writeInt(args.length);
            out.writeUTF(Path.of("").toAbsolutePath().toString());
            for (int i = 1; i < args.length; i++) {
                out.writeUTF(args[i]);
            }
            out.flush();
            while (true) {
                byte type;
                try {
                    type = in.readByte();
                } catch (EOFException e) {
                    System.err.println("sigillum: the server closed the connection");
                    System.exit(1);
                    return;
                }
                switch (type) {
                    case Protocol.OUT -> System.out.println(in.readUTF());
                    case Protocol.ERR -> System.err.println(in.readUTF());
                    case Protocol.EXIT -> {
                        System.out.flush();
                        System.exit(in.readInt());
                    }
                    case Protocol.ASK_SECRET -> {
                        String prompt = in.readUTF();
                        out.writeUTF(readSecret(prompt));
                        out.flush();
                    }
                    default -> {
                        System.err.println("sigillum: unexpected answer from the server");
                        System.exit(1);
                    }
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
