package org.sigillum.format.cades.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.cms.CMSObjectIdentifiers;
import org.bouncycastle.asn1.cms.ContentInfo;
import org.bouncycastle.asn1.ess.ESSCertID;
import org.bouncycastle.asn1.ess.ESSCertIDv2;
import org.bouncycastle.asn1.ess.SigningCertificate;
import org.bouncycastle.asn1.ess.SigningCertificateV2;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.CMSTypedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.operator.DefaultAlgorithmNameFinder;
import org.bouncycastle.tsp.TimeStampToken;
import org.bouncycastle.util.Store;
import org.sigillum.api.Content;
import org.sigillum.api.Document;
import org.sigillum.api.Reason;
import org.sigillum.api.SignatureLevel;
import org.sigillum.api.SignatureVerdict;
import org.sigillum.api.SigningException;

/** Reads a CMS signature (DER, or PEM armour) and checks each signer's integrity. */
final class CmsReader {

    private static final String RSASSA_PSS = "1.2.840.113549.1.1.10";

    /**
     * Bouncy Castle as a provider object, never registered globally: only RSASSA-PSS verification
     * needs it (the JDK has no "SHA256withRSASSA-PSS"); everything else stays on the faster JDK code.
     */
    private final java.security.Provider bc;

    // Bouncy Castle's helpers build large lookup tables in their constructors: made once, shared.
    private final org.bouncycastle.cms.DefaultCMSSignatureAlgorithmNameGenerator names =
            new org.bouncycastle.cms.DefaultCMSSignatureAlgorithmNameGenerator();
    private final org.bouncycastle.operator.DefaultSignatureAlgorithmIdentifierFinder finder =
            new org.bouncycastle.operator.DefaultSignatureAlgorithmIdentifierFinder();
    private final DefaultAlgorithmNameFinder algorithmNames = new DefaultAlgorithmNameFinder();
    private final org.bouncycastle.operator.DigestCalculatorProvider digests;

