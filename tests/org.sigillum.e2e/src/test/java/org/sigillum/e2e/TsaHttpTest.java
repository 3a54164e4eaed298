package org.sigillum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.bouncycastle.tsp.TimeStampResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The built-in TSA at /tsa on a running server: openssl's queries get replies openssl accepts;
 * thousands of random and truncated queries each get an RFC 3161 error answer and the server keeps
 * serving; oversized bodies and wrong content types are refused.
 */
class TsaHttpTest {

    @TempDir
    static Path tmp;
    static Process server;
    static Path home;
    static String url;
    static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    static void start() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        url = "http://127.0.0.1:" + port + "/tsa";
        home = tmp.resolve("home");
        Path log = tmp.resolve("server.log");
        ProcessBuilder pb = Sigillum.command(home, "run").redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("SIGILLUM_HTTP_PORT", Integer.toString(port));
        server = pb.start();
        long end = System.currentTimeMillis() + 90_000;
        while (!Files.readString(log).contains("sigillum: ready")) {
            assertTrue(server.isAlive() && System.currentTimeMillis() < end, Files.readString(log));
            Thread.sleep(20);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        server.destroy();
        server.waitFor(20, TimeUnit.SECONDS);
    }

    static HttpResponse<byte[]> post(byte[] body, String type) throws Exception {
        for (int attempt = 0; ; attempt++) {
            HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", type)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
            // Jetty comes up a moment after the servlet is registered on a fresh start.
            if (r.statusCode() != 404 || attempt > 50) {
                return r;
            }
            Thread.sleep(100);
        }
    }

    private static int openssl(String... args) throws Exception {
        var cmd = new java.util.ArrayList<>(java.util.List.of("openssl"));
        cmd.addAll(java.util.List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return p.exitValue();
    }

    @Test
    void opensslQueriesGetRepliesOpensslAccepts() throws Exception {
        Path data = Files.writeString(tmp.resolve("d.txt"), "an invoice");
        Path q = tmp.resolve("d.tsq");
        assertEquals(0, openssl("ts", "-query", "-data", data.toString(), "-sha256", "-cert", "-out", q.toString()));
        HttpResponse<byte[]> r = post(Files.readAllBytes(q), "application/timestamp-query");
        assertEquals(200, r.statusCode());
        assertEquals("application/timestamp-reply", r.headers().firstValue("Content-Type").orElse(""));
        Path tsr = Files.write(tmp.resolve("d.tsr"), r.body());
        assertEquals(0, openssl("ts", "-verify", "-in", tsr.toString(), "-queryfile", q.toString(), "-CAfile",
                home.resolve("pki/demo-root.pem").toString(), "-untrusted", home.resolve("pki/certs/demo-tsa.pem").toString()));
    }

    @Test
    void hostileQueriesAreAnsweredAndTheServerKeepsServing() throws Exception {
        Path data = Files.writeString(tmp.resolve("g.txt"), "good query");
        Path q = tmp.resolve("g.tsq");
        assertEquals(0, openssl("ts", "-query", "-data", data.toString(), "-sha256", "-cert", "-out", q.toString()));
        byte[] good = Files.readAllBytes(q);
        Random rnd = new Random(5);
        for (int i = 0; i < 2000; i++) {
            byte[] body = i % 2 == 0 ? java.util.Arrays.copyOf(good, rnd.nextInt(good.length)) : new byte[rnd.nextInt(300)];
            if (i % 2 == 1) {
                rnd.nextBytes(body);
            }
            HttpResponse<byte[]> r = post(body, "application/timestamp-query");
            assertEquals(200, r.statusCode());
            assertEquals(2, new TimeStampResponse(r.body()).getStatus(), "rejection for query " + i);
        }
        assertEquals(413, post(new byte[100_000], "application/timestamp-query").statusCode());
        assertEquals(415, post(good, "text/plain").statusCode());
        HttpResponse<byte[]> ok = post(good, "application/timestamp-query");
        assertEquals(0, new TimeStampResponse(ok.body()).getStatus(), "a good query after the storm is granted");
    }
}
