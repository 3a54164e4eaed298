package org.sigillum.tsp.internal;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.CertPathBuilder;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertStore;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

import javax.net.ssl.SSLContext;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.cmp.PKIStatus;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.tsp.TSPException;
import org.bouncycastle.tsp.TSPValidationException;
import org.bouncycastle.tsp.TimeStampRequest;
import org.bouncycastle.tsp.TimeStampRequestGenerator;
import org.bouncycastle.tsp.TimeStampResponse;
import org.bouncycastle.tsp.TimeStampToken;
import org.sigillum.api.DigestAlgorithm;
import org.sigillum.api.Reason;
import org.sigillum.api.SigningException;
import org.sigillum.api.TimeStamp;

/**
 * One RFC 3161 authority over HTTP. Every request carries a fresh nonce and certReq; every answer is
 * checked in full before it counts as a stamp: HTTP status, PKIStatus, message imprint, nonce,
 * policy, the TSA certificate's signature and critical timeStamping EKU, its path to our trust
 * anchors at the stamp's time, and a genTime close to our clock. Any failure is "TSA unavailable"
 * (retryable), and the authority is skipped for a cool-down so a dead one costs one timeout, not one
 * per document. Trust centres bill per stamp: nothing here retries on its own.
 */
final class Rfc3161Client {

    /** Time-stamp responses are a few KB; anything far larger is not one. */
    private static final int MAX_RESPONSE = 1024 * 1024;

    record Settings(String name, URI url, Optional<String> policy, Duration timeout, Optional<String> basicAuth,
            Optional<SSLContext> tls, Supplier<Set<TrustAnchor>> anchors, Duration maxSkew, Duration coolDown) {
    }

    private final Settings settings;
    private final HttpClient http;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private volatile Instant skipUntil = Instant.MIN;
    private volatile String lastFailure = "";

    Rfc3161Client(Settings settings, Clock clock) {
        this.settings = settings;
        this.clock = clock;
        HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(settings.timeout())
                .followRedirects(HttpClient.Redirect.NEVER);
        settings.tls().ifPresent(b::sslContext);
        this.http = b.build();
    }

    String name() {
        return settings.name();
    }

    TimeStamp timeStamp(DigestAlgorithm digest, byte[] imprint) throws SigningException {
        Instant now = clock.instant();
        if (now.isBefore(skipUntil)) {
            throw unavailable("skipped until " + skipUntil + " after: " + lastFailure);
        }
        try {
            return request(digest, imprint);
        } catch (SigningException e) {
            lastFailure = e.getMessage();
            skipUntil = clock.instant().plus(settings.coolDown());
            throw e;
        }
    }

    private SigningException unavailable(String why) {
        return new SigningException(Reason.TSA_UNAVAILABLE, "time-stamp authority " + settings.name() + ": " + why);
    }

    private TimeStamp request(DigestAlgorithm digest, byte[] imprint) throws SigningException {
        TimeStampRequestGenerator g = new TimeStampRequestGenerator();
        g.setCertReq(true);
        settings.policy().ifPresent(p -> g.setReqPolicy(new ASN1ObjectIdentifier(p)));
        TimeStampRequest req = g.generate(new ASN1ObjectIdentifier(digest.oid()), imprint, new BigInteger(63, random));
        return check(req, post(req));
    }

