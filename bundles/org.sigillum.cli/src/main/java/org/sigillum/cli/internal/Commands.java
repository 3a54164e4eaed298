package org.sigillum.cli.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.sigillum.api.Content;
import org.sigillum.api.DigestAlgorithm;
import org.sigillum.api.Document;
import org.sigillum.api.DocumentResult;
import org.sigillum.api.Packaging;
import org.sigillum.api.Padding;
import org.sigillum.api.ProfileStatus;
import org.sigillum.api.SignatureCheck;
import org.sigillum.api.SignatureLevel;
import org.sigillum.api.SignedDocument;
import org.sigillum.api.SigningException;
import org.sigillum.api.SigningOverrides;
import org.sigillum.api.SigningRequest;
import org.sigillum.api.SigningService;
import org.sigillum.api.TokenStatus;
import org.sigillum.api.VerificationService;

/** The commands the control socket serves; each answers through its session and returns an exit code. */
final class Commands {

    private final SigningService signing;
    private final VerificationService verification;

    private final boolean oneshot;
    private final List<org.sigillum.api.Channel> channels;

    Commands(SigningService signing, VerificationService verification, List<org.sigillum.api.Channel> channels,
            List<org.sigillum.api.Archive> archives, boolean oneshot) {
        this.signing = signing;
        this.verification = verification;
        this.channels = channels;
        this.archives = archives;
        this.oneshot = oneshot;
    }

    private final List<org.sigillum.api.Archive> archives;

    private static int report(Session s, org.sigillum.api.ArchiveProof proof, String verdict) throws IOException {
        for (String line : proof.lines()) {
            s.out("  " + line);
        }
        s.out(verdict);
        return proof.valid() ? 0 : 1;
    }

    /** archive seal | evidence (RECEIPT|FILE) --out X.ers | verify FILE X.ers [--data SIGNATURE] | verify-chain | renew (--timestamps|--digest D) */
    int archive(Session s, List<String> args) throws IOException {
        if (archives.isEmpty()) {
            s.err("sigillum archive: no archive is installed (deploy org.sigillum.archive)");
            return 1;
        }
        org.sigillum.api.Archive archive = archives.get(0);
        try {
            if (args.size() == 1 && args.get(0).equals("seal")) {
                List<org.sigillum.api.ArchiveSeal> seals = archive.seal();
                if (seals.isEmpty()) {
                    s.out("nothing to seal: the open tree is empty and no tree waits for its time stamp");
                }
                for (org.sigillum.api.ArchiveSeal seal : seals) {
                    s.out("tree " + seal.tree() + " sealed: " + seal.entries() + " entries, root "
                            + java.util.HexFormat.of().formatHex(seal.root()) + ", time stamp " + seal.time() + " from " + seal.authority());
                }
                return 0;
            }
            if (args.size() == 4 && args.get(0).equals("evidence") && args.get(2).equals("--out")) {
                String what = args.get(1);
                Path file = s.path(what);
                String receipt;
                if (Files.isRegularFile(file)) {
                    List<org.sigillum.api.ArchiveReceipt> found = archive.find(org.sigillum.api.Content.of(file));
                    if (found.isEmpty()) {
                        s.err("sigillum archive: " + file + " is not in the archive");
                        return 1;
                    }
                    receipt = found.get(0).id(); // the first entry proves the earliest time
                } else if (what.matches("[0-9]+")) {
                    receipt = what;
                } else {
                    s.err("sigillum archive: " + what + " is neither a file nor a receipt id");
                    return 2;
                }
                byte[] er = archive.evidence(receipt);
                Path out = s.path(args.get(3));
                writeAtomically(org.sigillum.api.Content.of(er), out);
                s.out("evidence record for entry " + receipt + " written to " + out + " (" + er.length + " bytes)");
                return 0;
            }
            if ((args.size() == 3 || args.size() == 5 && args.get(3).equals("--data")) && args.get(0).equals("verify")) {
                Path file = s.path(args.get(1));
                Path ers = s.path(args.get(2));
                Path sig = args.size() == 5 ? s.path(args.get(4)) : null;
                for (Path p : sig == null ? List.of(file, ers) : List.of(file, ers, sig)) {
                    if (!Files.isRegularFile(p)) {
                        s.err("sigillum archive: " + p + " is not a readable file");
                        return 2;
                    }
                }
                org.sigillum.api.ArchiveProof proof = archive.verify(Files.readAllBytes(ers), org.sigillum.api.Content.of(file),
                        sig == null ? null : org.sigillum.api.Content.of(sig));
                return report(s, proof, proof.valid() ? "VALID: " + file.getFileName() + " existed at " + proof.provenTime().orElseThrow()
                        : "INVALID: " + ers.getFileName() + " does not prove " + file.getFileName());
            }
            if (args.size() == 2 && args.get(0).equals("renew") && args.get(1).equals("--timestamps")) {
                for (org.sigillum.api.ArchiveSeal seal : archive.renewTimeStamps()) {
                    s.out("tree " + seal.tree() + " renewed: time stamp " + seal.time() + " from " + seal.authority());
                }
                return 0;
            }
            if (args.size() == 3 && args.get(0).equals("renew") && args.get(1).equals("--digest")) {
                org.sigillum.api.DigestAlgorithm to;
                try {
                    to = org.sigillum.api.DigestAlgorithm.parse(args.get(2));
                } catch (IllegalArgumentException e) {
                    s.err("sigillum archive: " + e.getMessage());
                    return 2;
                }
                org.sigillum.api.ArchiveRenewal r = archive.renewDigest(to);
                for (org.sigillum.api.ArchiveSeal seal : r.seals()) {
                    s.out("tree " + seal.tree() + " sealed: " + seal.entries() + " entries, time stamp " + seal.time() + " from " + seal.authority());
                }
                s.out("hash-tree renewal to " + to.jcaName() + ": " + r.renewed() + " entries have a new chain; new entries use " + to.jcaName());
                for (String why : r.notRenewed()) {
                    s.err("not renewed: " + why);
                }
                if (!r.notRenewed().isEmpty()) {
                    s.err(r.notRenewed().size() + " entries could not be renewed; their records keep the old chain only");
                    return 1;
                }
                return 0;
            }
            if (args.size() == 1 && args.get(0).equals("verify-chain")) {
                org.sigillum.api.ArchiveProof proof = archive.verifyChain();
                return report(s, proof, proof.valid() ? "VALID: the chain of seals holds" + proof.provenTime().map(t -> " from " + t).orElse("")
                        : "INVALID: the chain of seals is broken");
            }
        } catch (SigningException e) {
            s.err("sigillum archive: " + e.reason().label() + ": " + e.getMessage());
            return 1;
        }
        s.err("usage: sigillum archive seal | archive evidence (RECEIPT|FILE) --out X.ers | archive verify FILE X.ers [--data SIGNATURE]"
                + " | archive verify-chain | archive renew --timestamps | archive renew --digest SHA-512");
        return 2;
    }

