package org.sigillum.e2e;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An independent time-stamp authority made with openssl alone in a folder: root.pem, tsa.pem (with
 * the critical timeStamping EKU), tsa.key and tsa.cnf for {@code openssl ts -reply}.
 */
final class OpensslTsa {
    private OpensslTsa() {
    }

    static Path create(Path dir, String name) throws Exception {
        Files.createDirectories(dir);
        run(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "root.key", "-out", "root.pem", "-days", "30",
                "-subj", "/CN=" + name + " Root", "-addext", "basicConstraints=critical,CA:true", "-addext", "keyUsage=critical,keyCertSign");
        run(dir, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "tsa.key", "-out", "tsa.csr", "-subj", "/CN=" + name);
        Files.writeString(dir.resolve("tsa.ext"), "extendedKeyUsage=critical,timeStamping\nkeyUsage=critical,digitalSignature\n");
        run(dir, "x509", "-req", "-in", "tsa.csr", "-CA", "root.pem", "-CAkey", "root.key", "-CAcreateserial", "-out", "tsa.pem",
                "-days", "30", "-extfile", "tsa.ext");
        Files.writeString(dir.resolve("serial"), "01\n");
        Files.writeString(dir.resolve("tsa.cnf"), """
                [ tsa ]
                default_tsa = t
                [ t ]
                dir = %s
                serial = $dir/serial
                signer_cert = $dir/tsa.pem
                certs = $dir/tsa.pem
                signer_key = $dir/tsa.key
                signer_digest = sha256
                default_policy = 1.2.3.4.1
                digests = sha256, sha384, sha512
                accuracy = secs:1
                ess_cert_id_alg = sha256
                """.formatted(dir));
        return dir;
    }

    static void run(Path dir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new AssertionError("openssl " + String.join(" ", args) + " failed");
        }
    }
}
