package org.sigillum.cli.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The runtime home's layout and its first-run defaults. A new home gets a DEMO PKI, a demo token, a
 * {@code cades} profile and the default plug-in bundles in {@code deploy/}. Later starts only
 * refresh plug-in jars that are still in {@code deploy/} from a newer build: what a site removed
 * stays removed.
 */
final class RuntimeHome {

    /** Plug-ins a new home gets; the rest of a site's choice goes into deploy/ by hand. */
    /** The PDF format and the PDFBox bundles it runs on. */
    static final List<String> PADES_PLUGINS = List.of("org.sigillum.format.pades", "org.apache.pdfbox", "org.apache.pdfbox.io",
            "org.apache.pdfbox.fontbox", "org.apache.commons.commons-logging");

    /**
     * Signature cards and HSMs: idle until a token is configured in etc/, so every home gets it and
     * a card needs only its configuration file.
     */
    static final List<String> PKCS11_PLUGINS = List.of("org.sigillum.token.pkcs11", "org.xipki.ipkcs11wrapper");

    /** The long-term archive and the embedded database it keeps its state in. */
    static final List<String> ARCHIVE_PLUGINS = List.of("org.sigillum.archive", "com.h2database");

    static final List<String> DEFAULT_PLUGINS = Stream.of(Stream.of("org.sigillum.token.soft",
            "org.sigillum.format.cades", "org.sigillum.tsp", "org.sigillum.tsa", "org.sigillum.channel.hotfolder"),
            PADES_PLUGINS.stream(), PKCS11_PLUGINS.stream(), ARCHIVE_PLUGINS.stream()).flatMap(x -> x).toList();

    private final Path home;

    RuntimeHome(Path home) {
        this.home = home;
    }

    Path home() {
        return home;
    }

    Path etc() {
        return home.resolve("etc");
    }

    Path deploy() {
        return home.resolve("deploy");
    }

    Path pki() {
        return home.resolve("pki");
    }

    Path run() {
        return home.resolve("run");
    }

    boolean isNew() {
        return !Files.exists(home.resolve("etc/.sigillum-home"));
    }

    /** Creates what a new home needs; returns true when it did. Never overwrites existing files. */
    boolean initialise(Optional<Path> available) throws IOException, GeneralSecurityException {
        for (String d : List.of("etc", "deploy", "pki", "pki/certs", "log", "run", "hotfolder", "tsa")) {
            Files.createDirectories(home.resolve(d));
        }
        if (!isNew()) {
            available.ifPresent(this::refreshPlugins);
            upgrade(available);
            return false;
        }
        Path p12 = pki().resolve("demo-signer.p12");
        Path rootPem = pki().resolve("demo-root.pem");
        String password = null;
        String tsaPassword = null;
        if (!Files.exists(p12)) {
            DemoPki pki = new DemoPki();
            DemoPki.Issued root = pki.root();
            DemoPki.Issued signer = pki.signer(root, "Sigillum DEMO Signer", Duration.ofDays(3 * 365));
            DemoPki.Issued tsa = pki.timeStampAuthority(root);
            tsaPassword = pki.password();
            writeKeyStore(pki, tsa, root, tsaPassword, pki().resolve("demo-tsa.p12"));
            // Not in pki/ itself: every PEM there is a trust anchor, and the TSA must chain to the root.
            write(pki().resolve("certs/demo-tsa.pem"), DemoPki.pem(tsa.certificate()));
            password = pki.password();
            writeKeyStore(pki, signer, root, password, p12);
            write(rootPem, DemoPki.pem(root.certificate()));
        }
        if (password != null) {
            writePrivate(etc().resolve("org.sigillum.token.soft-demo.cfg"), """
                    # The DEMO signing key (a software token). Its password is here so that the demo
                    # signs at once; for a real key, leave the password out and activate the token.
                    # (The leading dot keeps it out of the token's service properties.)
                    id = demo
                    path = pki/demo-signer.p12
                    .password = %s
                    """.formatted(password));
        }
        if (tsaPassword != null) {
            writePrivate(etc().resolve("org.sigillum.token.soft-demo-tsa.cfg"), """
                    # The DEMO time-stamp authority's key (a software token).
                    id = demo-tsa
                    path = pki/demo-tsa.p12
                    .password = %s
                    """.formatted(tsaPassword));
            writeIfAbsent(etc().resolve("org.sigillum.tsa.cfg"), """
                    # The built-in RFC 3161 time-stamp authority, with the DEMO TSA key.
                    token = demo-tsa
                    # A policy OID under 2.25 (UUID-based): replace it with your own for production.
                    policy = 2.25.329800735698586629295641978511506172918
                    accuracyMillis = 1000
                    serialFile = tsa/serial
                    """);
        }
        writeIfAbsent(etc().resolve("org.sigillum.profile-cades.cfg"), """
                # CAdES-B-B detached signatures (.p7s) with the DEMO key; --level T stamps with the built-in TSA.
                name = cades
                format = cades
                level = B
                tokens = demo
                tsas = builtin
                digest = SHA-256
                padding = PKCS1
                packaging = detached
                allowedOverrides = level,token,digest,padding,packaging
                trustAnchors = pki
                """);
        hotFolderDefaults();
        padesDefaults();
        archiveDefaults();
        deployIfAbsent(available, DEFAULT_PLUGINS);
        write(etc().resolve(".sigillum-home"), "created by Sigillum\n" + DEFAULTS_HOTFOLDER + "\n" + DEFAULTS_PADES + "\n"
                + DEFAULTS_PKCS11 + "\n" + DEFAULTS_ARCHIVE + "\n");
        return true;
    }

