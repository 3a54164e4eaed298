package org.sigillum.format.cades.internal;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** openssl as the outside judge. A missing openssl fails the test: `./sigillum test` installs it. */
final class Openssl {
    private Openssl() {
    }

    static int cmsVerify(Path sig, Path data, Path caFile) throws Exception {
        return run(List.of("openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", sig.toString(), "-content",
                data.toString(), "-CAfile", caFile.toString(), "-out", "/dev/null"));
    }

    static int cmsVerifyEnveloping(Path p7m, Path caFile, Path out) throws Exception {
        return run(List.of("openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", p7m.toString(), "-CAfile",
                caFile.toString(), "-out", out.toString()));
    }

    private static int run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("openssl hung: " + cmd);
        }
        return p.exitValue();
    }
}
