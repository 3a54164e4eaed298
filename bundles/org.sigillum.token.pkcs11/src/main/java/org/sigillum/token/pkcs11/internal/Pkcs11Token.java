package org.sigillum.token.pkcs11.internal;

import static org.xipki.pkcs11.wrapper.PKCS11Constants.*;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;
import org.sigillum.api.ActivationMode;
import org.sigillum.api.KeyAlgorithm;
import org.sigillum.api.Pin;
import org.sigillum.api.Reason;
import org.sigillum.api.SignatureAlgorithm;
import org.sigillum.api.SigningException;
import org.sigillum.api.SigningToken;
import org.sigillum.api.TokenState;
import org.sigillum.api.TokenStatus;
import org.xipki.pkcs11.wrapper.AttributeVector;
import org.xipki.pkcs11.wrapper.PKCS11Exception;
import org.xipki.pkcs11.wrapper.Session;
import org.xipki.pkcs11.wrapper.Slot;
import org.xipki.pkcs11.wrapper.Token;
import org.xipki.pkcs11.wrapper.TokenException;
import org.xipki.pkcs11.wrapper.TokenInfo;

/**
 * A key on a signature card or HSM. The token is found by label, serial or index each time it
 * (re)appears, never by slot id, which changes when a card is re-inserted. PINs go to the card and
 * nowhere else: a wrong one is reported once with what the card says about tries left and is never
 * tried again, and no PIN is kept except, in mass mode, for a key that demands a login before every
 * signature (CKA_ALWAYS_AUTHENTICATE), for as long as the activation lasts.
 */
@Component(service = SigningToken.class, configurationPid = Pkcs11Token.PID, configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = Pkcs11TokenConfig.class, factory = true)
public class Pkcs11Token implements SigningToken {
    static final String PID = "org.sigillum.token.pkcs11";

    private static final System.Logger LOG = System.getLogger(Pkcs11Token.class.getName());

    private final String id;
    private final ActivationMode mode;
    private final String tokenLabel;
    private final String tokenSerial;
    private final int slotIndex;
    private final String keyLabel;
    private final byte[] keyId;
    private final X509Certificate configuredCertificate;
    private final List<X509Certificate> extraIssuers;
    private final long maxSignatures;
    private final Duration maxDuration;
    private final int sessions;
    private final Duration timeout;
    private final Grant grant;
    private final Modules modules;
    private final Module module;
    /** The token's own watcher: a library that hangs holds up only its own tokens. */
    private final ScheduledExecutorService watcher;
    /** Configured PIN for unattended activation, or null. */
    private final char[] unattendedPin;
    /** Set when the configured PIN was refused: it is never sent again (the card would lock). */
    private volatile boolean unattendedRefused;
    private final String configProblem;

    /** The token as found, or null while it is missing. */
    private volatile Connection conn;
    private volatile String problem = "not looked for yet";
    private volatile TokenState problemState = TokenState.MISSING;
    private volatile long flags;
    /** Mass mode: logged in by an activation. */
    private volatile boolean loggedIn;
    /** The card's login epoch when this activation logged in; another epoch means it ended. */
    private volatile long loginEpoch;
    /** Mass mode with an always-authenticate key: the activation's PIN, wiped when it ends. */
    private char[] contextPin;
    private final Object activation = new Object();
    /** Average nanoseconds the card takes for one signature (exponentially weighted). */
    private final AtomicLong averageNanos = new AtomicLong();

    /** One appearance of the token: its sessions, key and certificates. */
    private static final class Connection {
        final long generation;
        final Module.Card card;
        /** One thread per session; a new connection gets new threads, so a stuck call stays behind. */
        final ExecutorService workers;
        final Token token;
        final String label;
        final String serial;
        final List<X509Certificate> chain;
        final KeyAlgorithm keyAlgorithm;
        final byte[] keyId;
        final String keyLabel;
        final BlockingQueue<Session> sessions;
        volatile long keyHandle = -1;
        volatile boolean alwaysAuthenticate;
        volatile boolean gone;

        Connection(long generation, Module.Card card, String id, Token token, String label, String serial,
                List<X509Certificate> chain, byte[] keyId, String keyLabel, int sessionCount) {
            this.generation = generation;
            this.card = card;
            this.workers = Executors.newFixedThreadPool(sessionCount, r -> {
                Thread t = new Thread(r, "sigillum-pkcs11-" + id);
                t.setDaemon(true);
                return t;
            });
            this.token = token;
            this.label = label;
            this.serial = serial;
            this.chain = chain;
            this.keyAlgorithm = KeyAlgorithm.of(chain.get(0).getPublicKey());
            this.keyId = keyId;
            this.keyLabel = keyLabel;
            this.sessions = new ArrayBlockingQueue<>(sessionCount);
        }
    }

