package org.sigillum.archive.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.CertPathBuilder;
import java.security.cert.CertStore;
import java.security.cert.CertificateFactory;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

import org.bouncycastle.asn1.tsp.ArchiveTimeStamp;
import org.bouncycastle.asn1.tsp.ArchiveTimeStampChain;
import org.bouncycastle.asn1.tsp.EvidenceRecord;
import org.bouncycastle.asn1.tsp.PartialHashtree;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.tsp.TimeStampToken;
import org.sigillum.api.ArchiveProof;
import org.sigillum.api.Content;

/**
 * Our own check of an RFC 4998 evidence record: the data's hash is in the first list of the
 * reduced hash tree, the path leads to the root the first time stamp covers, every time stamp is
 * intact and its authority chains to the trust anchors as of the stamp's time, and each later stamp
 * of a chain covers the one before (§5.2).
 */
final class Verifier {
    private final Path trustAnchors;

    Verifier(Path trustAnchors) {
        this.trustAnchors = trustAnchors;
    }

    ArchiveProof verify(byte[] encoded, Content document, Content signature) {
        List<String> lines = new ArrayList<>();
        EvidenceRecord er;
        try {
            er = EvidenceRecord.getInstance(encoded);
        } catch (RuntimeException e) {
            return new ArchiveProof(false, Optional.empty(), List.of("not an RFC 4998 evidence record: " + e.getMessage()));
        }
        boolean valid = true;
        Instant proven = null;
        ArchiveTimeStampChain[] chains = er.getArchiveTimeStampSequence().getArchiveTimeStampChains();
        if (chains.length == 0) {
            return new ArchiveProof(false, Optional.empty(), List.of("the record holds no archive time stamp"));
        }
        Date previousEnd = null;
        for (int c = 0; c < chains.length; c++) {
            ArchiveTimeStamp[] stamps = chains[c].getArchiveTimestamps();
            String prefix = chains.length == 1 ? "" : "chain " + (c + 1) + ", ";
            byte[] previous = null;
            for (int i = 0; i < stamps.length; i++) {
                ArchiveTimeStamp ats = stamps[i];
                try {
                    String alg = Evidence.name(ats.getDigestAlgorithmIdentifier());
                    MessageDigest md = MessageDigest.getInstance(alg);
                    byte[] expected;
                    if (i == 0) {
                        byte[] docHash = hash(md, document);
                        byte[] sigHash = signature == null ? null : hash(md, signature);
                        if (c > 0) {
                            // A hash-tree renewal (§5.3): each object's new hash joined with the hash
                            // of every chain before this one.
                            byte[] ha = Evidence.chainsHash(md, Arrays.asList(chains).subList(0, c));
                            docHash = Evidence.renewed(md, docHash, ha);
                            sigHash = sigHash == null ? null : Evidence.renewed(md, sigHash, ha);
                        }
                        expected = root(md, ats, docHash, sigHash, lines);
                        if (expected == null) {
                            valid = false;
                            continue;
                        }
                    } else {
                        if (!alg.equals(Evidence.name(stamps[0].getDigestAlgorithmIdentifier()))) {
                            lines.add(prefix + "archive time stamp " + (i + 1) + ": another digest than its chain's (a chain keeps one digest)");
                            valid = false;
                            continue;
                        }
                        // A renewal: its list holds the hash of the stamp before it (§5.2).
                        PartialHashtree[] reduced = ats.getReducedHashTree();
                        byte[] prev = md.digest(previous);
                        if (reduced == null || reduced.length == 0) {
                            expected = prev;
                        } else if (!contains(reduced[0].getValues(), prev)) {
                            lines.add(prefix + "archive time stamp " + (i + 1) + " does not cover the stamp before it");
                            valid = false;
                            continue;
                        } else {
                            expected = root(md, reduced);
                        }
                    }
                    TimeStampToken tst = new TimeStampToken(ats.getTimeStamp());
                    byte[] imprint = tst.getTimeStampInfo().getMessageImprintDigest();
                    if (!Arrays.equals(imprint, expected)) {
                        lines.add(prefix + "archive time stamp " + (i + 1) + ": it covers " + ArchiveComponent.hex(imprint) + ", not "
                                + ArchiveComponent.hex(expected) + (i == 0 ? " (the data or the record changed)" : ""));
                        valid = false;
                    }
                    Date gen = tst.getTimeStampInfo().getGenTime();
                    if (previousEnd != null && gen.before(previousEnd)) {
                        lines.add(prefix + "archive time stamp " + (i + 1) + " is older than the stamp before it");
                        valid = false;
                    }
                    previousEnd = gen;
                    String who = authority(tst, gen, lines);
                    if (who == null) {
                        valid = false;
                    }
                    lines.add(prefix + "archive time stamp " + (i + 1) + " (" + alg + (c > 0 && i == 0 ? ", hash-tree renewal" : "") + "): "
                            + gen.toInstant() + " by " + (who == null ? "an untrusted authority" : who));
                    if (i == 0 && c == 0) {
                        proven = gen.toInstant();
                    }
                    previous = ats.getTimeStamp().getEncoded("DER");
                } catch (IOException | GeneralSecurityException | RuntimeException | org.bouncycastle.tsp.TSPException e) {
                    lines.add(prefix + "archive time stamp " + (i + 1) + ": cannot be read: " + e.getMessage());
                    valid = false;
                }
            }
        }
        return new ArchiveProof(valid, Optional.ofNullable(valid ? proven : null), lines);
    }

