package org.sigillum.core.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Checks that a certificate chain leads to a configured trust anchor (PEM files in a file or a
 * folder). Anchors are reloaded when the files change. Path results are cached per chain: every
 * signature of a batch has the same chain, and path building costs more than the signature check.
 * Revocation is not checked here; that is the revocation bundle's job.
 */
final class TrustAnchors {

    private record Loaded(Set<TrustAnchor> anchors, String stamp, long checkedAt) {
    }

    /** How long a loaded set of anchors is used before the files are looked at again. */
    private static final long RECHECK_MS = 1000;

    /** A chain that chained: it stays good while the check time lies inside every certificate's validity. */
    private record Good(Instant notBefore, Instant notAfter) {
    }

    private final Map<Path, Loaded> loaded = new ConcurrentHashMap<>();
    private record ChainKey(List<X509Certificate> chain, String anchors) {
    }

    private final Map<ChainKey, Good> good = new ConcurrentHashMap<>();

    /**
     * Returns null when a signer's chain is trusted at {@code at} and its certificate may sign
     * documents (key usage digitalSignature or nonRepudiation when the extension is present);
     * otherwise why not.
     */
    String check(List<X509Certificate> chain, Path anchorsPath, Instant at) {
        if (chain.isEmpty()) {
            return "no signer certificate";
        }
        boolean[] ku = chain.get(0).getKeyUsage();
        if (ku != null && !(ku[0] || ku[1])) {
            return "the signer's certificate is not for signatures (key usage lacks digitalSignature and nonRepudiation)";
        }
        return path(chain, anchorsPath, at);
    }

    private String path(List<X509Certificate> chain, Path anchorsPath, Instant at) {
        Loaded anchors;
        try {
            anchors = anchors(anchorsPath);
        } catch (IOException | GeneralSecurityException e) {
            return "trust anchors at " + anchorsPath + " cannot be read: " + e.getMessage();
        }
        if (anchors.anchors().isEmpty()) {
            return "no trust anchors configured (" + anchorsPath + " holds no certificate)";
        }
        // Certificates compare by their encoding: the chain itself is the key, no hashing needed.
        ChainKey key = new ChainKey(List.copyOf(chain), anchors.stamp());
        Good g = good.get(key);
        if (g != null && !at.isBefore(g.notBefore()) && !at.isAfter(g.notAfter())) {
            return null;
        }
        try {
            // The anchor itself must not be part of the path handed to PKIX.
            List<X509Certificate> path = new ArrayList<>();
            for (X509Certificate c : chain) {
                if (isAnchor(c, anchors.anchors())) {
                    break;
                }
                path.add(c);
            }
            if (path.isEmpty()) {
                return null == chain.get(0) ? "no signer" : "the signer certificate is itself a trust anchor";
            }
            CertPath cp = CertificateFactory.getInstance("X.509").generateCertPath(path);
            PKIXParameters params = new PKIXParameters(anchors.anchors());
            params.setRevocationEnabled(false);
            params.setDate(Date.from(at));
            CertPathValidator.getInstance("PKIX").validate(cp, params);
            Instant nb = Instant.MIN;
            Instant na = Instant.MAX;
            for (X509Certificate c : path) {
                nb = max(nb, c.getNotBefore().toInstant());
                na = min(na, c.getNotAfter().toInstant());
            }
            if (good.size() > 10_000) {
                good.clear();
            }
            good.put(key, new Good(nb, na));
            return null;
        } catch (CertPathValidatorException e) {
            String msg = e.getMessage();
            if (e.getReason() == CertPathValidatorException.BasicReason.EXPIRED) {
                msg = "a certificate of the chain has expired";
            } else if (e.getReason() == CertPathValidatorException.BasicReason.NOT_YET_VALID) {
                msg = "a certificate of the chain is not yet valid";
            } else if (msg != null && msg.contains("anchor")) {
                msg = "the chain does not lead to a configured trust anchor";
            }
            return "certificate path of " + chain.get(0).getSubjectX500Principal().getName() + " not trusted: " + msg;
        } catch (GeneralSecurityException e) {
            return "certificate path cannot be checked: " + e.getMessage();
        }
    }

    /**
     * Null when a time stamp's authority may be believed: its certificate carries the timeStamping
     * extended key usage and chains to a trust anchor at the stamp's time. Otherwise why not.
     */
    String checkTimeStampAuthority(List<X509Certificate> chain, Path anchorsPath, Instant at) {
        if (chain.isEmpty()) {
            return "the time stamp names no authority certificate";
        }
        try {
            List<String> eku = chain.get(0).getExtendedKeyUsage();
            if (eku == null || !eku.contains("1.3.6.1.5.5.7.3.8")) {
                return "the time-stamp authority's certificate is not for time stamping";
            }
        } catch (java.security.cert.CertificateParsingException e) {
            return "the time-stamp authority's certificate cannot be read: " + e.getMessage();
        }
        String p = path(chain, anchorsPath, at);
        return p == null ? null : "time-stamp authority: " + p;
    }

    private static boolean isAnchor(X509Certificate c, Set<TrustAnchor> anchors) {
        for (TrustAnchor a : anchors) {
            if (c.equals(a.getTrustedCert())) {
                return true;
            }
        }
        return false;
    }

    private static Instant max(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }

    private static Instant min(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }

    private Loaded anchors(Path path) throws IOException, GeneralSecurityException {
        Loaded cached = loaded.get(path);
        long now = System.currentTimeMillis();
        if (cached != null && now - cached.checkedAt() < RECHECK_MS) {
            return cached;
        }
        List<Path> files = files(path);
        StringBuilder stamp = new StringBuilder();
        for (Path f : files) {
            stamp.append(f).append('@').append(Files.getLastModifiedTime(f).toMillis()).append('/').append(Files.size(f)).append(';');
        }
        Loaded l = cached;
        if (l != null && l.stamp().contentEquals(stamp)) {
            l = new Loaded(l.anchors(), l.stamp(), now);
            loaded.put(path, l);
            return l;
        }
        Set<TrustAnchor> anchors = new HashSet<>();
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        for (Path f : files) {
            try (InputStream in = Files.newInputStream(f)) {
                for (var c : cf.generateCertificates(in)) {
                    anchors.add(new TrustAnchor((X509Certificate) c, null));
                }
            }
        }
        l = new Loaded(Set.copyOf(anchors), stamp.toString(), now);
        loaded.put(path, l);
        return l;
    }

    private static List<Path> files(Path path) throws IOException {
        if (Files.isRegularFile(path)) {
            return List.of(path);
        }
        if (!Files.isDirectory(path)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(path)) {
            return s.filter(p -> {
                String n = p.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
                return (n.endsWith(".pem") || n.endsWith(".crt") || n.endsWith(".cer")) && Files.isRegularFile(p);
            }).sorted().toList();
        }
    }
}
