package org.sigillum.e2e;

import java.io.File;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * SoftHSM2 tokens for tests, in a folder of their own: its softhsm2.conf, token store, a test CA
 * that issues the key certificates, and the state of the pinshim library (src/test/c/pinshim.c),
 * which wraps SoftHSM with a user-PIN retry counter, lockout and a slow-card sign delay.
 *
 * <p>Everything is done with the real tools (softhsm2-util, pkcs11-tool), run with {@link #env()}.
 * A missing tool fails the test: there is no silent skip.
 */
final class SoftHsm {
    static final String SOFTHSM_LIBRARY = "/usr/lib/softhsm/libsofthsm2.so";
    static final String P11KIT_HEADER = "/usr/include/p11-kit-1/p11-kit/pkcs11.h";
    static final String PINSHIM_SOURCE = "tests/org.sigillum.e2e/src/test/c/pinshim.c";
    static final int DEFAULT_MAX_TRIES = 3;
    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    private static final Set<String> SECRET_OPTIONS = Set.of("--pin", "--so-pin", "--new-pin", "-p");

    private final Path dir;
    private final Path conf;
    private final Path stateDir;
    private final int maxTries;
    private final KeyPair caKeys;
    private final X509Certificate caCert;
    private final SecureRandom random = new SecureRandom();
    private Path shim;

    SoftHsm(Path dir) throws Exception {
        this(dir, DEFAULT_MAX_TRIES);
    }

    /** @param maxTries user-PIN tries before the shim locks a token (PINSHIM_MAX_TRIES) */
    SoftHsm(Path dir, int maxTries) throws Exception {
        requireTool("softhsm2-util", "softhsm2");
        requireTool("pkcs11-tool", "opensc");
        if (!Files.isRegularFile(Path.of(SOFTHSM_LIBRARY))) {
            throw new AssertionError("SoftHSM2 library " + SOFTHSM_LIBRARY + " is missing (install softhsm2)");
        }
        this.dir = dir.toAbsolutePath();
        this.maxTries = maxTries;
        this.conf = this.dir.resolve("softhsm2.conf");
        this.stateDir = this.dir.resolve("shim-state");
        Files.createDirectories(this.dir.resolve("tokens"));
        Files.createDirectories(stateDir);
        Files.writeString(conf, """
                directories.tokendir = %s
                objectstore.backend = file
                log.level = ERROR
                """.formatted(this.dir.resolve("tokens")));

        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        caKeys = g.generateKeyPair();
        X500Name caName = cn("Sigillum SoftHSM Test CA");
        Instant now = Instant.now();
        JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
        X509v3CertificateBuilder b = new X509v3CertificateBuilder(caName, serial(), Date.from(now.minus(Duration.ofDays(1))),
                Date.from(now.plus(Duration.ofDays(3650))), caName, spki(caKeys.getPublic().getEncoded()));
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(caKeys.getPublic()));
        caCert = sign(b, caKeys.getPrivate());
        Files.writeString(caPem(), pem("CERTIFICATE", caCert.getEncoded()));
    }

    /** For the ProcessBuilder environment of anything that loads SoftHSM or the shim. */
    Map<String, String> env() {
        return Map.of("SOFTHSM2_CONF", conf.toString(), "PINSHIM_STATE", stateDir.toString(), "PINSHIM_TARGET", SOFTHSM_LIBRARY,
                "PINSHIM_MAX_TRIES", Integer.toString(maxTries));
    }

    Path dir() {
        return dir;
    }

    Path caPem() {
        return dir.resolve("ca.pem");
    }

    X509Certificate caCertificate() {
        return caCert;
    }

    int maxTries() {
        return maxTries;
    }

    /** Compiles pinshim.c into dir/libpinshim.so (once per instance) and returns it. */
    synchronized Path shimLibrary() throws Exception {
        if (shim != null) {
            return shim;
        }
        requireTool("gcc", "gcc");
        if (!Files.isRegularFile(Path.of(P11KIT_HEADER))) {
            throw new AssertionError("PKCS#11 header " + P11KIT_HEADER + " is missing (install libp11-kit-dev)");
        }
        Path out = dir.resolve("libpinshim.so");
        run("gcc", "-std=c99", "-Wall", "-shared", "-fPIC", "-O2", "-I/usr/include/p11-kit-1", "-o", out.toString(),
                shimSource().toString(), "-ldl", "-lpthread");
        shim = out;
        return shim;
    }

    private static Path shimSource() {
        List<Path> candidates = new ArrayList<>();
        String root = System.getProperty("sigillum.root");
        if (root != null) {
            candidates.add(Path.of(root, PINSHIM_SOURCE));
        }
        candidates.add(Path.of("src/test/c/pinshim.c")); // working dir tests/org.sigillum.e2e (surefire)
        candidates.add(Path.of(PINSHIM_SOURCE)); // working dir the repository root
        // Absolute: gcc runs in dir, not in the working directory.
        return candidates.stream().filter(Files::isRegularFile).findFirst().map(Path::toAbsolutePath).orElseThrow(
                () -> new AssertionError("pinshim.c not found; looked at " + candidates));
    }

    /** Initialises a token in a free slot and clears any shim state left under its label. */
    void createToken(String label, String userPin, String soPin) throws Exception {
        run("softhsm2-util", "--init-token", "--free", "--label", label, "--pin", userPin, "--so-pin", soPin);
        Files.deleteIfExists(stateFile(label, ".tries"));
        Files.deleteIfExists(stateFile(label, ".logins"));
    }

    /** Deletes the token. The shim state for its label stays, for the test to read. */
    void deleteToken(String label) throws Exception {
        run("softhsm2-util", "--delete-token", "--token", label);
    }

    /** {@link #addKey(String, String, String, String, String, Instant, Instant)} valid from now-1d to now+365d. */
    X509Certificate addKey(String token, String pin, String label, String hexId, String spec) throws Exception {
        Instant now = Instant.now();
        return addKey(token, pin, label, hexId, spec, now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(365)));
    }

    /**
     * Generates a key in Java ({@code spec} "rsa2048", "rsa3072", "p256" or "p384"), a certificate for it from the
     * CA (subject CN=label, digitalSignature+nonRepudiation), and imports both into the token with the same CKA_ID
     * and CKA_LABEL. The certificate is also written to dir/&lt;token&gt;-&lt;label&gt;.pem.
     */
    X509Certificate addKey(String token, String pin, String label, String hexId, String spec, Instant notBefore,
            Instant notAfter) throws Exception {
        checkHexId(hexId);
        KeyPairGenerator g;
        switch (spec) {
            case "rsa2048", "rsa3072" -> {
                g = KeyPairGenerator.getInstance("RSA");
                g.initialize(Integer.parseInt(spec.substring(3)));
            }
            case "p256", "p384" -> {
                g = KeyPairGenerator.getInstance("EC");
                g.initialize(new ECGenParameterSpec(spec.equals("p256") ? "secp256r1" : "secp384r1"));
            }
            default -> throw new IllegalArgumentException("unknown key spec " + spec);
        }
        KeyPair kp = g.generateKeyPair();
        X509Certificate cert = issue(label, spki(kp.getPublic().getEncoded()), notBefore, notAfter);

        // softhsm2-util --import wants an unencrypted PKCS#8 key in PEM (PEM_read_bio_PKCS8_PRIV_KEY_INFO).
        Path keyFile = Files.createTempFile(dir, "import-", ".pem");
        try {
            Files.writeString(keyFile, pem("PRIVATE KEY", kp.getPrivate().getEncoded()));
            run("softhsm2-util", "--import", keyFile.toString(), "--token", token, "--label", label, "--id", hexId, "--pin",
                    pin);
        } finally {
            Files.deleteIfExists(keyFile);
        }
        writeCertificate(token, pin, label, hexId, cert);
        return cert;
    }

    /**
     * A key generated on the token with CKA_ALWAYS_AUTHENTICATE ({@code spec} "p256", "p384", "rsa2048" or
     * "rsa3072"), and a CA certificate for its public key (read back from the token), stored with the same CKA_ID
     * and CKA_LABEL and written to dir/&lt;token&gt;-&lt;label&gt;.pem. Valid from now-1d to now+365d.
     */
    X509Certificate addAlwaysAuthenticateKey(String token, String pin, String label, String hexId, String spec)
            throws Exception {
        checkHexId(hexId);
        String keyType = switch (spec) {
            case "p256" -> "EC:prime256v1";
            case "p384" -> "EC:secp384r1";
            case "rsa2048" -> "rsa:2048";
            case "rsa3072" -> "rsa:3072";
            default -> throw new IllegalArgumentException("unknown key spec " + spec);
        };
        pkcs11(SOFTHSM_LIBRARY, "--token-label", token, "--login", "--pin", pin, "--keypairgen", "--key-type", keyType,
                "--id", hexId, "--label", label, "--always-auth", "--usage-sign");
        Path pub = Files.createTempFile(dir, "pub-", ".der");
        byte[] spki;
        try {
            // pkcs11-tool writes a public key object as a DER SubjectPublicKeyInfo.
            pkcs11(SOFTHSM_LIBRARY, "--token-label", token, "--read-object", "--type", "pubkey", "--id", hexId,
                    "--output-file", pub.toString());
            spki = Files.readAllBytes(pub);
        } finally {
            Files.deleteIfExists(pub);
        }
        Instant now = Instant.now();
        X509Certificate cert = issue(label, spki(spki), now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(365)));
        writeCertificate(token, pin, label, hexId, cert);
        return cert;
    }

    /** User-PIN tries left for the token with that label, as the shim counts them ({@link #maxTries()} if never used). */
    int triesLeft(String label) throws IOException {
        return readNumber(stateFile(label, ".tries"), maxTries);
    }

    /** Sets the shim's counter, e.g. 1 to see CKF_USER_PIN_FINAL_TRY at once, or max to unlock. */
    void setTriesLeft(String label, int tries) throws IOException {
        writeAtomically(stateFile(label, ".tries"), tries + "\n");
    }

    /** Number of user or context-specific C_Login calls the shim has seen for the token with that label. */
    int loginCalls(String label) throws IOException {
        return readNumber(stateFile(label, ".logins"), 0);
    }

    /** Delay before each signature through the shim; 0 or less removes it. Takes effect at the next C_Sign. */
    void setSignDelayMillis(int ms) throws IOException {
        Path f = stateDir.resolve("sign-delay-ms");
        if (ms <= 0) {
            Files.deleteIfExists(f);
        } else {
            writeAtomically(f, ms + "\n");
        }
    }

    /**
     * The "token flags" line of {@code pkcs11-tool -L} through {@code library} (SoftHSM or the shim) for the token
     * with that label, e.g. "login required, rng, token initialized, user PIN count low, PIN initialized".
     */
    String tokenFlags(Path library, String label) throws Exception {
        String out = pkcs11(library.toString(), "--list-slots");
        String current = null;
        for (String line : out.split("\n")) {
            String t = line.strip();
            int colon = t.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String key = t.substring(0, colon).strip();
            String value = t.substring(colon + 1).strip();
            if (key.equals("token label")) {
                current = value;
            } else if (key.equals("token flags") && label.equals(current)) {
                return value;
            }
        }
        throw new AssertionError("no token labelled " + label + " in pkcs11-tool -L:\n" + out);
    }

    /** Runs pkcs11-tool on {@code library} with {@link #env()} and returns its output. */
    String pkcs11(String library, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("pkcs11-tool", "--module", library));
        cmd.addAll(List.of(args));
        return run(cmd.toArray(String[]::new));
    }

    /** Runs a command with {@link #env()} in dir; returns stdout+stderr, or throws with them if it fails. */
    String run(String... cmd) throws Exception {
        Path out = Files.createTempFile(dir, "out-", ".txt");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(out.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            pb.environment().putAll(env());
            Process p = pb.start();
            if (!p.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(describe(cmd) + " did not finish in " + TIMEOUT.toSeconds() + " s:\n"
                        + Files.readString(out));
            }
            String output = Files.readString(out);
            if (p.exitValue() != 0) {
                throw new AssertionError(describe(cmd) + " exited " + p.exitValue() + ":\n" + output);
            }
            return output;
        } finally {
            Files.deleteIfExists(out);
        }
    }

    // ---- internals ----

    private void writeCertificate(String token, String pin, String label, String hexId, X509Certificate cert)
            throws Exception {
        Path der = Files.createTempFile(dir, "cert-", ".der");
        try {
            Files.write(der, cert.getEncoded());
            pkcs11(SOFTHSM_LIBRARY, "--token-label", token, "--login", "--pin", pin, "--write-object", der.toString(),
                    "--type", "cert", "--id", hexId, "--label", label);
        } finally {
            Files.deleteIfExists(der);
        }
        Files.writeString(dir.resolve(fileName(token) + "-" + fileName(label) + ".pem"), pem("CERTIFICATE", cert.getEncoded()));
    }

    private X509Certificate issue(String label, SubjectPublicKeyInfo spki, Instant notBefore, Instant notAfter)
            throws Exception {
        JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
        X509v3CertificateBuilder b = new X509v3CertificateBuilder(new JcaX509CertificateHolder(caCert).getSubject(), serial(),
                Date.from(notBefore), Date.from(notAfter), cn(label), spki);
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.nonRepudiation));
        b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(spki));
        b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(caCert));
        return sign(b, caKeys.getPrivate());
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key) throws Exception {
        X509CertificateHolder h = b.build(new JcaContentSignerBuilder("SHA256withRSA").build(key));
        return new JcaX509CertificateConverter().getCertificate(h);
    }

    private static X500Name cn(String name) {
        return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, name).build();
    }

    private static SubjectPublicKeyInfo spki(byte[] der) {
        return SubjectPublicKeyInfo.getInstance(der);
    }

    private BigInteger serial() {
        return new BigInteger(63, random).add(BigInteger.ONE);
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static void checkHexId(String hexId) {
        if (hexId.isEmpty() || hexId.length() % 2 != 0) {
            throw new IllegalArgumentException("CKA_ID must be an even number of hex digits: " + hexId);
        }
        HexFormat.of().parseHex(hexId);
    }

    private Path stateFile(String label, String suffix) {
        return stateDir.resolve(fileName(label) + suffix);
    }

    /**
     * The label as one file name, as pinshim.c maps it: trailing blanks dropped, each UTF-8 byte other than
     * [A-Za-z0-9._-] replaced by '_', "_" for an empty label.
     */
    static String fileName(String label) {
        byte[] b = label.stripTrailing().getBytes(StandardCharsets.UTF_8);
        StringBuilder sb = new StringBuilder();
        for (byte x : b) {
            char c = (char) (x & 0xff);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.'
                    || c == '_' || c == '-';
            sb.append(ok ? c : '_');
        }
        return sb.isEmpty() ? "_" : sb.toString();
    }

    private static int readNumber(Path f, int dflt) throws IOException {
        if (!Files.exists(f)) {
            return dflt;
        }
        String s = Files.readString(f).strip();
        return s.isEmpty() ? dflt : Integer.parseInt(s);
    }

    /** Same as the shim: via a temporary file and rename, so a reader never sees half a number. */
    private static void writeAtomically(Path f, String content) throws IOException {
        Path tmp = f.resolveSibling(f.getFileName() + ".java.tmp");
        Files.writeString(tmp, content);
        Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void requireTool(String tool, String pkg) {
        String path = System.getenv("PATH");
        if (path != null) {
            for (String d : path.split(File.pathSeparator)) {
                if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) {
                    return;
                }
            }
        }
        throw new AssertionError(tool + " is not on the PATH (install " + pkg + ")");
    }

    /** The command for messages, with PINs masked. */
    private static String describe(String... cmd) {
        List<String> shown = new ArrayList<>();
        for (int i = 0; i < cmd.length; i++) {
            shown.add(i > 0 && SECRET_OPTIONS.contains(cmd[i - 1]) ? "***" : cmd[i]);
        }
        return String.join(" ", shown);
    }
}
