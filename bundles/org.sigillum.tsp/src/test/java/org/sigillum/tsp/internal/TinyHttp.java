package org.sigillum.tsp.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The smallest HTTP/1.1 server a test needs in front of a TSA: reads one POST body per connection
 * and answers with whatever the handler returns (JDK's own server is not API for a bundle's tests).
 */
final class TinyHttp implements AutoCloseable {

    interface Handler {
        byte[] answer(byte[] request) throws Exception;
    }

    private final ServerSocket server;
    private final Handler handler;
    final AtomicInteger requests = new AtomicInteger();

    TinyHttp(Handler handler) throws IOException {
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.handler = handler;
        Thread t = new Thread(this::loop, "tiny-http");
        t.setDaemon(true);
        t.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getLocalPort() + "/tsa";
    }

    private void loop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                Thread t = new Thread(() -> serve(s));
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            int length = 0;
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            String header;
            while (!(header = readLine(in, line)).isEmpty()) {
                if (header.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                    length = Integer.parseInt(header.substring(15).trim());
                }
            }
            byte[] body = in.readNBytes(length);
            requests.incrementAndGet();
            byte[] answer;
            try {
                answer = handler.answer(body);
            } catch (Exception e) {
                out.write("HTTP/1.1 500 Oops\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                return;
            }
            out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/timestamp-reply\r\nContent-Length: " + answer.length
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(answer);
        } catch (IOException e) {
            // the client gave up: fine for a test server
        }
    }

    private static String readLine(InputStream in, ByteArrayOutputStream buf) throws IOException {
        buf.reset();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            if (c != '\r') {
                buf.write(c);
            }
        }
        return buf.toString(StandardCharsets.US_ASCII);
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
