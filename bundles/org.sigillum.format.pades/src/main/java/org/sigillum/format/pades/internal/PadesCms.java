package org.sigillum.format.pades.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.ess.ESSCertIDv2;
import org.bouncycastle.asn1.ess.SigningCertificateV2;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.IssuerSerial;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cms.CMSAbsentContent;
import org.bouncycastle.cms.CMSAttributeTableGenerator;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.DefaultSignedAttributeTableGenerator;
import org.bouncycastle.cms.SignerInfoGenerator;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.SignerInformationStore;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.DefaultSignatureAlgorithmIdentifierFinder;
import org.bouncycastle.operator.DigestCalculator;
import org.bouncycastle.operator.DigestCalculatorProvider;
import org.bouncycastle.operator.OperatorCreationException;
import org.sigillum.api.Padding;
import org.sigillum.api.Reason;
import org.sigillum.api.SignatureAlgorithm;
import org.sigillum.api.SignatureCreator;
import org.sigillum.api.SigningException;
import org.sigillum.api.TimeStamp;

/**
 * The CMS inside a PAdES signature (ETSI EN 319 142-1, {@code ETSI.CAdES.detached}): signed
 * attributes content-type, message-digest and signing-certificate-v2, and no signing-time (PAdES
 * takes the time from the signature dictionary's {@code /M}). At level T the signature time stamp
 * is an unsigned attribute.
 *
 * <p>The space a PDF reserves for it is measured, not guessed: {@link #size} builds the very same
 * CMS with a signature value of the largest length the key can produce and, for level T, a time
 * stamp of the size the authority's stamps have. Later levels (B-LT's DSS, B-LTA's document time
 * stamp) go into later incremental updates and never into this CMS.
 */
final class PadesCms {

    private final DefaultSignatureAlgorithmIdentifierFinder algorithmIds = new DefaultSignatureAlgorithmIdentifierFinder();

    /** What a chain contributes to every signature, built once per chain. */
    private record Material(X509CertificateHolder signer, org.bouncycastle.util.Store<X509CertificateHolder> certificates,
            Attribute signingCertificate) {
    }

    private final Map<List<X509Certificate>, Material> materials = new ConcurrentHashMap<>();
    private final Map<String, Integer> sizes = new ConcurrentHashMap<>();

    /** The DER size of this signer's CMS with a time stamp of {@code stampSize} bytes (0: none). */
    int size(List<X509Certificate> chain, SignatureAlgorithm algorithm, int stampSize) throws SigningException {
        String key = chain.get(0).getSerialNumber() + "/" + chain.get(0).getIssuerX500Principal() + "/" + chain.size() + "/"
                + algorithm + "/" + stampSize;
        Integer known = sizes.get(key);
        if (known != null) {
            return known;
        }
        byte[] digest = new byte[algorithm.digest().length()];
        int max = maxSignatureLength(chain.get(0).getPublicKey());
        CMSSignedData dry = build(digest, chain, algorithm, data -> new byte[max]);
        if (stampSize > 0) {
            dry = addStamp(dry, fakeStamp(stampSize));
        }
        int size = encoded(dry).length;
        if (sizes.size() > 256) {
            sizes.clear();
        }
        sizes.put(key, size);
        return size;
    }

    /** A B-level CMS over a digest of the PDF's signed byte ranges. */
    CMSSignedData sign(byte[] digest, SignatureCreator creator) throws SigningException {
        return build(digest, creator.certificateChain(), creator.algorithm(), creator::sign);
    }

    /** The signature value of the (only) signer. */
    static byte[] signatureValue(CMSSignedData cms) {
        return cms.getSignerInfos().getSigners().iterator().next().getSignature();
    }

    CMSSignedData addStamp(CMSSignedData cms, TimeStamp stamp) throws SigningException {
        try {
            return addStamp(cms, ASN1Primitive.fromByteArray(stamp.encoded()));
        } catch (IOException e) {
            throw new SigningException(Reason.TSA_UNAVAILABLE, "the time stamp from " + stamp.authority() + " cannot be parsed", e);
        }
    }