    /** The root the reduced hash tree leads to from the data, or null (with a line saying why). */
    private static byte[] root(MessageDigest md, ArchiveTimeStamp ats, byte[] docHash, byte[] sigHash, List<String> lines) {
        PartialHashtree[] reduced = ats.getReducedHashTree();
        if (reduced == null || reduced.length == 0) {
            return sigHash == null ? docHash : HashTree.leaf(md, docHash, sigHash);
        }
        byte[][] first = reduced[0].getValues();
        if (!contains(first, docHash)) {
            lines.add("the document's hash is not in the record: this record is for other data, or the document changed");
            return null;
        }
        if (sigHash != null && !contains(first, sigHash)) {
            lines.add("the signature's hash is not in the record's data-object group: another or a changed signature");
            return null;
        }
        return root(md, reduced);
    }

    /** The root a reduced hash tree leads to (each list collapsed, then paired upwards). */
    private static byte[] root(MessageDigest md, PartialHashtree[] reduced) {
        byte[][] first = reduced[0].getValues();
        byte[] h = first.length == 1 ? first[0] : HashTree.hashSorted(md, first);
        for (int l = 1; l < reduced.length; l++) {
            byte[][] values = reduced[l].getValues();
            byte[] node = values.length == 1 ? values[0] : HashTree.hashSorted(md, values);
            h = HashTree.hashSorted(md, h, node);
        }
        return h;
    }

    private static boolean contains(byte[][] values, byte[] h) {
        return Stream.of(values).anyMatch(v -> Arrays.equals(v, h));
    }

    static byte[] hash(MessageDigest md, Content c) throws IOException {
        md.reset();
        try (InputStream in = c.openStream()) {
            byte[] buf = new byte[65536];
            for (int n; (n = in.read(buf)) > 0;) {
                md.update(buf, 0, n);
            }
        }
        return md.digest();
    }

    /** The authority's name when its signature holds and its certificate chains to a trust anchor at {@code at}. */
    String authority(TimeStampToken tst, Date at, List<String> lines) {
        try {
            @SuppressWarnings("unchecked")
            var matches = tst.getCertificates().getMatches(tst.getSID());
            if (matches.isEmpty()) {
                lines.add("the time stamp does not carry its authority's certificate");
                return null;
            }
            X509CertificateHolder holder = (X509CertificateHolder) matches.iterator().next();
            tst.validate(new JcaSimpleSignerInfoVerifierBuilder().build(holder));
            JcaX509CertificateConverter conv = new JcaX509CertificateConverter();
            X509Certificate tsa = conv.getCertificate(holder);
            List<X509Certificate> pool = new ArrayList<>();
            for (Object o : tst.getCertificates().getMatches(null)) {
                pool.add(conv.getCertificate((X509CertificateHolder) o));
            }
            Set<TrustAnchor> anchors = new HashSet<>();
            for (X509Certificate a : anchors()) {
                anchors.add(new TrustAnchor(a, null));
            }
            if (anchors.isEmpty()) {
                lines.add("no trust anchors in " + trustAnchors);
                return null;
            }
            X509CertSelector target = new X509CertSelector();
            target.setCertificate(tsa);
            PKIXBuilderParameters params = new PKIXBuilderParameters(anchors, target);
            params.setRevocationEnabled(false);
            params.setDate(at);
            params.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(pool)));
            CertPathBuilder.getInstance("PKIX").build(params);
            return tsa.getSubjectX500Principal().getName();
        } catch (Exception e) {
            lines.add("the time stamp's signature or its authority's chain does not hold: " + e.getMessage());
            return null;
        }
    }

    private List<X509Certificate> anchors() throws IOException, GeneralSecurityException {
        List<X509Certificate> out = new ArrayList<>();
        if (!Files.isDirectory(trustAnchors)) {
            return out;
        }
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        try (Stream<Path> s = Files.walk(trustAnchors)) {
            for (Path p : s.filter(f -> f.toString().endsWith(".pem") && Files.isRegularFile(f)).toList()) {
                try (InputStream in = Files.newInputStream(p)) {
                    for (var c : cf.generateCertificates(in)) {
                        X509Certificate x = (X509Certificate) c;
                        if (x.getSubjectX500Principal().equals(x.getIssuerX500Principal())) {
                            out.add(x);
                        }
                    }
                }
            }
        }
        return out;
    }
}