    int sign(Session s, List<String> args) throws IOException {
        String profile = null;
        Path outDir = null;
        SigningOverrides o = SigningOverrides.none();
        List<Path> files = new ArrayList<>();
        boolean pinFromStdin = false;
        try {
            for (int i = 0; i < args.size(); i++) {
                String a = args.get(i);
                switch (a) {
                    case "--pin-stdin" -> pinFromStdin = true;
                    case "--profile" -> profile = value(args, ++i, a);
                    case "--out" -> outDir = s.path(value(args, ++i, a));
                    case "--level" -> o = o.withLevel(SignatureLevel.parse(value(args, ++i, a)));
                    case "--digest" -> o = o.withDigest(DigestAlgorithm.parse(value(args, ++i, a)));
                    case "--padding" -> o = o.withPadding(Padding.parse(value(args, ++i, a)));
                    case "--packaging" -> o = o.withPackaging(Packaging.parse(value(args, ++i, a)));
                    case "--detached" -> o = o.withPackaging(Packaging.DETACHED);
                    case "--embedded" -> o = o.withPackaging(Packaging.EMBEDDED);
                    case "--token" -> o = o.withToken(value(args, ++i, a));
                    case "--format" -> o = o.withFormat(value(args, ++i, a));
                    case "--option" -> {
                        String kv = value(args, ++i, a);
                        int eq = kv.indexOf('=');
                        if (eq <= 0) {
                            throw new IllegalArgumentException("--option wants KEY=VALUE, not '" + kv + "'");
                        }
                        java.util.Map<String, String> opts = new java.util.HashMap<>(o.options());
                        opts.put(kv.substring(0, eq).trim(), kv.substring(eq + 1));
                        o = o.withOptions(opts);
                    }
                    default -> {
                        if (a.startsWith("--")) {
                            throw new IllegalArgumentException("unknown option " + a);
                        }
                        files.add(s.path(a));
                    }
                }
            }
        } catch (IllegalArgumentException e) {
            s.err("sigillum sign: " + e.getMessage());
            return 2;
        }
        if (profile == null || outDir == null || files.isEmpty()) {
            s.err("usage: sigillum sign --profile NAME --out DIR FILE...");
            return 2;
        }
        List<Document> docs = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (Path f : files) {
            if (!Files.isRegularFile(f) || !Files.isReadable(f)) {
                s.err(f + ": not a readable file");
                return 1;
            }
            String name = f.getFileName().toString();
            if (!names.add(name)) {
                s.err(f + ": another input has the same name " + name + "; their outputs would collide in " + outDir);
                return 2;
            }
            docs.add(new Document(name, Content.of(f)));
        }
        Files.createDirectories(outDir);
        int failed = 0;
        // An individual card's PIN: asked once for the whole command, used for one login per
        // signature and wiped by the service when the batch ends.
        org.sigillum.api.Pin pin = null;
        if (pinFromStdin) {
            char[] chars = s.askSecret("PIN: ").toCharArray();
            pin = org.sigillum.api.Pin.of(chars);
            java.util.Arrays.fill(chars, '\0');
        }
        for (DocumentResult r : signing.signBatch(new SigningRequest(profile, o, "cli", pin), docs)) {
            if (!r.succeeded()) {
                failed++;
                s.err(r.inputName() + ": " + r.failure().reason().label() + ": " + r.failure().getMessage());
                continue;
            }
            SignedDocument d = r.signed();
            Path target = outDir.resolve(d.output().name()).normalize();
            if (!target.startsWith(outDir)) {
                d.output().content().release();
                failed++;
                s.err(r.inputName() + ": output name " + d.output().name() + " escapes " + outDir);
                continue;
            }
            if (isAnInput(target, files)) {
                // A PDF signed in place keeps its name: never let it replace the original.
                d.output().content().release();
                failed++;
                s.err(r.inputName() + ": the output " + target + " would replace an input; choose another --out");
                continue;
            }
            try {
                writeAtomically(d.output().content(), target);
            } catch (IOException e) {
                failed++;
                s.err(r.inputName() + ": cannot write " + target + ": " + e.getMessage());
                continue;
            } finally {
                d.output().content().release();
            }
            s.out("signed " + r.inputName() + " -> " + target + " (" + d.format() + " " + d.level() + ", "
                    + d.signer().getSubjectX500Principal().getName() + ")"
                    + d.receipt().map(rc -> ", archive entry " + rc.id() + " (tree " + rc.tree() + ", leaf " + rc.leaf() + ")").orElse(""));
        }
        return failed == 0 ? 0 : 1;
    }