    static byte[] encoded(CMSSignedData cms) throws SigningException {
        try {
            return cms.getEncoded("DER");
        } catch (IOException e) {
            throw new SigningException(Reason.INTERNAL, "the CMS signature cannot be encoded: " + e.getMessage(), e);
        }
    }

    private interface RawSigner {
        byte[] sign(byte[] data) throws SigningException;
    }

    private CMSSignedData build(byte[] digest, List<X509Certificate> chain, SignatureAlgorithm algorithm, RawSigner raw)
            throws SigningException {
        try {
            Material m = material(chain);
            Hashtable<ASN1ObjectIdentifier, Attribute> attrs = new Hashtable<>();
            attrs.put(m.signingCertificate().getAttrType(), m.signingCertificate());
            DefaultSignedAttributeTableGenerator standard = new DefaultSignedAttributeTableGenerator(new AttributeTable(attrs));
            // Bouncy Castle adds signing-time by itself; a PAdES baseline signature must not carry it.
            CMSAttributeTableGenerator signedAttrs = parameters -> standard.getAttributes(parameters).remove(CMSAttributes.signingTime);
            AlgorithmIdentifier digestId = new AlgorithmIdentifier(new ASN1ObjectIdentifier(algorithm.digest().oid()));
            SignerInfoGenerator sig = new JcaSignerInfoGeneratorBuilder(new Precomputed(digestId, digest))
                    .setSignedAttributeGenerator(signedAttrs)
                    .setDirectSignature(false)
                    .setContentDigest(digestId)
                    .build(new TokenSigner(raw, algorithmIds.find(bcName(algorithm))), m.signer());
            CMSSignedDataGenerator gen = new CMSSignedDataGenerator();
            gen.addSignerInfoGenerator(sig);
            gen.addCertificates(m.certificates());
            return gen.generate(new CMSAbsentContent(), false);
        } catch (CMSException | OperatorCreationException | CertificateEncodingException | IOException e) {
            throw new SigningException(Reason.INTERNAL, "the CMS signature cannot be built: " + e.getMessage(), e);
        } catch (TokenFailure e) {
            throw e.cause;
        }
    }

    private static CMSSignedData addStamp(CMSSignedData cms, ASN1Encodable token) {
        SignerInformation si = cms.getSignerInfos().getSigners().iterator().next();
        AttributeTable unsigned = si.getUnsignedAttributes() == null ? new AttributeTable(new Hashtable<>())
                : si.getUnsignedAttributes();
        unsigned = unsigned.add(PKCSObjectIdentifiers.id_aa_signatureTimeStampToken, token);
        return CMSSignedData.replaceSigners(cms, new SignerInformationStore(SignerInformation.replaceUnsignedAttributes(si, unsigned)));
    }

