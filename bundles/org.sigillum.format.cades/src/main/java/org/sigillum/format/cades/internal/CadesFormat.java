package org.sigillum.format.cades.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.Optional;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.cms.CMSObjectIdentifiers;
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
import org.bouncycastle.cms.CMSTypedData;
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
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.osgi.service.component.annotations.Component;
import org.sigillum.api.Content;
import org.sigillum.api.Document;
import org.sigillum.api.FormatOutput;
import org.sigillum.api.FormatSigner;
import org.sigillum.api.FormatVerifier;
import org.sigillum.api.Packaging;
import org.sigillum.api.Reason;
import org.sigillum.api.SignatureAlgorithm;
import org.sigillum.api.SignatureContext;
import org.sigillum.api.SignatureCreator;
import org.sigillum.api.SignatureLevel;
import org.sigillum.api.SignatureVerdict;
import org.sigillum.api.SigningException;
import org.sigillum.api.TimeStamp;

/**
 * CAdES baseline signatures (ETSI EN 319 122-1) over any file: detached ({@code .p7s}) or
 * enveloping ({@code .p7m}). Signed attributes: content-type, message-digest, signing-time and
 * signing-certificate-v2; at level T the signature-time-stamp goes into the unsigned attributes.
 * Digests run on the JDK's provider (Bouncy Castle's SHA-256 is several times slower).
 */
@Component(service = { FormatSigner.class, FormatVerifier.class }, property = FormatSigner.FORMAT_PROPERTY + "=cades")
public class CadesFormat implements FormatSigner, FormatVerifier {

    private final java.security.Provider bc = new org.bouncycastle.jce.provider.BouncyCastleProvider();
    private final CmsReader reader = new CmsReader(bc);
    private final DefaultSignatureAlgorithmIdentifierFinder algorithmIds = new DefaultSignatureAlgorithmIdentifierFinder();

    @Override
    public FormatOutput sign(Document document, SignatureContext context) throws SigningException {
        var params = context.parameters();
        if (params.level().includes(SignatureLevel.B_LT)) {
            throw new SigningException(Reason.BAD_REQUEST, "CAdES level " + params.level() + " is not available yet (B and T are)");
        }
        SignatureCreator creator = context.creator();
        List<X509Certificate> chain = creator.certificateChain();
        boolean detached = params.packaging() == Packaging.DETACHED;
        if (!detached && document.content().size() > MAX_ENVELOPING) {
            throw new SigningException(Reason.BAD_REQUEST, document.name() + " is " + document.content().size() / (1024 * 1024)
                    + " MB; enveloping (.p7m) signatures are limited to " + MAX_ENVELOPING / (1024 * 1024)
                    + " MB because they are built in memory: sign it detached");
        }
        try {
            TokenContentSigner contentSigner = new TokenContentSigner(creator, algorithmIds);
            Hashtable<ASN1ObjectIdentifier, Attribute> attrs = new Hashtable<>();
            attrs.put(CMSAttributes.signingTime,
                    new Attribute(CMSAttributes.signingTime, new DERSet(Asn1Times.time(params.signingTime()))));
            SignerMaterial m = material(chain);
            attrs.put(m.signingCertificate().getAttrType(), m.signingCertificate());
            CMSAttributeTableGenerator signedAttrs = new DefaultSignedAttributeTableGenerator(new AttributeTable(attrs));
            // A detached signature never needs the document itself when the core already hashed it.
            java.util.Optional<byte[]> digest = detached ? document.content().knownDigest(params.digest())
                    : java.util.Optional.empty();
            DigestCalculatorProvider digests = digest.isPresent()
                    ? new PrecomputedDigest(digestAlgorithm(creator.algorithm()), digest.get())
                    : new JcaDigestCalculatorProviderBuilder().build();
            SignerInfoGenerator sig = new JcaSignerInfoGeneratorBuilder(digests)
                    .setSignedAttributeGenerator(signedAttrs)
                    .setDirectSignature(false)
                    .setContentDigest(digestAlgorithm(creator.algorithm()))
                    .build(contentSigner, m.signer());
            CMSSignedDataGenerator gen = new CMSSignedDataGenerator();
            gen.addSignerInfoGenerator(sig);
            gen.addCertificates(m.certificates());
            CMSTypedData content = digest.isPresent() ? new CMSAbsentContent() : new StreamedContent(document.content());
            CMSSignedData signed = gen.generate(content, !detached);
            if (!detached) {
                sameAsTheCoreRead(signed, document, params.digest());
            }
            if (params.level().includes(SignatureLevel.B_T)) {
                signed = addSignatureTimeStamp(signed, context);
            }
            SignerInformation si = signed.getSignerInfos().getSigners().iterator().next();
            String name = document.name() + (detached ? ".p7s" : ".p7m");
            return new FormatOutput(name, Content.of(signed.getEncoded("DER")), si.getSignature());
        } catch (CMSException e) {
            if (e.getCause() instanceof IOException io) {
                throw new SigningException(Reason.IO_ERROR, "the document cannot be read: " + io.getMessage(), e);
            }
            throw new SigningException(Reason.INTERNAL, "CMS signature could not be built: " + e.getMessage(), e);
        } catch (OperatorCreationException | CertificateEncodingException | IOException e) {
            throw new SigningException(Reason.INTERNAL, "CMS signature could not be built: " + e.getMessage(), e);
        } catch (TokenFailure e) {
            throw e.cause;
        }
    }

