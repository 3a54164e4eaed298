package org.sigillum.core.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;
import org.sigillum.api.Archive;
import org.sigillum.api.ArchiveEntry;
import org.sigillum.api.ArchiveReceipt;
import org.sigillum.api.AuditTrail;
import org.sigillum.api.Content;
import org.sigillum.api.DigestAlgorithm;
import org.sigillum.api.Document;
import org.sigillum.api.DocumentResult;
import org.sigillum.api.FormatOutput;
import org.sigillum.api.FormatSigner;
import org.sigillum.api.FormatVerifier;
import org.sigillum.api.KeyAlgorithm;
import org.sigillum.api.Packaging;
import org.sigillum.api.Pin;
import org.sigillum.api.ProfileStatus;
import org.sigillum.api.Reason;
import org.sigillum.api.RevocationSource;
import org.sigillum.api.SignatureAlgorithm;
import org.sigillum.api.SignatureCheck;
import org.sigillum.api.SignatureContext;
import org.sigillum.api.SignatureCreator;
import org.sigillum.api.SignatureParameters;
import org.sigillum.api.SignatureVerdict;
import org.sigillum.api.SignedDocument;
import org.sigillum.api.SigningException;
import org.sigillum.api.SigningRequest;
import org.sigillum.api.SigningService;
import org.sigillum.api.SigningToken;
import org.sigillum.api.TimeStampSource;
import org.sigillum.api.TokenState;
import org.sigillum.api.TokenStatus;
import org.sigillum.api.VerificationService;

/**
 * The signing pipeline every channel goes through: resolve the profile, pick a token, let the
 * format sign, check the result (integrity and path to a trust anchor), enter it into the archive
 * when one is installed, and write the audit log. Formats, tokens and the optional services come and
 * go through the whiteboard; a request that needs a missing one fails with a retryable reason.
 */
@Component(service = { SigningService.class, VerificationService.class, AuditTrail.class }, configurationPid = "org.sigillum.core")
@Designate(ocd = CoreConfig.class)
public class SigningServiceImpl implements SigningService, VerificationService, AuditTrail {

    private static final System.Logger LOG = System.getLogger(SigningServiceImpl.class.getName());

    private final FormatRegistry<FormatSigner> signers = new FormatRegistry<>();
    private final FormatRegistry<FormatVerifier> verifiers = new FormatRegistry<>();
    private final List<ProfileComponent> profiles = new CopyOnWriteArrayList<>();
    private final Map<String, TimeStampSource> timeStamps = new java.util.concurrent.ConcurrentHashMap<>();
    private final List<RevocationSource> revocation = new CopyOnWriteArrayList<>();
    private final List<Archive> archives = new CopyOnWriteArrayList<>();
    private final TokenPool pool = new TokenPool();
    private final TrustAnchors trust = new TrustAnchors();
    private final Path home;
    private final AuditLog audit;
    private final Path verifyAnchors;

    @Activate
    public SigningServiceImpl(BundleContext context, CoreConfig config) {
        String h = context.getProperty("sigillum.home");
        this.home = Path.of(h == null ? "." : h).toAbsolutePath();
        this.audit = new AuditLog(home.resolve(config.auditLog()));
        this.verifyAnchors = home.resolve(config.trustAnchors());
    }

