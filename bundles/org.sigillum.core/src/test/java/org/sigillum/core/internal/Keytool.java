package org.sigillum.core.internal;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Certificates made by the JDK's keytool, so the core's tests need no crypto library. */
final class Keytool {
    static final String PW = "changeit";

    private Keytool() {
    }

    static void run(Path dir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError("keytool " + String.join(" ", args) + " failed: " + out);
        }
    }

    /** A self-signed certificate alone, as an untrusted "chain". */
    static List<X509Certificate> selfSigned(Path dir, String name) throws Exception {
        run(dir, "-genkeypair", "-keystore", "self.p12", "-storepass", PW, "-alias", "self", "-keyalg", "EC",
                "-dname", "CN=" + name, "-ext", "bc:c", "-validity", "30");
        run(dir, "-exportcert", "-rfc", "-keystore", "self.p12", "-storepass", PW, "-alias", "self", "-file", "root.pem");
        try (InputStream in = Files.newInputStream(dir.resolve("root.pem"))) {
            return List.of((X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
    }

    /** root.pem (a CA) and signer.p12 (a key with the chain signer, root), in {@code dir}. */
    static List<X509Certificate> pki(Path dir, String rootName, String validityDays) throws Exception {
        return pki(dir, rootName, validityDays, "ku:c=digitalSignature,nonRepudiation");
    }

    /** The same with the signer certificate's extensions given as keytool -ext values, comma-free ones separated by ';'. */
    static List<X509Certificate> pki(Path dir, String rootName, String validityDays, String exts) throws Exception {
        run(dir, "-genkeypair", "-keystore", "ca.p12", "-storepass", PW, "-alias", "root", "-keyalg", "RSA", "-keysize", "2048",
                "-dname", "CN=" + rootName, "-ext", "bc:c", "-validity", "30");
        run(dir, "-exportcert", "-rfc", "-keystore", "ca.p12", "-storepass", PW, "-alias", "root", "-file", "root.pem");
        run(dir, "-genkeypair", "-keystore", "signer.p12", "-storepass", PW, "-alias", "signer", "-keyalg", "RSA",
                "-keysize", "2048", "-dname", "CN=Signer of " + rootName);
        run(dir, "-certreq", "-keystore", "signer.p12", "-storepass", PW, "-alias", "signer", "-file", "signer.csr");
        List<String> gencert = new ArrayList<>(List.of("-gencert", "-keystore", "ca.p12", "-storepass", PW, "-alias", "root",
                "-infile", "signer.csr", "-outfile", "signer.pem", "-rfc", "-validity", validityDays));
        for (String e : exts.split(";")) {
            gencert.add("-ext");
            gencert.add(e);
        }
        run(dir, gencert.toArray(String[]::new));
        run(dir, "-importcert", "-noprompt", "-keystore", "signer.p12", "-storepass", PW, "-alias", "root", "-file", "root.pem");
        run(dir, "-importcert", "-noprompt", "-keystore", "signer.p12", "-storepass", PW, "-alias", "signer", "-file", "signer.pem");
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(dir.resolve("signer.p12"))) {
            ks.load(in, PW.toCharArray());
        }
        List<X509Certificate> chain = new ArrayList<>();
        for (var c : ks.getCertificateChain("signer")) {
            chain.add((X509Certificate) c);
        }
        return chain;
    }
}