    CmsReader(java.security.Provider bc) {
        this.bc = bc;
        try {
            this.digests = new org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder().build();
        } catch (org.bouncycastle.operator.OperatorCreationException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A verifier on the JDK's own Signature. Bouncy Castle's JCA verifier checks an RSA signature a
     * second time through a raw cipher (to release PKCS#11 sessions), doubling the cost; ours checks
     * it once. RSASSA-PSS, which the JDK cannot name this way, goes to Bouncy Castle.
     */
    private org.bouncycastle.cms.SignerInformationVerifier verifier(SignerInformation si, java.security.PublicKey key)
            throws org.bouncycastle.operator.OperatorCreationException {
        org.bouncycastle.operator.ContentVerifierProvider cvp;
        if (RSASSA_PSS.equals(si.getEncryptionAlgOID())) {
            cvp = new org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder().setProvider(bc).build(key);
        } else {
            cvp = new JdkVerifiers(key, algorithmNames);
        }
        return new org.bouncycastle.cms.SignerInformationVerifier(names, finder, cvp, digests);
    }

    private static final int MAX_SIGNATURE_FILE = 64 * 1024 * 1024;

    /** A DER ContentInfo (SEQUENCE whose first element is the content-type OID), or PEM armour. */
    static boolean looksLikeCms(byte[] head) {
        if (head.length >= 4 && head[0] == 0x30) {
            int off = (head[1] & 0x80) == 0 ? 2 : 2 + (head[1] & 0x7f);
            return off < head.length && head[off] == 0x06;
        }
        String s = new String(head, StandardCharsets.US_ASCII);
        return s.startsWith("-----BEGIN PKCS7") || s.startsWith("-----BEGIN CMS");
    }

    List<SignatureVerdict> verify(Document signed, Optional<Content> detachedData) throws SigningException {
        byte[] raw = read(signed);
        CMSSignedData cms = parse(signed.name(), raw);
        boolean detached = cms.getSignedContent() == null;
        if (detached) {
            if (detachedData.isEmpty()) {
                throw new SigningException(Reason.BAD_REQUEST, signed.name()
                        + " is a detached signature: give the signed file too (--data ORIGINAL)");
            }
            try {
                java.util.Map<String, byte[]> known = knownDigests(cms, detachedData.get());
                cms = parse(signed.name(), known != null ? new CMSSignedData(known, raw)
                        : new CMSSignedData(new StreamedContent(detachedData.get()), raw));
            } catch (CMSException e) {
                throw new SigningException(Reason.BAD_INPUT, signed.name() + " is not a readable CMS signature: " + e.getMessage(), e);
            }
        }
        Store<X509CertificateHolder> certs = cms.getCertificates();
        List<SignatureVerdict> out = new ArrayList<>();
        String otherData = !detached && detachedData.isPresent() ? otherData(cms, detachedData.get()) : null;
        for (SignerInformation si : cms.getSignerInfos().getSigners()) {
            SignatureVerdict v = check(si, certs);
            // An enveloping signature compared with a file: it proves nothing about other bytes.
            out.add(otherData == null ? v : fail(v.chain(), otherData));
        }
        if (out.isEmpty()) {
            throw new SigningException(Reason.BAD_INPUT, signed.name() + " holds no signature");
        }
        return out;
    }

    /** Null when the enclosed content is byte for byte the given file; otherwise why not. */
    private static String otherData(CMSSignedData cms, Content data) throws SigningException {
        Object enclosed = cms.getSignedContent().getContent();
        if (!(enclosed instanceof byte[] bytes)) {
            return "the enclosed content cannot be compared with the given file";
        }
        try (InputStream in = data.openStream()) {
            byte[] given = in.readNBytes(bytes.length + 1);
            return Arrays.equals(bytes, given) ? null
                    : "the signature encloses other data than the file given with --data";
        } catch (IOException e) {
            throw new SigningException(Reason.IO_ERROR, "the file given with --data cannot be read: " + e.getMessage(), e);
        }
    }

    /** The data's digests for every signer's algorithm when its producer knows them all; else null. */
    private static java.util.Map<String, byte[]> knownDigests(CMSSignedData cms, Content data) {
        java.util.Map<String, byte[]> out = new java.util.HashMap<>();
        for (SignerInformation si : cms.getSignerInfos().getSigners()) {
            org.sigillum.api.DigestAlgorithm alg = null;
            for (org.sigillum.api.DigestAlgorithm d : org.sigillum.api.DigestAlgorithm.values()) {
                if (d.oid().equals(si.getDigestAlgOID())) {
                    alg = d;
                }
            }
            Optional<byte[]> digest = alg == null ? Optional.empty() : data.knownDigest(alg);
            if (digest.isEmpty()) {
                return null;
            }
            out.put(si.getDigestAlgOID(), digest.get());
        }
        return out;
    }

    private static byte[] read(Document signed) throws SigningException {
        if (signed.content().size() > MAX_SIGNATURE_FILE) {
            throw new SigningException(Reason.BAD_INPUT, signed.name() + " is larger than " + MAX_SIGNATURE_FILE / (1024 * 1024)
                    + " MB; enveloping signatures that large are not read into memory");
        }
        try {
            byte[] raw = signed.content().bytes();
            String head = new String(raw, 0, Math.min(raw.length, 32), StandardCharsets.US_ASCII);
            if (head.startsWith("-----BEGIN")) {
                String text = new String(raw, StandardCharsets.US_ASCII);
                int start = text.indexOf('\n');
                int end = text.indexOf("-----END");
                if (start < 0 || end < start) {
                    throw new SigningException(Reason.BAD_INPUT, signed.name() + " has broken PEM armour");
                }
                raw = Base64.getMimeDecoder().decode(text.substring(start + 1, end));
            }
            return raw;
        } catch (IOException e) {
            throw new SigningException(Reason.IO_ERROR, signed.name() + " cannot be read: " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new SigningException(Reason.BAD_INPUT, signed.name() + " has broken PEM armour: " + e.getMessage());
        }
    }

    private static CMSSignedData parse(String name, byte[] raw) throws SigningException {
        try {
            ContentInfo ci = ContentInfo.getInstance(org.bouncycastle.asn1.ASN1Primitive.fromByteArray(raw));
            if (ci == null || !CMSObjectIdentifiers.signedData.equals(ci.getContentType())) {
                throw new SigningException(Reason.BAD_INPUT, name + " is CMS but not signed data");
            }
            return parse(name, new CMSSignedData(ci));
        } catch (IOException | CMSException | RuntimeException e) {
            throw unreadable(name, e);
        }
    }

    /**
     * Bouncy Castle parses most of a CMSSignedData lazily, and its getters throw runtime exceptions
     * (IllegalArgumentException, ClassCastException, IllegalStateException, index errors) on
     * malformed content. Everything the verifier later reads as structure is touched here once, so
     * a broken file is BAD_INPUT at this one boundary instead of an exception escaping from a getter.
     */
    private static CMSSignedData parse(String name, CMSSignedData cms) throws SigningException {
        try {
            cms.getSignedContent();
            Store<X509CertificateHolder> certs = cms.getCertificates();
            certs.getMatches(null);
            for (SignerInformation si : cms.getSignerInfos().getSigners()) {
                si.getSID();
                si.getDigestAlgOID();
                si.getEncryptionAlgOID();
                si.getSignedAttributes();
                si.getUnsignedAttributes();
            }
            return cms;
        } catch (RuntimeException e) {
            throw unreadable(name, e);
        }
    }

    private static SigningException unreadable(String name, Exception e) {
        return new SigningException(Reason.BAD_INPUT, name + " is not a readable CMS signature (" + e.getClass().getSimpleName()
                + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")", e);
    }

    private SignatureVerdict check(SignerInformation si, Store<X509CertificateHolder> certs) {
        Collection<X509CertificateHolder> matches = certs.getMatches(si.getSID());
        if (matches.isEmpty()) {
            return fail(List.of(), "the signer's certificate is not in the signature");
        }
        X509CertificateHolder signer = matches.iterator().next();
        List<X509Certificate> chain;
        try {
            chain = chain(signer, certs);
        } catch (CertificateException e) {
            return fail(List.of(), "a certificate in the signature cannot be read: " + e.getMessage());
        }
        Optional<Instant> signingTime = signingTime(si.getSignedAttributes());
        try {
            // Built from the key, not the certificate: validity is the path check's business.
            if (!si.verify(verifier(si, chain.get(0).getPublicKey()))) {
                return fail(chain, "the signature value does not match (the signed data or attributes were changed)");
            }
        } catch (org.bouncycastle.cms.CMSSignerDigestMismatchException e) {
            return fail(chain, "the signed data was changed after signing (message digest mismatch)");
        } catch (CMSException | org.bouncycastle.operator.OperatorCreationException | RuntimeException e) {
            // (fall through to the message below)
            Throwable c = e.getCause() != null ? e.getCause() : e;
            if (c instanceof IOException io) {
                return fail(chain, "the signed data cannot be read: " + io.getMessage());
            }
            return fail(chain, "the signature cannot be verified: " + e.getMessage());
        }
        // Without a signed signing-certificate attribute another certificate for the same key (or a
        // key crafted to fit the signature) could be put in as "the signer": that is not intact.
        String certProblem = signingCertificateProblem(si.getSignedAttributes(), signer);
        if (certProblem != null) {
            return fail(chain, "the signer's certificate is not bound by the signature: " + certProblem);
        }
        Optional<Instant> tst = Optional.empty();
        List<X509Certificate> tsaChain = List.of();
        AttributeTable unsigned = si.getUnsignedAttributes();
        Attribute tsa = unsigned == null ? null : unsigned.get(PKCSObjectIdentifiers.id_aa_signatureTimeStampToken);
        if (tsa != null) {
            try {
                TimeStampToken token = checkTimeStamp(tsa, si.getSignature());
                tst = Optional.of(token.getTimeStampInfo().getGenTime().toInstant());
                Store<X509CertificateHolder> tsaCerts = token.getCertificates();
                Collection<X509CertificateHolder> named = tsaCerts.getMatches(token.getSID());
                tsaChain = chain(named.iterator().next(), tsaCerts);
            } catch (Exception e) {
                return fail(chain, "the signature time stamp is broken: " + e.getMessage());
            }
        }
        Optional<SignatureLevel> level = signingTime.isPresent()
                ? Optional.of(tst.isPresent() ? SignatureLevel.B_T : SignatureLevel.B_B) : Optional.empty();
        String note = signingTime.isEmpty() ? "not a CAdES baseline signature: no signing-time attribute" : null;
        return new SignatureVerdict(true, chain, signingTime, tst, level, note, tsaChain);
    }

    private static SignatureVerdict fail(List<X509Certificate> chain, String problem) {
        return new SignatureVerdict(false, chain, Optional.empty(), Optional.empty(), problem);
    }

    /** The token must cover this signature value and be signed by the TSA certificate it names, which must carry the critical timeStamping EKU. */
    private TimeStampToken checkTimeStamp(Attribute attr, byte[] signatureValue) throws Exception {
        ASN1Encodable value = attr.getAttrValues().getObjectAt(0);
        TimeStampToken token = new TimeStampToken(ContentInfo.getInstance(value));
        var info = token.getTimeStampInfo();
        String alg = algorithmNames.getAlgorithmName(info.getMessageImprintAlgOID());
        byte[] expected = MessageDigest.getInstance(alg).digest(signatureValue);
        if (!Arrays.equals(expected, info.getMessageImprintDigest())) {
            throw new IllegalStateException("it covers other data than this signature");
        }
        Collection<X509CertificateHolder> tsaCerts = token.getCertificates().getMatches(token.getSID());
        if (tsaCerts.isEmpty()) {
            throw new IllegalStateException("the TSA certificate is not in the token");
        }
        // Bouncy Castle's validate also requires the TSA certificate's critical timeStamping EKU.
        token.validate(new org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder().build(tsaCerts.iterator().next()));
        return token;
    }

    /** Null when signing-certificate(-v2) is present and names this certificate; otherwise why not. */
    private String signingCertificateProblem(AttributeTable signed, X509CertificateHolder cert) {
        if (signed == null) {
            return "no signed attributes";
        }
        try {
            Attribute v2 = signed.get(PKCSObjectIdentifiers.id_aa_signingCertificateV2);
            if (v2 != null) {
                ESSCertIDv2 id = SigningCertificateV2.getInstance(v2.getAttrValues().getObjectAt(0)).getCerts()[0];
                String alg = algorithmNames.getAlgorithmName(id.getHashAlgorithm().getAlgorithm());
                byte[] h = MessageDigest.getInstance(alg).digest(cert.getEncoded());
                return Arrays.equals(h, id.getCertHash()) ? null : "signing-certificate-v2 names another certificate";
            }
            Attribute v1 = signed.get(PKCSObjectIdentifiers.id_aa_signingCertificate);
            if (v1 != null) {
                ESSCertID id = SigningCertificate.getInstance(v1.getAttrValues().getObjectAt(0)).getCerts()[0];
                byte[] h = MessageDigest.getInstance("SHA-1").digest(cert.getEncoded());
                return Arrays.equals(h, id.getCertHash()) ? null : "signing-certificate names another certificate";
            }
            return "no signing-certificate attribute";
        } catch (Exception e) {
            return "signing-certificate attribute unreadable: " + e.getMessage();
        }
    }

    private static Optional<Instant> signingTime(AttributeTable signed) {
        if (signed == null) {
            return Optional.empty();
        }
        Attribute a = signed.get(CMSAttributes.signingTime);
        if (a == null) {
            return Optional.empty();
        }
        return Asn1Times.read(a.getAttrValues().getObjectAt(0));
    }

    /** Certificates seen before, by their encoding: the same few chains sign thousands of documents. */
    private final java.util.Map<X509CertificateHolder, X509Certificate> converted = new java.util.concurrent.ConcurrentHashMap<>();

    private X509Certificate convert(X509CertificateHolder h) throws CertificateException {
        X509Certificate c = converted.get(h);
        if (c == null) {
            if (converted.size() > 1024) {
                converted.clear();
            }
            c = new JcaX509CertificateConverter().getCertificate(h);
            converted.put(h, c);
        }
        return c;
    }

    /** The signer's certificate, then each issuer found among the signature's certificates. */
    private List<X509Certificate> chain(X509CertificateHolder signer, Store<X509CertificateHolder> certs)
            throws CertificateException {
        List<X509Certificate> chain = new ArrayList<>();
        X509CertificateHolder current = signer;
        while (current != null && chain.size() < 10) {
            chain.add(convert(current));
            if (current.getSubject().equals(current.getIssuer())) {
                break;
            }
            X509CertificateHolder next = null;
            for (X509CertificateHolder c : certs.getMatches(null)) {
                if (c.getSubject().equals(current.getIssuer()) && !c.equals(current)) {
                    next = c;
                    break;
                }
            }
            current = next;
        }
        return chain;
    }
}