    /** The answer {@code body} to {@code req}, checked in full; kept apart from HTTP so the checks can be fuzzed alone. */
    TimeStamp check(TimeStampRequest req, byte[] body) throws SigningException {
        TimeStampResponse resp;
        try {
            resp = new TimeStampResponse(body);
        } catch (TSPException | IOException | RuntimeException e) {
            throw unavailable("answered something that is not a time-stamp response (" + e.getMessage() + ")");
        }
        TimeStampToken token;
        Instant genTime;
        List<X509Certificate> certs;
        X509Certificate tsa;
        try {
            int status = resp.getStatus();
            if (status != PKIStatus.GRANTED && status != PKIStatus.GRANTED_WITH_MODS) {
                throw unavailable("refused the request: status " + status
                        + (resp.getFailInfo() == null ? "" : ", failure info " + resp.getFailInfo().intValue())
                        + (resp.getStatusString() == null ? "" : " (" + resp.getStatusString() + ")"));
            }
            try {
                resp.validate(req); // imprint, nonce, policy, certReq honoured
            } catch (TSPException e) {
                throw unavailable("its answer does not fit our request: " + e.getMessage());
            }
            token = resp.getTimeStampToken();
            genTime = token.getTimeStampInfo().getGenTime().toInstant();
            certs = certificates(token);
            tsa = signer(token, certs);
            try {
                token.validate(new JcaSimpleSignerInfoVerifierBuilder().build(tsa));
            } catch (TSPValidationException e) {
                throw unavailable("its token does not verify: " + e.getMessage());
            } catch (TSPException | org.bouncycastle.operator.OperatorCreationException e) {
                throw unavailable("its token cannot be checked: " + e.getMessage());
            }
        } catch (RuntimeException e) {
            // Bouncy Castle parses the response lazily: a malformed part (a status text that is not
            // UTF-8, a mangled certificate) surfaces as a runtime exception from a getter.
            throw unavailable("answered a malformed time-stamp response (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
        }
        String path = path(tsa, certs, settings.anchors().get(), genTime);
        if (path != null) {
            throw unavailable("its certificate " + tsa.getSubjectX500Principal().getName() + " is not trusted: " + path);
        }
        Duration skew = Duration.between(clock.instant(), genTime).abs();
        if (skew.compareTo(settings.maxSkew()) > 0) {
            throw unavailable("its time " + genTime + " is " + skew.toSeconds() + " s away from ours (allowed: "
                    + settings.maxSkew().toSeconds() + " s)");
        }
        try {
            return new TimeStamp(token.getEncoded(), genTime, settings.name());
        } catch (IOException e) {
            throw unavailable("its token cannot be encoded: " + e.getMessage());
        }
    }

    private byte[] post(TimeStampRequest req) throws SigningException {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(settings.url()).timeout(settings.timeout())
                    .header("Content-Type", "application/timestamp-query").header("Accept", "application/timestamp-reply")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(req.getEncoded()));
            settings.basicAuth().ifPresent(a -> b.header("Authorization",
                    "Basic " + Base64.getEncoder().encodeToString(a.getBytes(StandardCharsets.UTF_8))));
            HttpResponse<InputStream> r = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = r.body()) {
                if (r.statusCode() != 200) {
                    throw unavailable("answered HTTP " + r.statusCode());
                }
                byte[] body = in.readNBytes(MAX_RESPONSE + 1);
                if (body.length > MAX_RESPONSE) {
                    throw unavailable("answered more than " + MAX_RESPONSE / 1024 + " KB");
                }
                return body;
            }
        } catch (HttpTimeoutException e) {
            throw unavailable("did not answer within " + settings.timeout().toMillis() + " ms");
        } catch (IOException e) {
            throw unavailable("cannot be reached at " + settings.url() + " (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unavailable("interrupted while waiting");
        }
    }

    private List<X509Certificate> certificates(TimeStampToken token) throws SigningException {
        List<X509Certificate> out = new ArrayList<>();
        JcaX509CertificateConverter conv = new JcaX509CertificateConverter();
        try {
            for (X509CertificateHolder h : token.getCertificates().getMatches(null)) {
                out.add(conv.getCertificate(h));
            }
        } catch (java.security.cert.CertificateException e) {
            throw unavailable("sent a certificate that cannot be read: " + e.getMessage());
        }
        return out;
    }

    private X509Certificate signer(TimeStampToken token, List<X509Certificate> certs) throws SigningException {
        @SuppressWarnings("unchecked")
        Collection<X509CertificateHolder> named = token.getCertificates().getMatches(token.getSID());
        if (named.isEmpty()) {
            throw unavailable("sent no certificate for its signature although we asked for it");
        }
        X509CertificateHolder h = named.iterator().next();
        for (X509Certificate c : certs) {
            try {
                if (java.util.Arrays.equals(c.getEncoded(), h.getEncoded())) {
                    return c;
                }
            } catch (GeneralSecurityException | IOException e) {
                throw unavailable("sent a certificate that cannot be read: " + e.getMessage());
            }
        }
        throw unavailable("its signing certificate is missing");
    }

    /** Null when the TSA certificate chains to an anchor at {@code at} (intermediates from the token). */
    static String path(X509Certificate tsa, List<X509Certificate> certs, Set<TrustAnchor> anchors, Instant at) {
        if (anchors.isEmpty()) {
            return "no trust anchors are configured for it";
        }
        try {
            X509CertSelector target = new X509CertSelector();
            target.setCertificate(tsa);
            PKIXBuilderParameters p = new PKIXBuilderParameters(anchors, target);
            p.setRevocationEnabled(false);
            p.setDate(Date.from(at));
            p.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(certs)));
            CertPathBuilder.getInstance("PKIX").build(p);
            return null;
        } catch (CertPathBuilderException e) {
            return "no path to a trust anchor (" + e.getMessage() + ")";
        } catch (GeneralSecurityException e) {
            return "its path cannot be checked: " + e.getMessage();
        }
    }
}