    /**
     * What a chain contributes to every signature: its encoded certificates and the
     * signing-certificate-v2 attribute. Every document of a token has the same chain, so this is
     * built once per chain rather than parsed and hashed again per signature.
     */
    private record SignerMaterial(X509CertificateHolder signer, org.bouncycastle.util.Store<X509CertificateHolder> certificates,
            Attribute signingCertificate) {
    }

    private final java.util.Map<List<X509Certificate>, SignerMaterial> materials = new java.util.concurrent.ConcurrentHashMap<>();

    private SignerMaterial material(List<X509Certificate> chain) throws CertificateEncodingException, IOException {
        SignerMaterial m = materials.get(chain);
        if (m == null) {
            if (materials.size() > 256) {
                materials.clear();
            }
            m = new SignerMaterial(new X509CertificateHolder(chain.get(0).getEncoded()), new JcaCertStore(chain),
                    signingCertificateV2(chain.get(0)));
            materials.put(List.copyOf(chain), m);
        }
        return m;
    }

    /** Enveloped content is built in memory (and read back by the check); larger files go detached. */
    static final long MAX_ENVELOPING = 64L * 1024 * 1024;

    /**
     * An enveloping signature reads the document itself. If the core hashed it before (a file too
     * large to keep in memory), both reads must agree, or the file changed while being signed.
     */
    private static void sameAsTheCoreRead(CMSSignedData signed, Document document, org.sigillum.api.DigestAlgorithm digest)
            throws SigningException {
        java.util.Optional<byte[]> known = document.content().knownDigest(digest);
        if (known.isEmpty()) {
            return;
        }
        SignerInformation si = signed.getSignerInfos().getSigners().iterator().next();
        Attribute md = si.getSignedAttributes().get(CMSAttributes.messageDigest);
        byte[] signedDigest = org.bouncycastle.asn1.ASN1OctetString.getInstance(md.getAttrValues().getObjectAt(0)).getOctets();
        if (!java.util.Arrays.equals(known.get(), signedDigest)) {
            throw new SigningException(Reason.BAD_INPUT, document.name() + " changed while it was being signed");
        }
    }

    private static AlgorithmIdentifier digestAlgorithm(SignatureAlgorithm alg) {
        ASN1ObjectIdentifier oid = new ASN1ObjectIdentifier(alg.digest().oid());
        return new AlgorithmIdentifier(oid);
    }

