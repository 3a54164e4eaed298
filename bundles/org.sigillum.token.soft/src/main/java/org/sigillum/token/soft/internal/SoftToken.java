package org.sigillum.token.soft.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.UnrecoverableKeyException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
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

/**
 * A software key from a PKCS#12 file. The key stays inside this object; only signatures leave it.
 * With a configured password the key is loaded at start (mode NONE); without one the token is a
 * mass token whose activation supplies the password.
 */
@Component(service = SigningToken.class, configurationPid = SoftToken.PID, configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = SoftTokenConfig.class, factory = true)
public class SoftToken implements SigningToken {
    static final String PID = "org.sigillum.token.soft";

    private static final System.Logger LOG = System.getLogger(SoftToken.class.getName());

    private final String id;
    private final Path file;
    private final String alias;
    private final ActivationMode mode;

    /** The loaded key and chain, or null while not activated or broken. */
    private volatile Loaded loaded;
    private volatile TokenStatus failure;

    private record Loaded(PrivateKey key, List<X509Certificate> chain) {
    }

    @Activate
    public SoftToken(BundleContext context, SoftTokenConfig config, Map<String, Object> properties) {
        String home = context.getProperty("sigillum.home");
        Path base = Path.of(home == null ? "." : home);
        this.id = config.id();
        this.file = base.resolve(config.path()).toAbsolutePath().normalize();
        this.alias = config.alias() == null || config.alias().isBlank() ? null : config.alias();
        String password = config._password();
        this.mode = password == null || password.isEmpty() ? ActivationMode.MASS : ActivationMode.NONE;
        if (mode == ActivationMode.NONE) {
            char[] pw = password.toCharArray();
            try {
                loaded = load(pw);
            } catch (SigningException e) {
                failure = TokenStatus.of(id, mode, stateFor(e), e.getMessage());
                LOG.log(System.Logger.Level.WARNING, "token " + id + ": " + e.getMessage());
            } finally {
                Arrays.fill(pw, '\0');
            }
        }
    }

    SoftToken(String id, Path file, char[] password) throws SigningException {
        this.id = id;
        this.file = file;
        this.alias = null;
        this.mode = ActivationMode.NONE;
        this.loaded = load(password);
    }

    @Deactivate
    void stop() {
        loaded = null;
    }

    private static TokenState stateFor(SigningException e) {
        return e.reason() == Reason.TOKEN_UNAVAILABLE && e.getCause() instanceof NoSuchFileException
                ? TokenState.MISSING : TokenState.FAILED;
    }

