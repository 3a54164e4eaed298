package org.sigillum.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** A server started with ./sigillum run on a home, without HTTP, that a test can stop or kill -9. */
final class Server implements AutoCloseable {

    private final Path home;
    private final Path log;
    private Process process;
    private boolean ordinaryFilePermissions;
    private String javaOptions = "";
    private java.util.Map<String, String> environment = java.util.Map.of();

    Server(Path home, Path log) {
        this.home = home;
        this.log = log;
    }

    /**
     * Runs the server without the capabilities that let root read any file, so that a file with
     * mode 000 is unreadable to it as it would be to a service account (tests run as root in CI).
     */
    Server withOrdinaryFilePermissions() {
        this.ordinaryFilePermissions = true;
        return this;
    }

    /** Extra JVM options for the server, such as a heap limit. */
    Server withJavaOptions(String options) {
        this.javaOptions = options;
        return this;
    }

    /** Extra environment variables for the server (a PKCS#11 library's configuration, say). */
    Server withEnvironment(java.util.Map<String, String> env) {
        this.environment = env;
        return this;
    }

    /** Starts the server; with {@code waitReady} returns once it prints "sigillum: ready". */
    Server start(boolean waitReady) throws IOException, InterruptedException {
        ProcessBuilder pb = Sigillum.command(home, "run").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        if (ordinaryFilePermissions && "root".equals(System.getProperty("user.name"))) {
            List<String> cmd = new ArrayList<>(List.of("setpriv", "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search", "--"));
            cmd.addAll(pb.command());
            pb.command(cmd);
        }
        // Tests run several servers one after another: no HTTP port to collide on.
        pb.environment().putAll(environment);
        pb.environment().put("SIGILLUM_JAVA_OPTS", "-Dorg.apache.felix.http.enable=false " + javaOptions);
        long mark = Files.exists(log) ? Files.size(log) : 0;
        process = pb.start();
        if (waitReady) {
            long end = System.currentTimeMillis() + 90_000;
            while (!logSince(mark).contains("sigillum: ready")) {
                assertTrue(process.isAlive(), "server died:\n" + logSince(mark));
                assertTrue(System.currentTimeMillis() < end, "no 'sigillum: ready' in 90 s:\n" + logSince(mark));
                Thread.sleep(20);
            }
        }
        return this;
    }

    private String logSince(long mark) throws IOException {
        String all = Files.readString(log);
        return all.substring((int) Math.min(mark, all.length()));
    }

    String log() throws IOException {
        return Files.readString(log);
    }

    /** kill -9: the launcher execs java, so this is the server itself. */
    void kill() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
        }
    }

    boolean alive() {
        return process != null && process.isAlive();
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(40, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    static void await(String what, long timeoutMs, BooleanSupplier condition) throws InterruptedException {
        long end = System.currentTimeMillis() + timeoutMs;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > end) {
                throw new AssertionError("timed out after " + timeoutMs + " ms waiting for " + what);
            }
            Thread.sleep(50);
        }
    }
}
