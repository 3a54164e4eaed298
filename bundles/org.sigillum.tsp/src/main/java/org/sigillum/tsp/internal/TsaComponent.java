package org.sigillum.tsp.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.TrustAnchor;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.metatype.annotations.Designate;
import org.sigillum.api.DigestAlgorithm;
import org.sigillum.api.SigningException;
import org.sigillum.api.TimeStamp;
import org.sigillum.api.TimeStampSource;

/**
 * One configured trust centre ({@code etc/org.sigillum.tsp-NAME.cfg}), registered as a
 * TimeStampSource whose service property {@code name} is what profiles list in {@code tsas}.
 */
@Component(service = TimeStampSource.class, configurationPid = TsaComponent.PID, configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = TsaConfig.class, factory = true)
public class TsaComponent implements TimeStampSource {
    static final String PID = "org.sigillum.tsp";

    private final Rfc3161Client client;

    @Activate
    public TsaComponent(BundleContext context, TsaConfig config) throws IOException, GeneralSecurityException {
        String h = context.getProperty("sigillum.home");
        Path home = Path.of(h == null ? "." : h).toAbsolutePath();
        Path anchors = home.resolve(config.trustAnchors());
        Optional<String> auth = config.username().isBlank() ? Optional.empty()
                : Optional.of(config.username() + ":" + config._password());
        this.client = new Rfc3161Client(new Rfc3161Client.Settings(config.name(), URI.create(config.url()),
                config.policy().isBlank() ? Optional.empty() : Optional.of(config.policy().trim()),
                Duration.ofMillis(config.timeoutMillis()), auth, tls(home, config), new Reloading(anchors),
                Duration.ofSeconds(config.maxSkewSeconds()), Duration.ofSeconds(config.coolDownSeconds())), Clock.systemUTC());
    }

    private static Optional<SSLContext> tls(Path home, TsaConfig config) throws IOException, GeneralSecurityException {
        if (config.clientKeyStore().isBlank()) {
            return Optional.empty();
        }
        char[] pw = config._clientKeyStorePassword().toCharArray();
        try (InputStream in = Files.newInputStream(home.resolve(config.clientKeyStore()))) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(in, pw);
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, pw);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf.getKeyManagers(), null, null);
            return Optional.of(ctx);
        } finally {
            Arrays.fill(pw, '\0');
        }
    }

    @Override
    public TimeStamp timeStamp(DigestAlgorithm digest, byte[] messageImprint) throws SigningException {
        return client.timeStamp(digest, messageImprint);
    }

    /** The anchors, looked at again at most every few seconds so that a new PEM file counts without a restart. */
    private static final class Reloading implements java.util.function.Supplier<Set<TrustAnchor>> {
        private final Path path;
        private volatile Set<TrustAnchor> anchors = Set.of();
        private volatile long loadedAt;

        Reloading(Path path) {
            this.path = path;
        }

        @Override
        public Set<TrustAnchor> get() {
            long now = System.currentTimeMillis();
            if (now - loadedAt > 5_000) {
                try {
                    anchors = Pem.anchors(path);
                } catch (IOException | GeneralSecurityException e) {
                    anchors = Set.of();
                }
                loadedAt = now;
            }
            return anchors;
        }
    }
}
