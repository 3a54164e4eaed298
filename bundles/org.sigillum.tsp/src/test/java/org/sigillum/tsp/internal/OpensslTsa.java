package org.sigillum.tsp.internal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An independent TSA: {@code openssl ts -reply} with a root CA and a TSA certificate made by openssl
 * itself. A missing openssl fails the test ({@code ./sigillum test} installs it).
 */
final class OpensslTsa {
    final Path dir;
    final Path rootPem;
    final Path tsaPem;
    private final Path config;

    OpensslTsa(Path dir, String name) throws Exception {
        this.dir = Files.createDirectories(dir.resolve(name));
        rootPem = this.dir.resolve("root.pem");
        tsaPem = this.dir.resolve("tsa.pem");
        run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "root.key", "-out", "root.pem", "-days", "30",
                "-subj", "/CN=" + name + " Root", "-addext", "basicConstraints=critical,CA:true",
                "-addext", "keyUsage=critical,keyCertSign");
        run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "tsa.key", "-out", "tsa.csr", "-subj", "/CN=" + name + " TSA");
        Files.writeString(this.dir.resolve("tsa.ext"),
                "extendedKeyUsage=critical,timeStamping\nkeyUsage=critical,digitalSignature\nbasicConstraints=CA:false\n");
        run("x509", "-req", "-in", "tsa.csr", "-CA", "root.pem", "-CAkey", "root.key", "-CAcreateserial", "-out", "tsa.pem",
                "-days", "30", "-extfile", "tsa.ext");
        config = this.dir.resolve("tsa.cnf");
        Files.writeString(config, """
                [ tsa ]
                default_tsa = tsa_config
                [ tsa_config ]
                dir = %s
                serial = $dir/serial
                crypto_device = builtin
                signer_cert = $dir/tsa.pem
                certs = $dir/tsa.pem
                signer_key = $dir/tsa.key
                signer_digest = sha256
                default_policy = 1.2.3.4.1
                other_policies = 1.2.3.4.5
                digests = sha256, sha384, sha512
                accuracy = secs:1
                ordering = yes
                tsa_name = no
                ess_cert_id_chain = no
                ess_cert_id_alg = sha256
                """.formatted(this.dir));
        Files.writeString(this.dir.resolve("serial"), "01\n");
    }

    /** openssl's answer to a DER TimeStampReq. */
    synchronized byte[] reply(byte[] query) throws Exception {
        Path q = Files.write(dir.resolve("q.tsq"), query);
        Path r = dir.resolve("r.tsr");
        Files.deleteIfExists(r);
        run("ts", "-reply", "-config", config.toString(), "-queryfile", q.toString(), "-out", r.toString());
        return Files.readAllBytes(r);
    }

    /** openssl ts -verify of a token against a message imprint. */
    int verifyToken(byte[] token, byte[] digest) throws Exception {
        Path t = Files.write(dir.resolve("token.der"), token);
        return exit("ts", "-verify", "-digest", java.util.HexFormat.of().formatHex(digest), "-in", t.toString(), "-token_in",
                "-CAfile", rootPem.toString(), "-untrusted", tsaPem.toString());
    }

    private void run(String... args) throws Exception {
        int rc = exit(args);
        if (rc != 0) {
            throw new AssertionError("openssl " + String.join(" ", args) + " failed with " + rc);
        }
    }

    private int exit(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add("openssl");
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("openssl hung");
        }
        return p.exitValue();
    }
}