    @Deactivate
    void deactivate() {
        try {
            audit.close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "audit log could not be closed: " + e.getMessage());
        }
    }

    // --- whiteboard -------------------------------------------------------------------------

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void addSigner(FormatSigner signer, Map<String, Object> props) {
        signers.add(signer, props);
    }

    void removeSigner(FormatSigner signer, Map<String, Object> props) {
        signers.remove(signer, props);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void addVerifier(FormatVerifier verifier, Map<String, Object> props) {
        verifiers.add(verifier, props);
    }

    void removeVerifier(FormatVerifier verifier, Map<String, Object> props) {
        verifiers.remove(verifier, props);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void addToken(SigningToken token) {
        pool.add(token);
    }

    void removeToken(SigningToken token) {
        pool.remove(token);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void addProfile(ProfileComponent profile) {
        profiles.add(profile);
        if (profile.error() != null) {
            LOG.log(System.Logger.Level.WARNING, "profile " + profile.name() + " is broken: " + profile.error());
        }
    }

    void removeProfile(ProfileComponent profile) {
        profiles.remove(profile);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void addTimeStampSource(TimeStampSource source, Map<String, Object> props) {
        timeStamps.put(authorityName(props), source);
    }

    void removeTimeStampSource(TimeStampSource source, Map<String, Object> props) {
        timeStamps.remove(authorityName(props), source);
    }

    /** Profiles list authorities by their service property {@code name}. */
    private static String authorityName(Map<String, Object> props) {
        return String.valueOf(props.getOrDefault("name", props.get("service.pid")));
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void addRevocationSource(RevocationSource source) {
        revocation.add(source);
    }

    void removeRevocationSource(RevocationSource source) {
        revocation.remove(source);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void addArchive(Archive archive) {
        archives.add(archive);
    }

    void removeArchive(Archive archive) {
        archives.remove(archive);
    }

    // --- signing ----------------------------------------------------------------------------

    @Override
    public SignedDocument sign(SigningRequest request, Document document) throws SigningException {
        try {
            return signOne(request, document);
        } finally {
            if (request.pin() != null) {
                request.pin().destroy();
            }
        }
    }

    @Override
    public List<DocumentResult> signBatch(SigningRequest request, List<Document> documents) {
        List<DocumentResult> results = new ArrayList<>(documents.size());
        try {
            SigningException pinRefused = null;
            for (Document d : documents) {
                if (pinRefused != null) {
                    // A refused PIN is never tried again, not even for the next document: a card
                    // counts every wrong try and locks after a few.
                    results.add(DocumentResult.failure(d.name(), new SigningException(pinRefused.reason(),
                            "not tried: the PIN was refused for an earlier document of this request (" + pinRefused.getMessage() + ")")));
                    continue;
                }
                try {
                    results.add(DocumentResult.success(signOne(request, d)));
                } catch (SigningException e) {
                    results.add(DocumentResult.failure(d.name(), e));
                    if (request.pin() != null && (e.reason() == Reason.PIN_INCORRECT || e.reason() == Reason.TOKEN_LOCKED)) {
                        pinRefused = e;
                        request.pin().destroy();
                    }
                } catch (LinkageError e) {
                    // A plug-in's jar taken out mid-batch: this document fails, the batch goes on.
                    results.add(DocumentResult.failure(d.name(), new SigningException(Reason.FORMAT_UNAVAILABLE,
                            "a plug-in went away while signing: " + e.getClass().getSimpleName(), e)));
                }
            }
        } finally {
            if (request.pin() != null) {
                request.pin().destroy();
            }
            try {
                audit.sync();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.ERROR, "audit log cannot be synced: " + e.getMessage());
            }
        }
        return results;
    }

    private SignedDocument signOne(SigningRequest request, Document document) throws SigningException {
        Json entry = new Json().put("time", Instant.now().toString()).put("channel", request.channel())
                .put("profile", request.profile()).put("document", document.name());
        String sha256 = null;
        String tokenId = null;
        try {
            Profile profile = resolve(request);
            if (request.pin() != null && profile.tokens().size() > 1) {
                // A PIN belongs to one card; in a pool it could reach another card and cost it a try.
                throw new SigningException(Reason.BAD_REQUEST, "a PIN belongs to one card, and profile '" + profile.name()
                        + "' pools " + profile.tokens() + "; name the card with --token");
            }
            Prepared prepared = Prepared.of(document, profile.digest());
            document = prepared.document();
            sha256 = prepared.sha256();
            entry.put("sha256", sha256);
            FormatSigner signer = signers.get(profile.format());
            FormatVerifier verifier = verifiers.get(profile.format());
            if (signer == null || verifier == null) {
                throw new SigningException(Reason.FORMAT_UNAVAILABLE, "format '" + profile.format()
                        + "' is not installed (no bundle provides it now)");
            }
            Instant signingTime = Instant.now().truncatedTo(ChronoUnit.SECONDS);
            SignatureParameters params = new SignatureParameters(profile.format(), profile.level(), profile.digest(),
                    profile.padding(), profile.packaging(), signingTime, profile.options());
            // Before the token and the TSA are used: a signature the archive cannot take is thrown away.
            requiredArchive();
            SignedDocument result = null;
            // A token that fails (went away, needs activation, holds an expired certificate) hands
            // the document to the next one of the pool; a refused PIN never goes anywhere else.
            List<String> candidates = new ArrayList<>(profile.tokens());
            while (result == null) {
                try (TokenPool.Lease lease = pool.acquire(profile.name(), candidates)) {
                    SigningToken token = lease.token();
                    tokenId = token.id();
                    entry.put("token", tokenId);
                    List<X509Certificate> chain = token.certificateChain();
                    X509Certificate cert = chain.get(0);
                    entry.put("certificate", cert.getSubjectX500Principal().getName())
                            .put("serial", cert.getSerialNumber().toString(16));
                    checkValidity(cert, signingTime);
                    SignatureAlgorithm algorithm = new SignatureAlgorithm(KeyAlgorithm.of(cert.getPublicKey()),
                            profile.digest(), profile.padding());
                    Creator creator = new Creator(token, chain, algorithm, request.pin());
                    SignatureContext ctx = new SignatureContext(params, creator,
                            Optional.of(new FailoverTimeStamps(profile.name(), profile.tsas(), timeStamps)),
                            revocation.stream().findFirst());
                    FormatOutput out = signer.sign(document, ctx);
                    try {
                        check(profile, verifier, prepared.checkContent(), out, chain, signingTime);
                    } catch (SigningException | RuntimeException e) {
                        out.content().release(); // never handed out
                        throw e;
                    }
                    Optional<ArchiveReceipt> receipt;
                    try {
                        receipt = enterArchive(document, sha256, out);
                    } catch (SigningException | RuntimeException e) {
                        out.content().release(); // never handed out
                        throw e;
                    }
                    result = new SignedDocument(document.name(), out, sha256, cert, tokenId, profile.format(),
                            profile.level(), profile.packaging(), signingTime, receipt);
                    receipt.ifPresent(r -> entry.put("archive", r.id()));
                } catch (SigningException e) {
                    // A request with a PIN never gets here with a second candidate: it is refused above
                    // unless its profile names one card.
                    if (tokenId == null || !handsOver(e) || !candidates.remove(tokenId) || !pool.anyAvailable(candidates)) {
                        throw e;
                    }
                    LOG.log(System.Logger.Level.WARNING, "token " + tokenId + " failed (" + e.reason().label() + ": " + e.getMessage()
                            + "); " + document.name() + " goes to another token");
                    tokenId = null;
                }
            }
            entry.put("output", result.output().name()).put("level", profile.level().toString())
                    .put("outcome", "signed");
            try {
                audit.write(entry);
            } catch (IOException e) {
                // A signature that is not in the audit log is not handed out.
                LOG.log(System.Logger.Level.ERROR, "audit log cannot be written: " + e.getMessage());
                throw new SigningException(Reason.IO_ERROR, "the audit log cannot be written: " + e.getMessage(), e);
            }
            return result;
        } catch (SigningException e) {
            entry.put("outcome", "failed").put("reason", e.reason().label()).put("message", e.getMessage());
            writeAudit(entry);
            throw e;
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "signing " + document.name() + " failed unexpectedly", e);
            SigningException se = new SigningException(Reason.INTERNAL,
                    "unexpected error while signing: " + e.getClass().getSimpleName(), e);
            entry.put("outcome", "failed").put("reason", se.reason().label()).put("message", se.getMessage());
            writeAudit(entry);
            throw se;
        }
    }

    /** Failures of one token that another token of the pool may not have. */
    private static boolean handsOver(SigningException e) {
        return switch (e.reason()) {
            case TOKEN_UNAVAILABLE, TOKEN_NEEDS_ACTIVATION, TOKEN_LOCKED, CERTIFICATE_INVALID -> true;
            default -> false;
        };
    }

    private Profile resolve(SigningRequest request) throws SigningException {
        for (ProfileComponent p : profiles) {
            if (p.name().equals(request.profile())) {
                if (p.profile() == null) {
                    throw new SigningException(Reason.BAD_REQUEST, "profile '" + request.profile()
                            + "' is misconfigured: " + p.error());
                }
                return p.profile().apply(request.overrides());
            }
        }
        throw new SigningException(Reason.PROFILE_UNKNOWN, "no profile named '" + request.profile() + "'");
    }

    private static void checkValidity(X509Certificate cert, Instant at) throws SigningException {
        if (at.isBefore(cert.getNotBefore().toInstant())) {
            throw new SigningException(Reason.CERTIFICATE_INVALID, "the signer certificate "
                    + cert.getSubjectX500Principal().getName() + " is not valid before " + cert.getNotBefore().toInstant());
        }
        if (at.isAfter(cert.getNotAfter().toInstant())) {
            throw new SigningException(Reason.CERTIFICATE_INVALID, "the signer certificate "
                    + cert.getSubjectX500Principal().getName() + " expired on " + cert.getNotAfter().toInstant());
        }
    }

    /** The post-signing check: what we hand out must verify, be ours, and chain to a trust anchor. */
    private void check(Profile profile, FormatVerifier verifier, Content input, FormatOutput out,
            List<X509Certificate> chain, Instant signingTime) throws SigningException {
        Optional<Content> detached = profile.packaging() == Packaging.DETACHED ? Optional.of(input) : Optional.empty();
        List<SignatureVerdict> verdicts;
        try {
            verdicts = verifier.verify(new Document(out.name(), out.content()), detached);
        } catch (SigningException e) {
            throw new SigningException(Reason.VERIFICATION_FAILED, "the new signature cannot be read back: " + e.getMessage(), e);
        }
        if (verdicts.isEmpty()) {
            throw new SigningException(Reason.VERIFICATION_FAILED, "the signed output holds no signature");
        }
        SignatureVerdict ours = verdicts.get(verdicts.size() - 1);
        if (!ours.intact()) {
            throw new SigningException(Reason.VERIFICATION_FAILED, "the new signature does not verify: " + ours.problem());
        }
        if (ours.problem() != null || ours.level().isEmpty() || ours.level().get() != profile.level()) {
            throw new SigningException(Reason.VERIFICATION_FAILED, "the new signature is not " + profile.level()
                    + " as the profile asks (found " + ours.level().map(Object::toString).orElse("no baseline level")
                    + (ours.problem() == null ? "" : ": " + ours.problem()) + ")");
        }
        if (ours.signer().isEmpty() || !ours.signer().get().equals(chain.get(0))) {
            throw new SigningException(Reason.VERIFICATION_FAILED, "the new signature names another signer");
        }
        Path anchors = home.resolve(profile.trustAnchors());
        String problem = trust.check(chain, anchors, signingTime);
        if (problem == null && !ours.timeStampChain().isEmpty()) {
            problem = trust.checkTimeStampAuthority(ours.timeStampChain(), anchors, ours.timeStampTime().orElseThrow());
        }
        if (problem != null) {
            throw new SigningException(Reason.VERIFICATION_FAILED, problem);
        }
    }

    /**
     * Where the archive plug-in is deployed, every document must enter it: a signature handed out
     * without its archive entry would be missing from the evidence for good. So while the plug-in is
     * there but its service is not (starting, or its database failing), signing waits (a retryable
     * failure) instead of going on without it.
     */
    private Archive requiredArchive() throws SigningException {
        if (!archives.isEmpty()) {
            return archives.get(0);
        }
        if (Files.exists(home.resolve("deploy/org.sigillum.archive.jar"))) {
            throw new SigningException(Reason.ARCHIVE_UNAVAILABLE, "the archive is deployed but not running (see the server log); "
                    + "documents wait rather than be signed without their archive entry");
        }
        return null;
    }

    @Override
    public ArchiveReceipt archive(String channel, Document document) throws SigningException {
        Json entry = new Json().put("time", Instant.now().toString()).put("channel", channel).put("document", document.name());
        try {
            Archive archive = requiredArchive();
            if (archive == null) {
                throw new SigningException(Reason.ARCHIVE_UNAVAILABLE, "no archive is installed (deploy org.sigillum.archive)");
            }
            Prepared prepared = Prepared.of(document, DigestAlgorithm.SHA256);
            entry.put("sha256", prepared.sha256());
            ArchiveReceipt receipt = enter(archive, prepared.document(), prepared.sha256(), null);
            entry.put("archive", receipt.id()).put("outcome", "archived");
            try {
                audit.write(entry);
            } catch (IOException e) {
                throw new SigningException(Reason.IO_ERROR, "the audit log cannot be written: " + e.getMessage(), e);
            }
            return receipt;
        } catch (SigningException e) {
            entry.put("outcome", "failed").put("reason", e.reason().label()).put("message", e.getMessage());
            writeAudit(entry);
            throw e;
        }
    }

    /**
     * Enters the document and what the signer keeps (the .p7s, the .p7m, the signed PDF) into the
     * archive, hashed with the archive's digest: the pair an auditor later holds in hand.
     */
    private Optional<ArchiveReceipt> enterArchive(Document document, String sha256, FormatOutput out) throws SigningException {
        Archive archive = requiredArchive();
        return archive == null ? Optional.empty() : Optional.of(enter(archive, document, sha256, out));
    }

    /** One entry, hashed with the archive's digest (the SHA-256 computed already is reused); {@code out} null: archive only. */
    private static ArchiveReceipt enter(Archive archive, Document document, String sha256, FormatOutput out) throws SigningException {
        DigestAlgorithm d = archive.digest();
        try {
            byte[] docHash = d == DigestAlgorithm.SHA256 ? HexFormat.of().parseHex(sha256) : digest(d, document.content());
            return archive.enter(new ArchiveEntry(document.name(), d, docHash, out == null ? null : digest(d, out.content()),
                    document.content(), out == null ? null : out.content()));
        } catch (IOException e) {
            throw new SigningException(Reason.IO_ERROR, "cannot read " + document.name() + " for the archive: " + e.getMessage(), e);
        }
    }

    private static byte[] digest(DigestAlgorithm d, Content content) throws IOException {
        try (java.io.InputStream in = content.openStream()) {
            MessageDigest md = MessageDigest.getInstance(d.jcaName());
            byte[] buf = new byte[65536];
            for (int n; (n = in.read(buf)) > 0;) {
                md.update(buf, 0, n);
            }
            return md.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void refused(String channel, String subject, String reason, String message) {
        writeAudit(new Json().put("time", Instant.now().toString()).put("channel", channel).put("document", subject)
                .put("outcome", "refused").put("reason", reason).put("message", message));
    }

    private void writeAudit(Json entry) {
        try {
            audit.write(entry);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.ERROR, "audit log cannot be written: " + e.getMessage());
        }
    }

    private static byte[] digest(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The token as the format sees it, with this request's PIN (which the token wipes after use). */
    private record Creator(SigningToken token, List<X509Certificate> chain, SignatureAlgorithm algorithm, Pin pin)
            implements SignatureCreator {
        @Override
        public List<X509Certificate> certificateChain() {
            return chain;
        }

        @Override
        public byte[] sign(byte[] data) throws SigningException {
            // An individual token consumes its PIN; a batch hands each signature its own copy.
            Pin once = pin == null ? null : copy(pin);
            return token.sign(data, algorithm, once);
        }

        private static Pin copy(Pin pin) {
            char[] c = pin.chars();
            try {
                return Pin.of(c);
            } finally {
                java.util.Arrays.fill(c, '\0');
            }
        }
    }

    // --- verification -----------------------------------------------------------------------

    @Override
    public List<SignatureCheck> verify(Document signed, Optional<Content> detachedData) throws SigningException {
        FormatVerifier verifier = null;
        for (FormatVerifier v : verifiers.serving()) {
            if (v.accepts(signed)) {
                verifier = v;
                break;
            }
        }
        if (verifier == null) {
            throw new SigningException(Reason.FORMAT_UNAVAILABLE,
                    "no installed format understands " + signed.name() + " (installed: " + verifiers.formats() + ")");
        }
        List<SignatureCheck> checks = new ArrayList<>();
        for (SignatureVerdict v : verifier.verify(signed, detachedData)) {
            if (!v.intact()) {
                checks.add(new SignatureCheck(v, false, null));
                continue;
            }
            // Without a trusted time stamp the claimed signing time proves nothing: check the path now.
            String problem = null;
            Instant at = Instant.now();
            if (v.timeStampTime().isPresent()) {
                problem = trust.checkTimeStampAuthority(v.timeStampChain(), verifyAnchors, v.timeStampTime().get());
                at = v.timeStampTime().get();
            }
            if (problem == null) {
                problem = trust.check(v.chain(), verifyAnchors, at);
            }
            checks.add(new SignatureCheck(v, problem == null, problem));
        }
        return checks;
    }

    // --- status -----------------------------------------------------------------------------

    @Override
    public List<ProfileStatus> profiles() {
        List<ProfileStatus> out = new ArrayList<>();
        // Each token's state once, however many profiles name it.
        Map<String, TokenState> states = new java.util.HashMap<>();
        for (SigningToken t : pool.all()) {
            states.put(t.id(), t.status().state());
        }
        for (ProfileComponent pc : profiles) {
            Profile p = pc.profile();
            if (p == null) {
                out.add(new ProfileStatus(pc.name(), "?", org.sigillum.api.SignatureLevel.B_B, List.of(),
                        List.of("misconfigured: " + pc.error())));
                continue;
            }
            List<String> problems = new ArrayList<>();
            if (signers.get(p.format()) == null) {
                problems.add("format " + p.format() + " unavailable");
            }
            boolean anyToken = p.tokens().stream().map(states::get)
                    .anyMatch(s -> s == TokenState.AVAILABLE || s == TokenState.NEEDS_ACTIVATION);
            if (!anyToken) {
                problems.add("no usable token among " + p.tokens());
            }
            out.add(new ProfileStatus(p.name(), p.format(), p.level(), p.tokens(), problems));
        }
        out.sort(java.util.Comparator.comparing(ProfileStatus::name));
        return out;
    }

    @Override
    public org.sigillum.api.TimeStamp timeStamp(String authority, DigestAlgorithm digest, byte[] messageImprint)
            throws SigningException {
        List<String> order = authority != null ? List.of(authority)
                : timeStamps.containsKey("builtin") ? List.of("builtin") : List.of();
        return new FailoverTimeStamps("(time stamp)", order, timeStamps).timeStamp(digest, messageImprint);
    }

    private SigningToken token(String tokenId) throws SigningException {
        return pool.all().stream().filter(t -> t.id().equals(tokenId)).findFirst()
                .orElseThrow(() -> new SigningException(Reason.TOKEN_UNAVAILABLE, "no token named '" + tokenId + "'"));
    }

    @Override
    public void activate(String tokenId, Pin pin) throws SigningException {
        try {
            SigningToken token = token(tokenId);
            Json entry = new Json().put("time", Instant.now().toString()).put("event", "token activation").put("token", tokenId);
            try {
                token.activate(pin);
                writeAudit(entry.put("outcome", "activated"));
            } catch (SigningException e) {
                writeAudit(entry.put("outcome", "failed").put("reason", e.reason().label()));
                throw e;
            }
        } finally {
            pin.destroy();
        }
    }

    @Override
    public void deactivate(String tokenId) throws SigningException {
        token(tokenId).deactivate();
        writeAudit(new Json().put("time", Instant.now().toString()).put("event", "token deactivation").put("token", tokenId)
                .put("outcome", "deactivated"));
    }

    @Override
    public List<TokenStatus> tokens() {
        return pool.all().stream().map(SigningToken::status)
                .sorted(java.util.Comparator.comparing(TokenStatus::id)).toList();
    }
}