    @Activate
    public Pkcs11Token(BundleContext context, Pkcs11TokenConfig config, Map<String, Object> properties, @Reference Modules modules) {
        String home = context.getProperty("sigillum.home");
        Path base = Path.of(home == null ? "." : home);
        this.id = config.id();
        this.modules = modules;
        String problemText = null;
        this.mode = switch (config.mode().trim().toLowerCase(Locale.ROOT)) {
            case "individual" -> ActivationMode.INDIVIDUAL;
            case "mass", "" -> ActivationMode.MASS;
            default -> {
                problemText = "mode must be 'mass' or 'individual', not '" + config.mode() + "'";
                yield ActivationMode.MASS;
            }
        };
        this.tokenLabel = blankToNull(config.tokenLabel());
        this.tokenSerial = blankToNull(config.tokenSerial());
        this.slotIndex = config.slotIndex();
        this.keyLabel = blankToNull(config.keyLabel());
        byte[] kid = null;
        X509Certificate cert = null;
        List<X509Certificate> issuers = List.of();
        Duration duration = null;
        try {
            kid = blankToNull(config.keyId()) == null ? null : HexFormat.of().parseHex(config.keyId().trim().replace(":", ""));
            cert = blankToNull(config.certificate()) == null ? null : readPem(base.resolve(config.certificate())).get(0);
            issuers = blankToNull(config.chain()) == null ? List.of() : readPem(base.resolve(config.chain()));
            duration = parseDuration(config.maxDuration());
        } catch (IllegalArgumentException | IOException | GeneralSecurityException e) {
            problemText = e.getMessage();
        }
        if (tokenLabel == null && tokenSerial == null && slotIndex < 0) {
            problemText = "configure tokenLabel, tokenSerial or slotIndex";
        }
        if (config.library() == null || config.library().isBlank()) {
            problemText = "configure library, the path of the PKCS#11 library";
        }
        this.keyId = kid;
        this.configuredCertificate = cert;
        this.extraIssuers = issuers;
        this.maxSignatures = Math.max(0, config.maxSignatures());
        this.maxDuration = duration;
        this.sessions = Math.max(1, config.sessions());
        this.timeout = Duration.ofSeconds(Math.max(1, config.timeoutSeconds()));
        String pin = config._pin();
        this.unattendedPin = mode == ActivationMode.MASS && pin != null && !pin.isEmpty() ? pin.toCharArray() : null;
        Grant g;
        try {
            g = Grant.load(base.resolve("state/tokens").resolve(safeName(id) + ".properties"));
        } catch (IOException e) {
            problemText = e.getMessage();
            g = null;
        }
        this.grant = g;
        this.configProblem = problemText;
        this.watcher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sigillum-pkcs11-watch-" + id);
            t.setDaemon(true);
            return t;
        });
        if (configProblem != null) {
            problem = configProblem;
            problemState = TokenState.FAILED;
            LOG.log(System.Logger.Level.WARNING, "token " + id + ": " + configProblem);
            this.module = null;
            return;
        }
        this.module = modules.module(config.library().trim(), this);
        // Looked for at once, so that a command right after start finds the token, but on the
        // watcher's thread and for a bounded time: a library that hangs must not hang the framework.
        try {
            watcher.submit(this::check).get(Math.max(5, timeout.toSeconds()), TimeUnit.SECONDS);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            LOG.log(System.Logger.Level.WARNING, "token " + id + ": the library did not answer at start; still looking");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        long period = Math.max(1, config.checkSeconds());
        watcher.scheduleWithFixedDelay(this::check, period, period, TimeUnit.SECONDS);
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    private static String safeName(String s) {
        return s.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    static Duration parseDuration(String text) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        if (t.isEmpty() || t.equals("0")) {
            return null;
        }
        try {
            if (t.startsWith("p")) {
                return Duration.parse(t.toUpperCase(Locale.ROOT));
            }
            long n = Long.parseLong(t.substring(0, t.length() - 1).trim());
            return switch (t.charAt(t.length() - 1)) {
                case 's' -> Duration.ofSeconds(n);
                case 'm' -> Duration.ofMinutes(n);
                case 'h' -> Duration.ofHours(n);
                case 'd' -> Duration.ofDays(n);
                default -> throw new IllegalArgumentException();
            };
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("maxDuration '" + text + "' is not a duration (say 30m, 8h, 1d or PT8H)");
        }
    }

    private static List<X509Certificate> readPem(Path file) throws IOException, GeneralSecurityException {
        try (InputStream in = Files.newInputStream(file)) {
            List<X509Certificate> out = new ArrayList<>();
            for (var c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                out.add((X509Certificate) c);
            }
            if (out.isEmpty()) {
                throw new IOException(file + " holds no certificate");
            }
            return out;
        }
    }

    @Deactivate
    void stop() {
        // The watcher first, so that no check re-opens what is being closed.
        watcher.shutdownNow();
        awaitQuietly(watcher);
        Connection c;
        synchronized (activation) {
            if (grant != null) {
                try {
                    grant.flush(rate());
                } catch (IOException e) {
                    LOG.log(System.Logger.Level.WARNING, "token " + id + ": state not saved: " + e.getMessage());
                }
            }
            wipeContextPin();
            loggedIn = false;
            c = conn;
            conn = null;
        }
        if (c != null) {
            c.gone = true;
            c.workers.shutdownNow();
            awaitQuietly(c.workers);
            closeSessions(c);
        }
        if (unattendedPin != null) {
            Arrays.fill(unattendedPin, '\0');
        }
        if (module != null) {
            modules.release(module, this);
        }
    }

    private static void awaitQuietly(ExecutorService e) {
        try {
            e.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String id() {
        return id;
    }

    /** Holds a login that a re-initialisation of the library would end. */
    boolean holdsLogin() {
        Connection c = conn;
        return loggedIn || c != null && c.card.login.isLocked();
    }

    /** Activated on this card now (its login is shared with the other keys on the card). */
    boolean activeOn(Module.Card card) {
        Connection c = conn;
        return loggedIn && c != null && c.card == card && card.epoch == loginEpoch;
    }

    // --- finding the token -------------------------------------------------------------------

    /** Presence, PIN flags and the time limit, every few seconds; looks for a missing token. */
    private void check() {
        try {
            Connection c = conn;
            if (c != null) {
                if (c.gone || module.generation() != c.generation) {
                    lose(c, c.gone ? problem : "the library was re-initialised", TokenState.MISSING);
                } else {
                    module.enter();
                    try {
                        flags = c.token.getTokenInfo().getFlags();
                    } catch (PKCS11Exception e) {
                        if (isGone(e.getErrorCode())) {
                            lose(c, "the token went away (" + e.getErrorName() + ")", TokenState.MISSING);
                        }
                    } finally {
                        module.exit();
                    }
                    if (loggedIn && grant.exhausted(Instant.now()) != null) {
                        endActivation("the activation is over: " + grant.exhausted(Instant.now()));
                    }
                    return;
                }
            }
            if (!connect() && module.rescan(this)) {
                connect();
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "token " + id + ": check failed: " + e);
        }
    }

    /** Looks for the token; true when found and ready. */
    private boolean connect() {
        Connection c;
        module.enter();
        try {
            c = find();
        } finally {
            module.exit();
        }
        if (c == null) {
            return false;
        }
        conn = c;
        problem = "";
        LOG.log(System.Logger.Level.INFO, "token " + id + ": found '" + c.label + "' (serial " + c.serial + "), key for "
                + c.chain.get(0).getSubjectX500Principal().getName());
        if (unattendedPin != null && !unattendedRefused) {
            try (Pin p = Pin.of(unattendedPin)) {
                activate(p);
            } catch (SigningException e) {
                if (e.reason() == Reason.PIN_INCORRECT || e.reason() == Reason.TOKEN_LOCKED || e.reason() == Reason.PIN_REQUIRED) {
                    // Never again with the same PIN: a card counts every wrong try.
                    unattendedRefused = true;
                }
                LOG.log(System.Logger.Level.WARNING, "token " + id + ": unattended activation failed: " + e.getMessage()
                        + (unattendedRefused ? "; the configured PIN is not used again until the configuration changes" : ""));
            }
        }
        return true;
    }

    private Connection find() {
        Module.Handle h;
        List<Slot> slots;
        try {
            h = module.handle();
            slots = List.of(h.module().getSlotList(true));
        } catch (IOException | PKCS11Exception e) {
            missing(TokenState.FAILED, "the PKCS#11 library " + module.library + " cannot be used: " + describe(e));
            return null;
        }
        Token token = null;
        TokenInfo info = null;
        int index = 0;
        for (Slot slot : slots) {
            try {
                Token t = slot.getToken();
                TokenInfo ti = t.getTokenInfo();
                boolean match = (tokenLabel == null || tokenLabel.equals(ti.getLabel().trim()))
                        && (tokenSerial == null || tokenSerial.equalsIgnoreCase(ti.getSerialNumber().trim()))
                        && (slotIndex < 0 || slotIndex == index);
                index++;
                if (match) {
                    if (token != null) {
                        missing(TokenState.FAILED, "two tokens match " + selection() + "; select by serial");
                        return null;
                    }
                    token = t;
                    info = ti;
                }
            } catch (PKCS11Exception e) {
                index++; // a slot whose token is half gone: skip it
            }
        }
        if (token == null) {
            missing(TokenState.MISSING, "no token with " + selection() + " in " + module.library);
            return null;
        }
        Connection c = null;
        Session s = null;
        try {
            s = token.openSession(false);
            c = describeKey(h.generation(), token, info, s);
            c.sessions.add(s);
            s = null;
            for (int i = 1; i < sessions; i++) {
                c.sessions.add(token.openSession(false));
            }
            flags = info.getFlags();
            return c;
        } catch (PKCS11Exception e) {
            missing(TokenState.MISSING, "the token with " + selection() + " cannot be opened: " + describe(e));
        } catch (SigningException e) {
            missing(TokenState.FAILED, e.getMessage());
        }
        closeQuietly(s);
        if (c != null) {
            c.workers.shutdownNow();
            closeSessions(c);
        }
        return null;
    }

    private String selection() {
        List<String> parts = new ArrayList<>();
        if (tokenLabel != null) {
            parts.add("label '" + tokenLabel + "'");
        }
        if (tokenSerial != null) {
            parts.add("serial " + tokenSerial);
        }
        if (slotIndex >= 0) {
            parts.add("index " + slotIndex);
        }
        return String.join(" and ", parts);
    }

    /** Finds the signer's certificate (public objects: no login needed) and, through it, the key's id. */
    private Connection describeKey(long generation, Token token, TokenInfo info, Session s) throws PKCS11Exception, SigningException {
        record Cert(X509Certificate cert, byte[] id, String label) {
        }
        List<Cert> certs = new ArrayList<>();
        for (long h : s.findAllObjectsSingle(AttributeVector.newX509Certificate())) {
            AttributeVector a = s.getAttrValues(h, CKA_VALUE, CKA_ID, CKA_LABEL);
            try {
                X509Certificate x = (X509Certificate) CertificateFactory.getInstance("X.509")
                        .generateCertificate(new ByteArrayInputStream(a.value()));
                certs.add(new Cert(x, a.id() == null ? new byte[0] : a.id(), a.label() == null ? "" : a.label()));
            } catch (GeneralSecurityException e) {
                // An unreadable certificate object is not ours to judge; it cannot be the signer's.
            }
        }
        Cert signer = null;
        for (Cert c : certs) {
            boolean match = configuredCertificate != null ? c.cert().equals(configuredCertificate)
                    : keyId != null ? Arrays.equals(keyId, c.id())
                    : keyLabel != null ? keyLabel.equals(c.label())
                    : certs.size() == 1;
            if (match) {
                signer = c;
                break;
            }
        }
        X509Certificate signerCert = signer != null ? signer.cert() : configuredCertificate;
        if (signerCert == null) {
            List<String> labels = certs.stream().map(c -> "'" + c.label() + "' (id " + HexFormat.of().formatHex(c.id()) + ")").toList();
            throw new SigningException(Reason.TOKEN_UNAVAILABLE, keyId == null && keyLabel == null
                    ? "the token holds " + certs.size() + " certificates " + labels + "; configure keyLabel or keyId"
                    : "the token has no certificate for key " + (keyId != null ? "id " + HexFormat.of().formatHex(keyId) : "'" + keyLabel + "'")
                            + " (it holds " + labels + "); configure the certificate file instead");
        }
        byte[] kid = keyId != null ? keyId : signer != null && signer.id().length > 0 ? signer.id() : null;
        String klabel = kid == null ? (keyLabel != null ? keyLabel : signer != null ? signer.label() : null) : null;
        List<X509Certificate> pool = new ArrayList<>();
        certs.forEach(c -> pool.add(c.cert()));
        pool.addAll(extraIssuers);
        String serial = info.getSerialNumber().trim();
        return new Connection(generation, module.card(serial), id, token, info.getLabel().trim(), serial, chain(signerCert, pool),
                kid, klabel, sessions);
    }

    /** The signer's certificate, then issuers as far as the token and the chain file know them. */
    private static List<X509Certificate> chain(X509Certificate signer, List<X509Certificate> pool) {
        List<X509Certificate> chain = new ArrayList<>(List.of(signer));
        X509Certificate last = signer;
        while (chain.size() < 10 && !last.getIssuerX500Principal().equals(last.getSubjectX500Principal())) {
            X509Certificate next = null;
            for (X509Certificate c : pool) {
                if (c.getSubjectX500Principal().equals(last.getIssuerX500Principal()) && !chain.contains(c)) {
                    try {
                        last.verify(c.getPublicKey());
                        next = c;
                        break;
                    } catch (GeneralSecurityException e) {
                        // same name, other key: keep looking
                    }
                }
            }
            if (next == null) {
                break;
            }
            chain.add(next);
            last = next;
        }
        return List.copyOf(chain);
    }

    private void missing(TokenState state, String why) {
        if (!why.equals(problem)) {
            LOG.log(System.Logger.Level.WARNING, "token " + id + ": " + why);
        }
        problem = why;
        problemState = state;
    }

    /** The token went away or became unusable: requests fail at once, and the watcher looks for it. */
    private void lose(Connection c, String why, TokenState state) {
        synchronized (activation) {
            c.gone = true;
            if (conn == c) {
                conn = null;
                if (loggedIn) {
                    // The grant stays: activating the card when it is back continues it.
                    LOG.log(System.Logger.Level.WARNING, "token " + id + ": activation lost: " + why);
                }
                loggedIn = false;
                wipeContextPin();
            }
            missing(state, why);
        }
        // Its threads may be stuck in the driver: they stay behind, and closing the sessions runs
        // on a thread of its own for the same reason.
        c.workers.shutdownNow();
        Thread closer = new Thread(() -> closeSessions(c), "sigillum-pkcs11-close-" + id);
        closer.setDaemon(true);
        closer.start();
    }

    private static void closeSessions(Connection c) {
        Session s;
        while ((s = c.sessions.poll()) != null) {
            closeQuietly(s);
        }
    }

    private static void closeQuietly(Session s) {
        if (s != null) {
            try {
                s.closeSession();
            } catch (PKCS11Exception | RuntimeException e) {
                // already gone with its token
            }
        }
    }

    // --- status ----------------------------------------------------------------------------

    @Override
    public TokenStatus status() {
        Connection c = conn;
        OptionalDouble rate = grant == null ? OptionalDouble.empty() : measuredRate();
        if (c == null) {
            return new TokenStatus(id, mode, problemState, OptionalLong.empty(), Optional.empty(), problem, rate);
        }
        long f = flags;
        if ((f & CKF_USER_PIN_LOCKED) != 0) {
            return new TokenStatus(id, mode, TokenState.LOCKED, OptionalLong.empty(), Optional.empty(),
                    "the user PIN is locked after wrong PINs; unlock it with the PUK or SO PIN", rate);
        }
        String pinNote = pinFlags(f);
        if (mode == ActivationMode.INDIVIDUAL) {
            return new TokenStatus(id, mode, TokenState.AVAILABLE, OptionalLong.empty(), Optional.empty(),
                    join("the PIN comes with each request", pinNote), rate);
        }
        Instant now = Instant.now();
        if (loggedIn && grant.exhausted(now) == null) {
            return new TokenStatus(id, mode, TokenState.AVAILABLE, grant.left(), grant.until(), pinNote, rate);
        }
        String detail = grant.open() && grant.exhausted(now) == null
                ? "an activation was interrupted" + grant.left().stream().mapToObj(n -> " with " + n + " signatures left").findFirst().orElse("")
                        + grant.until().map(u -> " until " + u).orElse("") + "; activating continues it"
                : "activate with the PIN";
        return new TokenStatus(id, mode, TokenState.NEEDS_ACTIVATION, OptionalLong.empty(), Optional.empty(), join(detail, pinNote), rate);
    }

    private static String join(String a, String b) {
        return b.isEmpty() ? a : a + "; " + b;
    }

    /** What the card says about PIN tries, for people. */
    static String pinFlags(long f) {
        if ((f & CKF_USER_PIN_LOCKED) != 0) {
            return "the PIN is now locked";
        }
        if ((f & CKF_USER_PIN_FINAL_TRY) != 0) {
            return "one PIN try is left before the card locks";
        }
        if ((f & CKF_USER_PIN_COUNT_LOW) != 0) {
            return "the card reports that a wrong PIN was entered and few tries are left";
        }
        return "";
    }

    private OptionalDouble measuredRate() {
        double r = rate();
        return r > 0 ? OptionalDouble.of(r) : grant.rate();
    }

    /** Signatures per second the card itself manages, from its own signing time. */
    private double rate() {
        long avg = averageNanos.get();
        return avg <= 0 ? 0 : sessions * 1e9 / avg;
    }

    private void measured(long nanos) {
        averageNanos.updateAndGet(a -> a == 0 ? nanos : (long) (a * 0.9 + nanos * 0.1));
    }

    // --- activation ------------------------------------------------------------------------

    @Override
    public void activate(Pin pin) throws SigningException {
        try {
            if (mode == ActivationMode.INDIVIDUAL) {
                throw new SigningException(Reason.BAD_REQUEST, "token " + id + " is an individual card: its PIN comes with each request, it is never activated");
            }
            char[] p = pin.chars();
            try {
                if (p.length == 0) {
                    throw new SigningException(Reason.PIN_REQUIRED, "an empty PIN for token " + id + " was not sent to the card (PIN required)");
                }
                synchronized (activation) {
                    Connection c = connection();
                    long epoch = bounded(c, false, (s, mine) -> {
                        refuseIfLocked(c);
                        lockCard(c);
                        try {
                            // A card logged in already (another key on it) has not checked this PIN:
                            // log out and let it check, once.
                            if (!login(c, s, CKU_USER, mine, true)) {
                                long before = c.card.epoch;
                                logoutCard(c, s);
                                login(c, s, CKU_USER, mine, false);
                                // Logged in again with a PIN the card checked: the other keys'
                                // activations stand (their key handles are fetched again).
                                c.card.epoch = before;
                            }
                            try {
                                findKey(c, s);
                            } catch (SigningException | PKCS11Exception e) {
                                logoutCard(c, s);
                                throw e;
                            }
                            return c.card.epoch;
                        } finally {
                            c.card.login.unlock();
                        }
                    }, p);
                    boolean fresh;
                    try {
                        fresh = grant.startOrContinue(maxSignatures, maxDuration, Instant.now());
                    } catch (IOException e) {
                        throw new SigningException(Reason.IO_ERROR, "token " + id + ": the activation cannot be recorded: " + e.getMessage(), e);
                    }
                    loggedIn = true;
                    loginEpoch = epoch;
                    wipeContextPin();
                    if (c.alwaysAuthenticate) {
                        contextPin = p.clone();
                    }
                    LOG.log(System.Logger.Level.INFO, "token " + id + " activated" + (fresh ? "" : ", continuing the interrupted activation")
                            + grant.left().stream().mapToObj(n -> ": " + n + " signatures left").findFirst().orElse("")
                            + grant.until().map(u -> ", until " + u).orElse(""));
                }
            } finally {
                Arrays.fill(p, '\0');
            }
        } finally {
            pin.destroy();
        }
    }

    @Override
    public void deactivate() {
        if (mode == ActivationMode.MASS) {
            endActivation("deactivated by the operator");
        }
    }

    /** The activation is over for good (limit, time, operator): the next one starts afresh. */
    private void endActivation(String why) {
        synchronized (activation) {
            try {
                grant.end();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "token " + id + ": state not saved: " + e.getMessage());
            }
            logOut(why);
        }
    }

    /** Ends this key's login (the card's too, unless another key on it is active); the grant stays. */
    private void logOut(String why) {
        synchronized (activation) {
            if (!loggedIn) {
                return;
            }
            loggedIn = false;
            wipeContextPin();
            Connection c = conn;
            if (c != null && module.othersActiveOn(c.card, this) == 0) {
                try {
                    bounded(c, false, (s, mine) -> {
                        lockCard(c);
                        try {
                            logoutCard(c, s);
                        } finally {
                            c.card.login.unlock();
                        }
                        return null;
                    }, null);
                } catch (SigningException e) {
                    LOG.log(System.Logger.Level.DEBUG, "token " + id + ": logout: " + e.getMessage());
                }
            }
            LOG.log(System.Logger.Level.INFO, "token " + id + ": " + why + "; it needs activation");
        }
    }

    private void wipeContextPin() {
        if (contextPin != null) {
            Arrays.fill(contextPin, '\0');
            contextPin = null;
        }
    }

    /** Card logins are one at a time; a request whose caller gave up never reaches the card. */
    private static void lockCard(Connection c) throws SigningException {
        try {
            c.card.login.lockInterruptibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SigningException(Reason.TOKEN_UNAVAILABLE, "cancelled while waiting for the card");
        }
    }

    private static void logoutCard(Connection c, Session s) throws PKCS11Exception {
        try {
            s.logout();
        } catch (PKCS11Exception e) {
            if (e.getErrorCode() != CKR_USER_NOT_LOGGED_IN) {
                throw e;
            }
        } finally {
            c.card.epoch++;
        }
    }

    private void refuseIfLocked(Connection c) throws PKCS11Exception, SigningException {
        flags = c.token.getTokenInfo().getFlags();
        if ((flags & CKF_USER_PIN_LOCKED) != 0) {
            throw new SigningException(Reason.TOKEN_LOCKED, "token " + id + " is locked (too many wrong PINs); the PIN was not sent."
                    + " Unlock it with the PUK or SO PIN");
        }
    }

    /**
     * One login; a wrong PIN is reported with what the card says and never tried again. Returns
     * false when the card was logged in already and so did not check the PIN (only if allowed).
     */
    private boolean login(Connection c, Session s, long userType, char[] pin, boolean alreadyAllowed) throws PKCS11Exception, SigningException {
        if (Thread.currentThread().isInterrupted()) {
            throw new SigningException(Reason.TOKEN_UNAVAILABLE, "cancelled before the PIN was sent");
        }
        try {
            s.login(userType, pin);
            return true;
        } catch (PKCS11Exception e) {
            long code = e.getErrorCode();
            if (code == CKR_USER_ALREADY_LOGGED_IN && alreadyAllowed) {
                return false;
            }
            if (code == CKR_USER_ALREADY_LOGGED_IN) {
                throw new SigningException(Reason.BAD_REQUEST, "token " + id + "'s card is logged in by a mass-signature key on it,"
                        + " so it cannot check an individual PIN; the PIN was not used");
            }
            if (code == CKR_PIN_INCORRECT || code == CKR_PIN_INVALID || code == CKR_PIN_LEN_RANGE) {
                if (userType == CKU_USER) {
                    c.card.epoch++; // a failed login leaves the card logged out
                }
                long f = flagsNow(c);
                String tries = pinFlags(f);
                throw new SigningException((f & CKF_USER_PIN_LOCKED) != 0 ? Reason.TOKEN_LOCKED : Reason.PIN_INCORRECT,
                        "the PIN for token " + id + " is wrong (" + e.getErrorName() + "); it is not tried again"
                                + (tries.isEmpty() ? "" : "; " + tries));
            }
            if (code == CKR_PIN_LOCKED) {
                flags = flagsNow(c) | CKF_USER_PIN_LOCKED;
                throw new SigningException(Reason.TOKEN_LOCKED, "token " + id + " is locked (too many wrong PINs); unlock it with the PUK or SO PIN");
            }
            if (code == CKR_PIN_EXPIRED) {
                throw new SigningException(Reason.PIN_INCORRECT, "the PIN of token " + id + " has expired; change it with the card's tools");
            }
            throw e;
        }
    }

    private long flagsNow(Connection c) {
        try {
            flags = c.token.getTokenInfo().getFlags();
        } catch (PKCS11Exception e) {
            // keep the last known flags
        }
        return flags;
    }

    /** The private key's handle (a private object: only visible after a login). */
    private long findKey(Connection c, Session s) throws PKCS11Exception, SigningException {
        AttributeVector template = AttributeVector.newPrivateKey();
        if (c.keyId != null) {
            template.id(c.keyId);
        } else if (c.keyLabel != null) {
            template.label(c.keyLabel);
        }
        long[] keys = s.findObjectsSingle(template, 2);
        if (keys.length != 1) {
            throw new SigningException(Reason.TOKEN_UNAVAILABLE, "token " + id + (keys.length == 0 ? " has no private key " : " has several private keys ")
                    + (c.keyId != null ? "with id " + HexFormat.of().formatHex(c.keyId) : "labelled '" + c.keyLabel + "'")
                    + (keys.length == 0 ? " (after login)" : "; configure keyId"));
        }
        Boolean aa = s.getAttrValues(keys[0], CKA_ALWAYS_AUTHENTICATE).alwaysAuthenticate();
        c.alwaysAuthenticate = Boolean.TRUE.equals(aa);
        c.keyHandle = keys[0];
        return keys[0];
    }

    // --- signing ---------------------------------------------------------------------------

    @Override
    public List<X509Certificate> certificateChain() throws SigningException {
        return connection().chain;
    }

    private Connection connection() throws SigningException {
        Connection c = conn;
        if (c == null) {
            throw new SigningException(Reason.TOKEN_UNAVAILABLE,
                    "token " + id + " is not available: " + problem);
        }
        return c;
    }

    @Override
    public byte[] sign(byte[] data, SignatureAlgorithm algorithm, Pin pin) throws SigningException {
        try {
            byte[] hash = MessageDigest.getInstance(algorithm.digest().jcaName()).digest(data);
            return signDigest(hash, algorithm, pin);
        } catch (java.security.NoSuchAlgorithmException e) {
            if (pin != null) {
                pin.destroy();
            }
            throw new SigningException(Reason.INTERNAL, "no " + algorithm.digest() + " in this Java", e);
        }
    }

    @Override
    public byte[] signDigest(byte[] digest, SignatureAlgorithm algorithm, Pin pin) throws SigningException {
        char[] p = null;
        try {
            if (pin != null && !pin.isDestroyed()) {
                p = pin.chars();
            }
            if (pin != null) {
                pin.destroy();
            }
            Connection c = connection();
            if (c.keyAlgorithm != algorithm.key()) {
                throw new SigningException(Reason.BAD_REQUEST, "token " + id + " holds an " + c.keyAlgorithm + " key, not " + algorithm.key());
            }
            if (digest.length != algorithm.digest().length()) {
                throw new SigningException(Reason.BAD_REQUEST, "digest length " + digest.length + " does not fit " + algorithm.digest());
            }
            Mechanisms.Operation op = Mechanisms.of(algorithm, digest);
            byte[] raw = mode == ActivationMode.INDIVIDUAL ? signIndividually(c, op, p) : signActivated(c, op);
            return algorithm.key() == KeyAlgorithm.EC ? Mechanisms.ecdsaToDer(raw) : raw;
        } finally {
            if (p != null) {
                Arrays.fill(p, '\0');
            }
        }
    }

    private byte[] signActivated(Connection c, Mechanisms.Operation op) throws SigningException {
        char[] ctx;
        synchronized (activation) {
            if (!loggedIn) {
                throw new SigningException(Reason.TOKEN_NEEDS_ACTIVATION, "token " + id + " needs activation");
            }
            if (c.card.epoch != loginEpoch) {
                loggedIn = false;
                wipeContextPin();
                throw new SigningException(Reason.TOKEN_NEEDS_ACTIVATION, "token " + id + " needs activation: the card's login ended"
                        + " (another key on it was deactivated or given a wrong PIN)");
            }
            String over;
            try {
                over = grant.reserve(Instant.now()) ? null : grant.exhausted(Instant.now());
            } catch (IOException e) {
                throw new SigningException(Reason.IO_ERROR, "token " + id + ": the signature count cannot be recorded: " + e.getMessage(), e);
            }
            if (over != null) {
                endActivation("the activation is over: " + over);
                throw new SigningException(Reason.TOKEN_NEEDS_ACTIVATION, "token " + id + " needs activation: " + over);
            }
            ctx = contextPin == null ? null : contextPin.clone();
        }
        try {
            return bounded(c, true, (s, mine) -> {
                try {
                    return signOnCard(c, s, op, mine);
                } catch (PKCS11Exception e) {
                    if (e.getErrorCode() != CKR_KEY_HANDLE_INVALID && e.getErrorCode() != CKR_OBJECT_HANDLE_INVALID) {
                        throw e;
                    }
                    // A re-login (another key on the card was activated) invalidates key handles;
                    // a removed card fails this probe and counts as gone.
                    c.token.getTokenInfo();
                    c.keyHandle = -1;
                    return signOnCard(c, s, op, mine);
                }
            }, ctx);
        } catch (SigningException e) {
            if (e.reason() == Reason.TOKEN_NEEDS_ACTIVATION || e.reason() == Reason.PIN_INCORRECT || e.reason() == Reason.TOKEN_LOCKED) {
                // The card forgot the login, or refused the activation's PIN: the login is over,
                // the grant is not (activating again continues it).
                logOut("the card refused to sign: " + e.getMessage());
            }
            throw e;
        } finally {
            if (ctx != null) {
                Arrays.fill(ctx, '\0');
            }
        }
    }

    private byte[] signOnCard(Connection c, Session s, Mechanisms.Operation op, char[] contextPin) throws PKCS11Exception, SigningException {
        if (c.keyHandle < 0) {
            try {
                findKey(c, s);
            } catch (SigningException e) {
                // The key was found at activation: not finding it now means the login is gone.
                throw new SigningException(Reason.TOKEN_NEEDS_ACTIVATION, "token " + id + " is no longer logged in; activate it again", e);
            }
        }
        s.signInit(op.mechanism(), c.keyHandle);
        if (c.alwaysAuthenticate) {
            login(c, s, CKU_CONTEXT_SPECIFIC, contextPin, false);
        }
        return s.sign(op.input());
    }

    private byte[] signIndividually(Connection c, Mechanisms.Operation op, char[] pin) throws SigningException {
        if (pin == null || pin.length == 0) {
            throw new SigningException(Reason.PIN_REQUIRED, "token " + id + " needs the PIN with each request (PIN required)");
        }
        return bounded(c, true, (s, mine) -> {
            refuseIfLocked(c);
            lockCard(c);
            try {
                login(c, s, CKU_USER, mine, false);
                try {
                    long key = findKey(c, s);
                    s.signInit(op.mechanism(), key);
                    if (c.alwaysAuthenticate) {
                        login(c, s, CKU_CONTEXT_SPECIFIC, mine, false);
                    }
                    return s.sign(op.input());
                } finally {
                    try {
                        logoutCard(c, s);
                    } catch (PKCS11Exception e) {
                        // not logged in any more (card gone): nothing to end
                    }
                }
            } finally {
                c.card.login.unlock();
            }
        }, pin);
    }

    private interface SessionWork<T> {
        T run(Session s, char[] pin) throws PKCS11Exception, SigningException;
    }

    /**
     * Runs card work on one of the connection's sessions in its own thread, so that a card that
     * stops answering fails the request after {@code timeout} instead of holding the caller. The
     * work gets its own copy of the PIN and wipes it: the caller may give up and wipe its copy.
     */
    private <T> T bounded(Connection c, boolean timed, SessionWork<T> work, char[] pin) throws SigningException {
        char[] mine = pin == null ? null : pin.clone();
        AtomicLong started = new AtomicLong();
        Future<T> f;
        try {
            f = c.workers.submit(() -> {
                try {
                    Session s = c.sessions.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
                    if (s == null) {
                        throw new SigningException(Reason.TOKEN_UNAVAILABLE, "token " + id + " stayed busy for " + timeout.toSeconds() + " s");
                    }
                    long t0 = System.nanoTime();
                    started.set(t0);
                    boolean healthy = false;
                    module.enter();
                    try {
                        T result = work.run(s, mine);
                        healthy = true;
                        if (timed) {
                            measured(System.nanoTime() - t0);
                        }
                        return result;
                    } finally {
                        module.exit();
                        recycle(c, s, healthy);
                    }
                } finally {
                    if (mine != null) {
                        Arrays.fill(mine, '\0');
                    }
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            if (mine != null) {
                Arrays.fill(mine, '\0');
            }
            throw new SigningException(Reason.TOKEN_UNAVAILABLE, "token " + id + " went away; try again when it is back", e);
        }
        try {
            // The wait for a free session counts once; the card's own time counts once more.
            return f.get(timeout.toMillis() * 2, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            if (started.get() != 0) {
                lose(c, "the token did not answer within " + timeout.toSeconds() + " s", TokenState.FAILED);
            }
            throw new SigningException(Reason.TOKEN_UNAVAILABLE, "token " + id + " did not answer within " + timeout.toSeconds() + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            f.cancel(true);
            throw new SigningException(Reason.TOKEN_UNAVAILABLE, "interrupted while token " + id + " was working", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof SigningException se) {
                throw se;
            }
            if (cause instanceof PKCS11Exception pe) {
                throw failure(c, pe, "signing");
            }
            if (cause instanceof TokenException te) {
                throw new SigningException(Reason.TOKEN_UNAVAILABLE, "token " + id + " failed: " + te.getMessage(), te);
            }
            throw new SigningException(Reason.INTERNAL, "token " + id + " failed unexpectedly: " + cause, cause);
        }
    }

    /**
     * Returns a session to the connection. After a failure it may still hold an active operation
     * (CKR_OPERATION_ACTIVE after a refused context login), so it is replaced by a fresh one.
     */
    private void recycle(Connection c, Session s, boolean healthy) {
        if (healthy && !c.gone) {
            c.sessions.offer(s);
            return;
        }
        closeQuietly(s);
        if (!c.gone) {
            try {
                c.sessions.offer(c.token.openSession(false));
            } catch (PKCS11Exception e) {
                missing(TokenState.MISSING, "the token stopped opening sessions (" + e.getErrorName() + ")");
                c.gone = true;
            }
        }
    }

    private static boolean isGone(long code) {
        return code == CKR_DEVICE_REMOVED || code == CKR_TOKEN_NOT_PRESENT || code == CKR_SESSION_HANDLE_INVALID
                || code == CKR_SESSION_CLOSED || code == CKR_GENERAL_ERROR || code == CKR_TOKEN_NOT_RECOGNIZED || code == CKR_DEVICE_ERROR
                || code == CKR_CRYPTOKI_NOT_INITIALIZED;
    }

    /** A card's error as a reason: gone (retryable), logged out (needs activation) or a plain failure. */
    private SigningException failure(Connection c, PKCS11Exception e, String doing) {
        long code = e.getErrorCode();
        if (isGone(code)) {
            lose(c, "the token went away while " + doing + " (" + e.getErrorName() + ")", TokenState.MISSING);
            return new SigningException(Reason.TOKEN_UNAVAILABLE, "token " + id + " went away while " + doing + " (" + e.getErrorName()
                    + "); try again when it is back", e);
        }
        if (code == CKR_USER_NOT_LOGGED_IN && mode == ActivationMode.MASS) {
            return new SigningException(Reason.TOKEN_NEEDS_ACTIVATION, "token " + id + " is no longer logged in (the card was reset); activate it again", e);
        }
        if (code == CKR_MECHANISM_INVALID || code == CKR_MECHANISM_PARAM_INVALID || code == CKR_KEY_TYPE_INCONSISTENT
                || code == CKR_KEY_FUNCTION_NOT_PERMITTED) {
            return new SigningException(Reason.BAD_REQUEST, "token " + id + " cannot do this signature algorithm (" + e.getErrorName() + ")", e);
        }
        return new SigningException(Reason.TOKEN_UNAVAILABLE, "token " + id + " failed while " + doing + " (" + e.getErrorName() + ")", e);
    }

    private static String describe(Exception e) {
        return e instanceof PKCS11Exception pe ? pe.getErrorName() : e.getMessage();
    }
}