    private Loaded load(char[] password) throws SigningException {
        KeyStore ks;
        try (InputStream in = Files.newInputStream(file)) {
            ks = KeyStore.getInstance("PKCS12");
            ks.load(in, password);
        } catch (NoSuchFileException e) {
            throw new SigningException(Reason.TOKEN_UNAVAILABLE, "key store " + file + " does not exist", e);
        } catch (IOException e) {
            if (e.getCause() instanceof UnrecoverableKeyException || String.valueOf(e.getMessage()).contains("password")) {
                throw new SigningException(Reason.PIN_INCORRECT, "the password of key store " + file + " is wrong");
            }
            throw new SigningException(Reason.TOKEN_UNAVAILABLE, "key store " + file + " cannot be read: " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new SigningException(Reason.TOKEN_UNAVAILABLE, "key store " + file + " cannot be read: " + e.getMessage(), e);
        }
        try {
            String a = alias;
            if (a == null) {
                List<String> keys = new ArrayList<>();
                for (String candidate : Collections.list(ks.aliases())) {
                    if (ks.isKeyEntry(candidate)) {
                        keys.add(candidate);
                    }
                }
                if (keys.size() != 1) {
                    throw new SigningException(Reason.TOKEN_UNAVAILABLE, "key store " + file + " holds " + keys.size()
                            + " keys; configure the alias of the one to use (" + keys + ")");
                }
                a = keys.get(0);
            }
            if (!ks.isKeyEntry(a)) {
                throw new SigningException(Reason.TOKEN_UNAVAILABLE, "key store " + file + " has no key named '" + a + "'");
            }
            PrivateKey key = (PrivateKey) ks.getKey(a, password);
            Certificate[] certs = ks.getCertificateChain(a);
            if (certs == null || certs.length == 0) {
                throw new SigningException(Reason.TOKEN_UNAVAILABLE, "key '" + a + "' in " + file + " has no certificate");
            }
            List<X509Certificate> chain = new ArrayList<>();
            for (Certificate c : certs) {
                chain.add((X509Certificate) c);
            }
            return new Loaded(key, List.copyOf(chain));
        } catch (UnrecoverableKeyException e) {
            throw new SigningException(Reason.PIN_INCORRECT, "the key password of " + file + " is wrong");
        } catch (GeneralSecurityException e) {
            throw new SigningException(Reason.TOKEN_UNAVAILABLE, "key in " + file + " cannot be read: " + e.getMessage(), e);
        }
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public TokenStatus status() {
        if (loaded != null) {
            return TokenStatus.of(id, mode, TokenState.AVAILABLE, file.getFileName().toString());
        }
        TokenStatus f = failure;
        if (f != null) {
            return f;
        }
        if (!Files.exists(file)) {
            return TokenStatus.of(id, mode, TokenState.MISSING, file + " does not exist");
        }
        return TokenStatus.of(id, mode, TokenState.NEEDS_ACTIVATION, "activate with the key store password");
    }

    private Loaded key() throws SigningException {
        Loaded l = loaded;
        if (l == null) {
            TokenStatus s = status();
            if (s.state() == TokenState.NEEDS_ACTIVATION) {
                throw new SigningException(Reason.TOKEN_NEEDS_ACTIVATION, "token " + id + " needs activation");
            }
            throw new SigningException(Reason.TOKEN_UNAVAILABLE, "token " + id + ": " + s.detail());
        }
        return l;
    }

    @Override
    public List<X509Certificate> certificateChain() throws SigningException {
        return key().chain();
    }

    @Override
    public byte[] sign(byte[] data, SignatureAlgorithm algorithm, Pin pin) throws SigningException {
        return withKey(algorithm, pin, key -> {
            Signature s = Signature.getInstance(algorithm.jcaName());
            if (algorithm.parameterSpec() != null) {
                s.setParameter(algorithm.parameterSpec());
            }
            s.initSign(key);
            s.update(data);
            return s.sign();
        });
    }

    @Override
    public byte[] signDigest(byte[] digest, SignatureAlgorithm algorithm, Pin pin) throws SigningException {
        return withKey(algorithm, pin, key -> {
            if (digest.length != algorithm.digest().length()) {
                throw new SigningException(Reason.BAD_REQUEST, "digest length " + digest.length + " does not fit " + algorithm.digest());
            }
            Signature s;
            byte[] input = digest;
            switch (algorithm.key()) {
                case EC -> s = Signature.getInstance("NONEwithECDSA");
                case RSA -> {
                    if (algorithm.parameterSpec() != null) {
                        // The JDK's RSASSA-PSS always hashes itself; signing a ready digest needs a raw PSS encoder we do not have here.
                        throw new SigningException(Reason.BAD_REQUEST, "token " + id + " cannot sign a ready digest with PSS; let it hash the data");
                    }
                    s = Signature.getInstance("NONEwithRSA");
                    input = algorithm.digest().digestInfo(digest);
                }
                default -> throw new IllegalStateException();
            }
            s.initSign(key);
            s.update(input);
            return s.sign();
        });
    }

    private interface KeyOperation {
        byte[] apply(PrivateKey key) throws GeneralSecurityException, SigningException;
    }

    /** Runs a signing operation with the loaded key; the PIN (unused by a software key) is wiped whatever happens. */
    private byte[] withKey(SignatureAlgorithm algorithm, Pin pin, KeyOperation op) throws SigningException {
        try {
            Loaded l = key();
            checkKey(l, algorithm);
            return op.apply(l.key());
        } catch (GeneralSecurityException e) {
            throw new SigningException(Reason.TOKEN_UNAVAILABLE, "token " + id + " cannot sign with " + algorithm + ": " + e.getMessage(), e);
        } finally {
            if (pin != null) {
                pin.destroy();
            }
        }
    }

    private void checkKey(Loaded l, SignatureAlgorithm algorithm) throws SigningException {
        KeyAlgorithm k = KeyAlgorithm.of(l.chain().get(0).getPublicKey());
        if (k != algorithm.key()) {
            throw new SigningException(Reason.BAD_REQUEST, "token " + id + " holds an " + k + " key, not " + algorithm.key());
        }
    }

    @Override
    public void activate(Pin pin) throws SigningException {
        try {
            if (mode == ActivationMode.NONE) {
                return;
            }
            char[] pw = pin.chars();
            try {
                loaded = load(pw);
                failure = null;
            } finally {
                Arrays.fill(pw, '\0');
            }
        } finally {
            pin.destroy();
        }
    }

    @Override
    public void deactivate() {
        if (mode != ActivationMode.NONE) {
            loaded = null;
        }
    }
}