    private static boolean isAnInput(Path target, List<Path> inputs) {
        for (Path in : inputs) {
            try {
                if (in.toAbsolutePath().normalize().equals(target.toAbsolutePath().normalize())
                        || Files.exists(target) && Files.isSameFile(in, target)) {
                    return true;
                }
            } catch (IOException e) {
                return true;
            }
        }
        return false;
    }

    /** Written under a temporary name, forced to disk, then renamed: a reader never sees half a file. */
    static void writeAtomically(Content content, Path target) throws IOException {
        // A unique hidden name: two writers of the same output never share a temporary file.
        Path tmp = Files.createTempFile(target.getParent(), "." + target.getFileName() + ".", ".sigillum-tmp");
        try {
            try (OutputStream out = Files.newOutputStream(tmp, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
                    var in = content.openStream()) {
                in.transferTo(out);
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    int verify(Session s, List<String> args) throws IOException {
        Path file = null;
        Path data = null;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--data") && i + 1 < args.size()) {
                data = s.path(args.get(++i));
            } else if (!a.startsWith("--") && file == null) {
                file = s.path(a);
            } else {
                s.err("usage: sigillum verify FILE [--data ORIGINAL]");
                return 2;
            }
        }
        if (file == null) {
            s.err("usage: sigillum verify FILE [--data ORIGINAL]");
            return 2;
        }
        for (Path p : data == null ? List.of(file) : List.of(file, data)) {
            if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
                s.err(p + ": not a readable file");
                return 2;
            }
        }
        List<SignatureCheck> checks;
        try {
            checks = verification.verify(new Document(file.getFileName().toString(), Content.of(file)),
                    data == null ? Optional.empty() : Optional.of(Content.of(data)));
        } catch (SigningException e) {
            s.err(file.getFileName() + ": " + e.reason().label() + ": " + e.getMessage());
            return 1;
        }
        boolean allValid = true;
        int n = 0;
        for (SignatureCheck c : checks) {
            n++;
            String signer = c.verdict().signer().map(x -> x.getSubjectX500Principal().getName()).orElse("unknown signer");
            boolean timeStampOnly = !c.verdict().chain().isEmpty() && c.verdict().chain().equals(c.verdict().timeStampChain());
            String level = c.verdict().level().map(SignatureLevel::toString)
                    .orElse(timeStampOnly ? "RFC 3161 time stamp" : "no baseline level");
            if (c.valid()) {
                String note = c.verdict().problem() == null ? "" : "; " + c.verdict().problem();
                s.out("signature " + n + ": valid, " + signer + ", " + level
                        + c.verdict().claimedSigningTime().map(t -> ", signed " + t).orElse("")
                        + c.verdict().timeStampTime().map(t -> ", time-stamped " + t).orElse("") + note);
            } else {
                allValid = false;
                s.out("signature " + n + ": invalid, " + signer + ", " + c.problem());
            }
        }
        return allValid ? 0 : 1;
    }

    /** timestamp FILE --out FILE.tsr [--tsa NAME]: an RFC 3161 response over the file's SHA-256, as openssl ts writes it. */
    int timestamp(Session s, List<String> args) throws IOException {
        Path file = null;
        Path out = null;
        String tsa = null;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--out") && i + 1 < args.size()) {
                out = s.path(args.get(++i));
            } else if (a.equals("--tsa") && i + 1 < args.size()) {
                tsa = args.get(++i);
            } else if (!a.startsWith("--") && file == null) {
                file = s.path(a);
            } else {
                file = null;
                break;
            }
        }
        if (file == null || out == null) {
            s.err("usage: sigillum timestamp FILE --out FILE.tsr [--tsa NAME]");
            return 2;
        }
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            s.err(file + ": not a readable file");
            return 2;
        }
        byte[] digest;
        try (var in = Files.newInputStream(file)) {
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[256 * 1024];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
            digest = md.digest();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try {
            org.sigillum.api.TimeStamp ts = signing.timeStamp(tsa, DigestAlgorithm.SHA256, digest);
            writeAtomically(Content.of(TimeStampReply.granted(ts.encoded())), out);
            s.out("time-stamped " + file.getFileName() + " -> " + out + " (" + ts.authority() + ", " + ts.genTime() + ")");
            return 0;
        } catch (SigningException e) {
            s.err(file.getFileName() + ": " + e.reason().label() + ": " + e.getMessage());
            return 1;
        }
    }

    /** One line per token: id, mode, state, what is left of an activation, measured rate, detail. */
    static String describe(TokenStatus t) {
        boolean active = t.mode() == org.sigillum.api.ActivationMode.MASS && t.state() == org.sigillum.api.TokenState.AVAILABLE;
        return t.id() + "  " + t.mode().name().toLowerCase(java.util.Locale.ROOT) + "  "
                + (active ? "active" : t.state().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' '))
                + t.signaturesLeft().stream().mapToObj(n -> "  " + n + " signatures left").findFirst().orElse("")
                + t.activeUntil().map(u -> "  until " + u + " (" + left(u) + " left)").orElse("")
                + (t.signaturesPerSecond().isPresent() ? String.format(java.util.Locale.ROOT, "  %.1f signatures/s", t.signaturesPerSecond().getAsDouble()) : "")
                + (t.detail().isEmpty() ? "" : "  (" + t.detail() + ")");
    }

    private static String left(java.time.Instant until) {
        long sec = Math.max(0, java.time.Duration.between(java.time.Instant.now(), until).toSeconds());
        return sec >= 3600 ? sec / 3600 + " h " + sec % 3600 / 60 + " min" : sec >= 60 ? sec / 60 + " min" : sec + " s";
    }

    /** token list | token activate ID | token deactivate ID: the PIN comes from the client's terminal (no echo) or standard input. */
    int token(Session s, List<String> args) throws IOException {
        if (args.size() == 1 && args.get(0).equals("list")) {
            for (TokenStatus t : signing.tokens()) {
                s.out(describe(t));
            }
            return 0;
        }
        if (args.size() == 2 && args.get(0).equals("deactivate")) {
            try {
                signing.deactivate(args.get(1));
                s.out("token " + args.get(1) + " deactivated");
                return 0;
            } catch (SigningException e) {
                s.err("token " + args.get(1) + ": " + e.reason().label() + ": " + e.getMessage());
                return 1;
            }
        }
        if (args.size() == 2 && args.get(0).equals("activate")) {
            String id = args.get(1);
            char[] chars = s.askSecret("PIN for token " + id + ": ").toCharArray();
            try (org.sigillum.api.Pin pin = org.sigillum.api.Pin.of(chars)) {
                signing.activate(id, pin);
                s.out("token " + id + " activated");
                if (oneshot) {
                    s.err("note: no server was running on this home, so the activation ended with this command;"
                            + " start one with ./sigillum run and activate there");
                }
                return 0;
            } catch (SigningException e) {
                s.err("token " + id + ": " + e.reason().label() + ": " + e.getMessage());
                return 1;
            } finally {
                java.util.Arrays.fill(chars, '\0');
            }
        }
        s.err("usage: sigillum token list | sigillum token activate ID | sigillum token deactivate ID");
        return 2;
    }

    /**
     * capacity --documents N --hours H [--card-rate R/s]: without a rate, the slowest rate the
     * server's tokens have measured for themselves (a plan must hold for the slowest card).
     */
    int capacity(Session s, List<String> args) throws IOException {
        Long documents = null;
        Double hours = null;
        Double rate = null;
        try {
            for (int i = 0; i < args.size(); i++) {
                String a = args.get(i);
                switch (a) {
                    case "--documents" -> documents = Long.parseLong(value(args, ++i, a).replace("_", "").replace(",", ""));
                    case "--hours" -> hours = Double.parseDouble(value(args, ++i, a));
                    case "--card-rate" -> rate = Capacity.parseRate(value(args, ++i, a));
                    default -> throw new IllegalArgumentException("unknown argument " + a);
                }
            }
            if (documents == null || hours == null) {
                throw new IllegalArgumentException("usage: sigillum capacity --documents N --hours H [--card-rate R/s]");
            }
            String source = "given";
            if (rate == null) {
                TokenStatus slowest = signing.tokens().stream().filter(t -> t.signaturesPerSecond().isPresent())
                        .min(java.util.Comparator.comparingDouble(t -> t.signaturesPerSecond().getAsDouble())).orElse(null);
                if (slowest == null) {
                    s.err("sigillum capacity: no token has measured its rate yet (a card measures itself while it signs);"
                            + " give one with --card-rate R/s");
                    return 2;
                }
                rate = slowest.signaturesPerSecond().getAsDouble();
                source = "measured on token " + slowest.id() + ", the slowest measured";
            }
            for (String line : new Capacity(documents, hours, rate).report(source)) {
                s.out(line);
            }
            return 0;
        } catch (IllegalArgumentException e) {
            s.err("sigillum capacity: " + e.getMessage());
            return 2;
        }
    }

    int status(Session s) throws IOException {
        s.out("profiles:");
        for (ProfileStatus p : signing.profiles()) {
            s.out("  " + p.name() + "  " + p.format() + " " + p.level() + "  tokens " + p.tokens() + "  "
                    + (p.ready() ? "ready" : "NOT READY: " + String.join("; ", p.problems())));
        }
        s.out("tokens:");
        for (TokenStatus t : signing.tokens()) {
            s.out("  " + describe(t));
        }
        List<org.sigillum.api.ChannelStatus> cs = channels.stream().map(org.sigillum.api.Channel::status)
                .sorted(java.util.Comparator.comparing(org.sigillum.api.ChannelStatus::kind)
                        .thenComparing(org.sigillum.api.ChannelStatus::name))
                .toList();
        if (!cs.isEmpty()) {
            s.out("channels:");
        }
        for (org.sigillum.api.ChannelStatus c : cs) {
            s.out("  " + c.kind() + " " + c.name() + "  queued " + c.queuedBatches() + ", running " + c.runningBatches()
                    + ", done " + c.doneBatches() + ", failed " + c.failedBatches() + " batches; " + c.documentsSigned()
                    + " documents signed, " + c.documentsFailed() + " failed"
                    + (c.problem().isEmpty() ? "" : "  PROBLEM: " + c.problem())
                    + (c.waiting().isEmpty() ? "" : "  WAITING: " + c.waiting())
                    + (c.lastError().isEmpty() ? "" : "  last error " + c.lastErrorTime().map(Object::toString).orElse("")
                            + ": " + c.lastError()));
        }
        return 0;
    }

    private static String value(List<String> args, int i, String option) {
        if (i >= args.size()) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args.get(i);
    }
}