    /** ESS signing-certificate-v2 with SHA-256 (RFC 5035), binding the signer's certificate into the signature. */
    private static Attribute signingCertificateV2(X509Certificate cert) throws CertificateEncodingException, IOException {
        byte[] hash = sha256(cert.getEncoded());
        X509CertificateHolder holder = new X509CertificateHolder(cert.getEncoded());
        IssuerSerial issuerSerial = new IssuerSerial(new GeneralNames(new GeneralName(holder.getIssuer())),
                holder.getSerialNumber());
        ESSCertIDv2 id = new ESSCertIDv2(new AlgorithmIdentifier(NISTObjectIdentifiers.id_sha256), hash, issuerSerial);
        return new Attribute(PKCSObjectIdentifiers.id_aa_signingCertificateV2,
                new DERSet(new SigningCertificateV2(new ESSCertIDv2[] { id })));
    }

    private static CMSSignedData addSignatureTimeStamp(CMSSignedData signed, SignatureContext context) throws SigningException {
        var source = context.timeStamps().orElseThrow(() -> new SigningException(Reason.TSA_UNAVAILABLE,
                "level T needs a time-stamp authority, and none is configured"));
        List<SignerInformation> out = new ArrayList<>();
        for (SignerInformation si : signed.getSignerInfos().getSigners()) {
            var digest = context.parameters().digest();
            byte[] imprint;
            try {
                imprint = MessageDigest.getInstance(digest.jcaName()).digest(si.getSignature());
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
            TimeStamp ts = source.timeStamp(digest, imprint);
            org.bouncycastle.asn1.ASN1Primitive token;
            try {
                token = org.bouncycastle.asn1.ASN1Primitive.fromByteArray(ts.encoded());
            } catch (IOException e) {
                throw new SigningException(Reason.TSA_UNAVAILABLE, "the time stamp from " + ts.authority() + " cannot be parsed", e);
            }
            AttributeTable unsigned = si.getUnsignedAttributes() == null ? new AttributeTable(new Hashtable<>())
                    : si.getUnsignedAttributes();
            // add() wraps the value in the attribute's SET itself.
            unsigned = unsigned.add(PKCSObjectIdentifiers.id_aa_signatureTimeStampToken, token);
            out.add(SignerInformation.replaceUnsignedAttributes(si, unsigned));
        }
        return CMSSignedData.replaceSigners(signed, new SignerInformationStore(out));
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    // --- verification -----------------------------------------------------------------------

    @Override
    public boolean accepts(Document signed) {
        try (InputStream in = signed.content().openStream()) {
            byte[] head = in.readNBytes(32);
            return CmsReader.looksLikeCms(head);
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public List<SignatureVerdict> verify(Document signed, Optional<Content> detachedData) throws SigningException {
        return reader.verify(signed, detachedData);
    }


    /** Carries a token's SigningException through Bouncy Castle's ContentSigner, which cannot throw it. */
    static final class TokenFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient SigningException cause;

        TokenFailure(SigningException cause) {
            super(cause.getMessage(), null, false, false);
            this.cause = cause;
        }
    }

    /** Bouncy Castle's view of our token: collects the signed attributes, then asks the token once. */
    static final class TokenContentSigner implements ContentSigner {
        private final SignatureCreator creator;
        private final AlgorithmIdentifier algorithmId;
        private final java.io.ByteArrayOutputStream buffer = new java.io.ByteArrayOutputStream(512);

        TokenContentSigner(SignatureCreator creator, DefaultSignatureAlgorithmIdentifierFinder algorithmIds) {
            this.creator = creator;
            this.algorithmId = algorithmIds.find(bcName(creator.algorithm()));
        }

        private static String bcName(SignatureAlgorithm a) {
            String d = a.digest().name();
            return switch (a.key()) {
                case EC -> d + "withECDSA";
                case RSA -> a.padding() == org.sigillum.api.Padding.PSS ? d + "withRSAandMGF1" : d + "withRSA";
            };
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
                return creator.sign(buffer.toByteArray());
            } catch (SigningException e) {
                throw new TokenFailure(e);
            }
        }
    }


    /**
     * Hands Bouncy Castle the digest the core computed; the content stream it would hash is empty
     * (CMSAbsentContent), so the document is not read a second time.
     */
    private record PrecomputedDigest(AlgorithmIdentifier algorithm, byte[] value) implements DigestCalculatorProvider {
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