    /** Marks in etc/.sigillum-home that a home has received the defaults added after it was created. */
    static final String DEFAULTS_HOTFOLDER = "defaults: hotfolder";
    static final String DEFAULTS_PADES = "defaults: pades";
    static final String DEFAULTS_PKCS11 = "defaults: pkcs11";
    static final String DEFAULTS_ARCHIVE = "defaults: archive";

    /**
     * A home made before a default existed gets it once, at the next start; a site that removes it
     * afterwards keeps it removed, because the mark stays.
     */
    private void upgrade(Optional<Path> available) throws IOException {
        Path mark = etc().resolve(".sigillum-home");
        String text = Files.readString(mark, StandardCharsets.UTF_8);
        if (!text.contains(DEFAULTS_HOTFOLDER)) {
            hotFolderDefaults();
            deployIfAbsent(available, List.of("org.sigillum.channel.hotfolder"));
            text = text + DEFAULTS_HOTFOLDER + "\n";
            write(mark, text);
            System.out.println("sigillum: this home now has a hot-folder root 'cades': " + home.resolve("hotfolder/in/cades"));
        }
        if (!text.contains(DEFAULTS_PADES)) {
            padesDefaults();
            deployIfAbsent(available, PADES_PLUGINS);
            text = text + DEFAULTS_PADES + "\n";
            write(mark, text);
            System.out.println("sigillum: this home now signs PDFs: profile 'pades', hot-folder root " + home.resolve("hotfolder/in/pades"));
        }
        if (!text.contains(DEFAULTS_PKCS11)) {
            deployIfAbsent(available, PKCS11_PLUGINS);
            text = text + DEFAULTS_PKCS11 + "\n";
            write(mark, text);
            System.out.println("sigillum: this home can now use signature cards and HSMs (PKCS#11); see docs/CONFIGURATION.md");
        }
        if (!text.contains(DEFAULTS_ARCHIVE)) {
            archiveDefaults();
            deployIfAbsent(available, ARCHIVE_PLUGINS);
            text = text + DEFAULTS_ARCHIVE + "\n";
            write(mark, text);
            System.out.println("sigillum: this home now archives every signed document in a sealed hash tree (RFC 4998), "
                    + "and archives unsigned files put into " + home.resolve("hotfolder/in/archive"));
        }
    }

    private void deployIfAbsent(Optional<Path> available, List<String> bundles) {
        available.ifPresent(dir -> {
            for (String bsn : bundles) {
                Path target = deploy().resolve(bsn + ".jar");
                if (!Files.exists(target)) {
                    newest(dir, bsn).ifPresent(jar -> copyPlugin(jar, target));
                }
            }
        });
    }

    private void padesDefaults() throws IOException {
        writeIfAbsent(etc().resolve("org.sigillum.profile-pades.cfg"), """
                # PAdES-B-B signatures inside PDFs (an incremental update: the original bytes stay as they are), with the
                # DEMO key; --level T stamps with the built-in TSA. Requests may set the options below (--option KEY=VALUE).
                name = pades
                format = pades
                level = B
                tokens = demo
                tsas = builtin
                digest = SHA-256
                padding = PKCS1
                packaging = embedded
                allowedOverrides = level,token,digest,padding,options
                trustAnchors = pki
                # option.reason = Approved
                # option.location = Berlin
                # option.field = an empty signature field of the document to fill, by name
                # A visible stamp: x,y,width,height in points from the lower left corner of the page as shown; page 1, N or last.
                # option.stamp.rect = 36,36,240,64
                # option.stamp.page = last
                # option.stamp.text = Digitally signed by ${signer}\\n${time}
                # option.stamp.image = pki/logo.png
                """);
        hotFolderRoot("pades", "PDFs", "signed PDFs (same names)");
    }

