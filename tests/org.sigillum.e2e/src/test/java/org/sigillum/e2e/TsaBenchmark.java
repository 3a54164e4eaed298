package org.sigillum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.tsp.TimeStampRequestGenerator;
import org.bouncycastle.tsp.TimeStampResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Not a test: run by {@code ./sigillum benchmark}. The built-in TSA's stamps/s over HTTP with
 * keep-alive from 2 client threads, beside {@code openssl ts -reply} (one process per stamp, as
 * sites script it) on 2 threads, measured in the same run.
 */
class TsaBenchmark {

    private static final int STAMPS = Integer.getInteger("bench.stamps", 3000);
    private static final int OPENSSL_STAMPS = 200;
    private static final int THREADS = 2;

    @TempDir
    Path tmp;

    @Test
    void builtInTsaOverHttpAgainstOpensslTsReply() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path home = tmp.resolve("home");
        Path log = tmp.resolve("server.log");
        ProcessBuilder pb = Sigillum.command(home, "run").redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("SIGILLUM_HTTP_PORT", Integer.toString(port));
        Process server = pb.start();
        try {
            while (!Files.readString(log).contains("sigillum: ready")) {
                assertTrue(server.isAlive(), Files.readString(log));
                Thread.sleep(20);
            }
            URI url = URI.create("http://127.0.0.1:" + port + "/tsa");
            List<byte[]> queries = new ArrayList<>();
            TimeStampRequestGenerator g = new TimeStampRequestGenerator();
            g.setCertReq(true);
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (int i = 0; i < STAMPS; i++) {
                queries.add(g.generate(new ASN1ObjectIdentifier("2.16.840.1.101.3.4.2.1"), md.digest(("doc " + i).getBytes()),
                        BigInteger.valueOf(i + 1L)).getEncoded());
            }
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            run(http, url, queries.subList(0, Math.min(500, STAMPS))); // warm-up, and waits for Jetty
            HttpResponse<byte[]> one = http.send(HttpRequest.newBuilder(url).header("Content-Type", "application/timestamp-query")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(queries.get(0))).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(0, new TimeStampResponse(one.body()).getStatus());
            long t0 = System.nanoTime();
            run(http, url, queries);
            double javaClient = STAMPS / ((System.nanoTime() - t0) / 1e9);
            // wrk, 2 threads with one keep-alive connection each: a load client that costs the
            // shared 2 cores little, so the figure is the server's.
            double ours = wrk(url, queries.get(0));

            Path dir = opensslTsa();
            long t1 = System.nanoTime();
            opensslReplies(dir, OPENSSL_STAMPS);
            double openssl = OPENSSL_STAMPS / ((System.nanoTime() - t1) / 1e9);

            String line = String.format(Locale.ROOT,
                    "BENCHMARK tsa-http client=wrk threads=%d connections=%d sigillum=%.0f stamps/s (java HttpClient: %.0f) openssl-ts-reply=%.0f stamps/s ratio=%.1f (goal >= 1000 stamps/s)",
                    THREADS, THREADS, ours, javaClient, openssl, ours / openssl);
            System.out.println(line);
            Files.writeString(Path.of("target", "benchmark-tsa.txt"), line + "\n");
        } finally {
            server.destroy();
            server.waitFor(20, TimeUnit.SECONDS);
        }
    }

    private static void run(HttpClient http, URI url, List<byte[]> queries) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        AtomicInteger next = new AtomicInteger();
        List<Future<?>> fs = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            fs.add(pool.submit(() -> {
                int i;
                while ((i = next.getAndIncrement()) < queries.size()) {
                    HttpResponse<byte[]> r;
                    int tries = 0;
                    do {
                        r = http.send(HttpRequest.newBuilder(url).header("Content-Type", "application/timestamp-query")
                                .POST(HttpRequest.BodyPublishers.ofByteArray(queries.get(i))).build(), HttpResponse.BodyHandlers.ofByteArray());
                        if (r.statusCode() == 404) {
                            Thread.sleep(100);
                        }
                    } while (r.statusCode() == 404 && ++tries < 100);
                    assertEquals(200, r.statusCode());
                    assertTrue(granted(r.body()), "stamp " + i + " granted");
                }
                return null;
            }));
        }
        for (Future<?> f : fs) {
            f.get();
        }
        pool.shutdown();
    }

    /** Requests/s from wrk posting one valid query over 2 keep-alive connections for 10 s. */
    private double wrk(URI url, byte[] query) throws Exception {
        Path q = Files.write(tmp.resolve("q.tsq"), query);
        Path lua = Files.writeString(tmp.resolve("post.lua"), """
                wrk.method = "POST"
                local f = io.open("%s", "rb")
                wrk.body = f:read("*all")
                f:close()
                wrk.headers["Content-Type"] = "application/timestamp-query"
                """.formatted(q));
        Process p = new ProcessBuilder("wrk", "-t" + THREADS, "-c" + THREADS, "-d10s", "-s", lua.toString(), url.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, out);
        assertTrue(!out.contains("Non-2xx"), out);
        var m = java.util.regex.Pattern.compile("Requests/sec:\\s+([0-9.]+)").matcher(out);
        assertTrue(m.find(), out);
        return Double.parseDouble(m.group(1));
    }

    /**
     * The client checks only that each answer is a granted TimeStampResp (PKIStatusInfo status 0
     * right after the outer header), so that the client, which shares the 2 cores with the server,
     * costs little; one answer is fully parsed before timing starts.
     */
    private static boolean granted(byte[] r) {
        for (int at = 2; at <= 5 && at + 5 <= r.length; at++) {
            // PKIStatusInfo: SEQUENCE (short length; it may carry a status string) starting INTEGER status.
            if (r[at] == 0x30 && r[at + 1] >= 3 && r[at + 2] == 0x02 && r[at + 3] == 0x01) {
                return r[at + 4] == 0x00;
            }
        }
        return false;
    }

    private Path opensslTsa() throws Exception {
        Path dir = OpensslTsa.create(tmp.resolve("openssl"), "Bench TSA");
        exec(dir, "openssl", "ts", "-query", "-digest", "0".repeat(64), "-sha256", "-cert", "-out", "q.tsq");
        return dir;
    }

    /** One openssl process per stamp, 2 at a time; each thread has its own serial file and output. */
    private static void opensslReplies(Path dir, int n) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        AtomicInteger next = new AtomicInteger();
        List<Future<?>> fs = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int id = t;
            fs.add(pool.submit(() -> {
                Path cnf = dir.resolve("tsa-" + id + ".cnf");
                Files.writeString(cnf, Files.readString(dir.resolve("tsa.cnf")).replace("$dir/serial", "$dir/serial-" + id));
                Files.writeString(dir.resolve("serial-" + id), "01\n");
                while (next.getAndIncrement() < n) {
                    exec(dir, "openssl", "ts", "-reply", "-config", cnf.toString(), "-queryfile", "q.tsq", "-out", "r-" + id + ".tsr");
                }
                return null;
            }));
        }
        for (Future<?> f : fs) {
            f.get();
        }
        pool.shutdown();
    }

    private static void exec(Path dir, String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, String.join(" ", cmd));
    }
}
