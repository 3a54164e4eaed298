package org.sigillum.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the real launcher, as a user would, on the product this reactor built. */
final class Sigillum {

    record Result(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\nstdout:\n" + out + "\nstderr:\n" + err;
        }
    }

    static Path root() {
        String r = System.getProperty("sigillum.root");
        if (r == null) {
            throw new IllegalStateException("sigillum.root is not set (run through Maven)");
        }
        return Path.of(r);
    }

    static ProcessBuilder command(Path home, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(root().resolve("sigillum").toString());
        cmd.addAll(List.of(args));
        cmd.add("--home");
        cmd.add(home.toString());
        ProcessBuilder pb = new ProcessBuilder(cmd);
        // The reactor has just built the product; the launcher must not start a build of its own.
        pb.environment().put("SIGILLUM_NO_BUILD", "1");
        return pb;
    }

    static Result run(Path home, String... args) throws IOException, InterruptedException {
        return runWithInput(home, "", args);
    }

    /** With {@code input} as standard input (a PIN, say, as a script would pipe it). */
    static Result runWithInput(Path home, String input, String... args) throws IOException, InterruptedException {
        return runWithEnvironment(home, java.util.Map.of(), input, args);
    }

    /** With extra environment variables (they reach a private server the launcher starts). */
    static Result runWithEnvironment(Path home, java.util.Map<String, String> env, String input, String... args)
            throws IOException, InterruptedException {
        Path out = Files.createTempFile("sigillum-out", ".txt");
        Path err = Files.createTempFile("sigillum-err", ".txt");
        Path in = Files.createTempFile("sigillum-in", ".txt");
        Files.writeString(in, input);
        try {
            ProcessBuilder pb = command(home, args);
            pb.environment().putAll(env);
            Process p = pb.redirectInput(in.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile())
                    .start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("sigillum " + String.join(" ", args) + " did not finish in 120 s");
            }
            return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
            Files.deleteIfExists(in);
        }
    }

    static int openssl(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add("openssl");
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("openssl hung");
        }
        return p.exitValue();
    }
}