    /**
     * An ASN.1 value standing in for a time stamp of {@code size} bytes: its encoding is exactly that
     * long, or one byte longer where a length-of-length boundary makes exactly impossible.
     */
    static ASN1Encodable fakeStamp(int size) {
        for (int extra = 0; extra <= 1; extra++) {
            for (int header = 2; header <= 6; header++) {
                DEROctetString s = new DEROctetString(new byte[Math.max(0, size + extra - header)]);
                try {
                    if (s.getEncoded().length == size + extra) {
                        return s;
                    }
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        throw new IllegalArgumentException("no encoding of " + size + " bytes");
    }

    /** The longest signature value the key can produce: RSA's modulus length, or ECDSA's DER maximum. */
    static int maxSignatureLength(PublicKey key) {
        if (key instanceof RSAPublicKey rsa) {
            return (rsa.getModulus().bitLength() + 7) / 8;
        }
        if (key instanceof ECPublicKey ec) {
            int n = (ec.getParams().getCurve().getField().getFieldSize() + 7) / 8;
            int inner = 2 * (n + 3); // two INTEGERs, each possibly with a leading zero byte
            return inner + (inner < 128 ? 2 : 3);
        }
        throw new IllegalArgumentException("unsupported key " + key.getAlgorithm());
    }

    private Material material(List<X509Certificate> chain) throws CertificateEncodingException, IOException {
        Material m = materials.get(chain);
        if (m == null) {
            if (materials.size() > 256) {
                materials.clear();
            }
            X509CertificateHolder signer = new X509CertificateHolder(chain.get(0).getEncoded());
            m = new Material(signer, new JcaCertStore(chain), signingCertificateV2(signer));
            materials.put(List.copyOf(chain), m);
        }
        return m;
    }

    /** ESS signing-certificate-v2 (RFC 5035) with SHA-256, binding the signer's certificate into the signature. */
    private static Attribute signingCertificateV2(X509CertificateHolder cert) throws IOException {
        byte[] hash;
        try {
            hash = MessageDigest.getInstance("SHA-256").digest(cert.getEncoded());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        IssuerSerial issuerSerial = new IssuerSerial(new GeneralNames(new GeneralName(cert.getIssuer())), cert.getSerialNumber());
        ESSCertIDv2 id = new ESSCertIDv2(new AlgorithmIdentifier(NISTObjectIdentifiers.id_sha256), hash, issuerSerial);
        return new Attribute(PKCSObjectIdentifiers.id_aa_signingCertificateV2,
                new DERSet(new SigningCertificateV2(new ESSCertIDv2[] { id })));
    }

    private static String bcName(SignatureAlgorithm a) {
        String d = a.digest().name();
        return switch (a.key()) {
            case EC -> d + "withECDSA";
            case RSA -> a.padding() == Padding.PSS ? d + "withRSAandMGF1" : d + "withRSA";
        };
    }

    /** Carries a token's SigningException through Bouncy Castle's ContentSigner, which cannot throw it. */
    private static final class TokenFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient SigningException cause;

        TokenFailure(SigningException cause) {
            super(cause.getMessage(), null, false, false);
            this.cause = cause;
        }
    }

    /** Bouncy Castle's view of the token: collects the signed attributes, then asks the token once. */
    private static final class TokenSigner implements ContentSigner {
        private final RawSigner raw;
        private final AlgorithmIdentifier algorithmId;
        private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(512);

        TokenSigner(RawSigner raw, AlgorithmIdentifier algorithmId) {
            this.raw = raw;
            this.algorithmId = algorithmId;
        }

        @Override
        public AlgorithmIdentifier getAlgorithmIdentifier() {
            return algorithmId;
        }

        @Override
        public OutputStream getOutputStream() {
            return buffer;
        }

        @Override
        public byte[] getSignature() {
            try {
                return raw.sign(buffer.toByteArray());
            } catch (SigningException e) {
                throw new TokenFailure(e);
            }
        }
    }

    /** The digest of the PDF's byte ranges, computed while PDFBox wrote them; nothing is hashed twice. */
    private record Precomputed(AlgorithmIdentifier algorithm, byte[] value) implements DigestCalculatorProvider {
        @Override
        public DigestCalculator get(AlgorithmIdentifier requested) throws OperatorCreationException {
            if (!requested.getAlgorithm().equals(algorithm.getAlgorithm())) {
                throw new OperatorCreationException("precomputed digest is " + algorithm.getAlgorithm() + ", not " + requested.getAlgorithm());
            }
            return new DigestCalculator() {
                @Override
                public AlgorithmIdentifier getAlgorithmIdentifier() {
                    return algorithm;
                }

                @Override
                public OutputStream getOutputStream() {
                    return OutputStream.nullOutputStream();
                }

                @Override
                public byte[] getDigest() {
                    return value.clone();
                }
            };
        }
    }
}