    /** The archive-only root: files enter the archive without a signature. */
    private void archiveDefaults() throws IOException {
        writeIfAbsent(etc().resolve("org.sigillum.hotfolder-archive.cfg"), """
                # Archive only, no signature: put a batch folder into hotfolder/in/archive/, then a file named APPROVED
                # into it; every file enters the long-term archive (RFC 4998 hash tree, sealed daily) and its copy appears
                # in hotfolder/out/archive/<batch>/ with a READY summary that holds each file's archive receipt.
                name = archive
                tokens = none
                failurePolicy = partial
                looseFiles = false
                """);
        for (String d : List.of("in", "out", "error")) {
            Files.createDirectories(home.resolve("hotfolder").resolve(d).resolve("archive"));
        }
    }

    private void hotFolderDefaults() throws IOException {
        hotFolderRoot("cades", "any files", "signed results");
    }

    /** A hot-folder root named like its profile, with its three folders. */
    private void hotFolderRoot(String name, String what, String results) throws IOException {
        writeIfAbsent(etc().resolve("org.sigillum.hotfolder-" + name + ".cfg"), """
                # Hot folder for %2$s: put a batch folder into hotfolder/in/%1$s/, then a file named APPROVED into it;
                # %3$s appear in hotfolder/out/%1$s/<batch>/ with a READY summary, failures in
                # hotfolder/error/%1$s/<batch>/.
                name = %1$s
                profile = %1$s
                failurePolicy = partial
                looseFiles = false
                """.formatted(name, what, results));
        for (String d : List.of("in", "out", "error")) {
            Files.createDirectories(home.resolve("hotfolder").resolve(d).resolve(name));
        }
    }

    /** A PKCS#12 readable by the server's user only, written aside and moved into place. */
    private void writeKeyStore(DemoPki pki, DemoPki.Issued key, DemoPki.Issued root, String password, Path target)
            throws IOException, GeneralSecurityException {
        char[] pw = password.toCharArray();
        Path tmp = privateFile(run().resolve(target.getFileName() + ".tmp"));
        try (OutputStream out = Files.newOutputStream(tmp, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            pki.writePkcs12(key, root, pw, out);
        } finally {
            Arrays.fill(pw, '\0');
        }
        move(tmp, target);
    }

    /** Puts rebuilt plug-ins in place of the ones still deployed (same name, different bytes). */
    private void refreshPlugins(Path available) {
        try (Stream<Path> s = Files.list(deploy())) {
            for (Path deployed : s.toList()) {
                String n = deployed.getFileName().toString();
                if (!n.endsWith(".jar")) {
                    continue;
                }
                String bsn = n.substring(0, n.length() - 4);
                Optional<Path> fresh = newest(available, bsn);
                if (fresh.isPresent() && !sameBytes(fresh.get(), deployed)) {
                    copyPlugin(fresh.get(), deployed);
                }
            }
        } catch (IOException e) {
            System.err.println("sigillum: cannot refresh plug-ins in " + deploy() + ": " + e.getMessage());
        }
    }

    private static Optional<Path> newest(Path dir, String bsn) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith(bsn + "_") && p.toString().endsWith(".jar"))
                    .max((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static boolean sameBytes(Path a, Path b) {
        try {
            return Files.size(a) == Files.size(b) && Arrays.equals(sha256(a), sha256(b));
        } catch (IOException | GeneralSecurityException e) {
            return false;
        }
    }

    private static byte[] sha256(Path p) throws IOException, GeneralSecurityException {
        return MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p));
    }

    /** Copies via a temporary file outside deploy/, so FileInstall never sees half a jar. */
    private void copyPlugin(Path from, Path to) {
        try {
            Path tmp = run().resolve(to.getFileName() + ".tmp");
            Files.copy(from, tmp, StandardCopyOption.REPLACE_EXISTING);
            move(tmp, to);
        } catch (IOException e) {
            System.err.println("sigillum: cannot deploy " + from.getFileName() + ": " + e.getMessage());
        }
    }

    private void writeIfAbsent(Path file, String text) throws IOException {
        if (!Files.exists(file)) {
            write(file, text);
        }
    }

    /** Written in run/ and moved into place: FileInstall must never read a half-written file. */
    private void write(Path file, String text) throws IOException {
        Path tmp = run().resolve(file.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE);
        move(tmp, file);
    }

    /** Like write, for files holding a secret: readable by the server's user only, from the first byte. */
    private void writePrivate(Path file, String text) throws IOException {
        Path tmp = privateFile(run().resolve(file.getFileName() + ".tmp"));
        Files.writeString(tmp, text, StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
        move(tmp, file);
    }

    private static Path privateFile(Path p) throws IOException {
        Files.deleteIfExists(p);
        return Files.createFile(p, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
