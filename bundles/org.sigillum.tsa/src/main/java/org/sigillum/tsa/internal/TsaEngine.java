package org.sigillum.tsa.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.cert.X509Certificate;
import java.util.Date;
import java.util.List;
import java.util.Set;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.cmp.PKIFailureInfo;
import org.bouncycastle.asn1.cmp.PKIStatus;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.DefaultSignatureAlgorithmIdentifierFinder;
import org.bouncycastle.operator.DigestCalculatorProvider;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.bouncycastle.tsp.TimeStampRequest;
import org.bouncycastle.tsp.TimeStampResponseGenerator;
import org.bouncycastle.tsp.TimeStampTokenGenerator;
import org.sigillum.api.DigestAlgorithm;
import org.sigillum.api.KeyAlgorithm;
import org.sigillum.api.Padding;
import org.sigillum.api.SignatureAlgorithm;
import org.sigillum.api.SigningException;
import org.sigillum.api.SigningToken;

/**
 * The RFC 3161 server logic, independent of HTTP: a DER TimeStampReq in, a DER TimeStampResp out,
 * always (never an exception for what a client sent). Malformed requests get badDataFormat,
 * unsupported digests badAlg, other policies unacceptedPolicy, extensions unacceptedExtension;
 * a key that cannot sign gets systemFailure. The key stays on its SigningToken.
 */
final class TsaEngine {

    static final Set<ASN1ObjectIdentifier> DIGESTS = Set.of(NISTObjectIdentifiers.id_sha256, NISTObjectIdentifiers.id_sha384,
            NISTObjectIdentifiers.id_sha512);

    private final SigningToken token;
    private final ASN1ObjectIdentifier policy;
    private final int accuracyMillis;
    private final SerialNumbers serials;
    private final DigestCalculatorProvider digests;
    private final DefaultSignatureAlgorithmIdentifierFinder algorithms = new DefaultSignatureAlgorithmIdentifierFinder();

    TsaEngine(SigningToken token, String policy, int accuracyMillis, SerialNumbers serials) {
        this.token = token;
        this.policy = new ASN1ObjectIdentifier(policy);
        this.accuracyMillis = accuracyMillis;
        this.serials = serials;
        try {
            this.digests = new JcaDigestCalculatorProviderBuilder().build();
        } catch (org.bouncycastle.operator.OperatorCreationException e) {
            throw new IllegalStateException(e);
        }
    }

    SigningToken token() {
        return token;
    }

    byte[] respond(byte[] der) {
        TimeStampRequest request;
        try {
            request = new TimeStampRequest(der);
            if (request.getMessageImprintDigest() == null || request.getMessageImprintAlgOID() == null) {
                return failure(PKIFailureInfo.badDataFormat, "no message imprint");
            }
        } catch (IOException | RuntimeException e) {
            return failure(PKIFailureInfo.badDataFormat, "not a time-stamp request");
        }
        try {
            TimeStampResponseGenerator gen = new TimeStampResponseGenerator(generator(), DIGESTS, Set.of(policy), Set.of());
            // generate() answers a request it cannot accept with the fitting status and failure info.
            return gen.generate(request, serials.next(), new Date()).getEncoded();
        } catch (SigningException e) {
            return failure(PKIFailureInfo.systemFailure, "the time-stamp key is not available");
        } catch (Exception e) {
            return failure(PKIFailureInfo.systemFailure, "internal error");
        }
    }

    private TimeStampTokenGenerator generator() throws Exception {
        List<X509Certificate> chain = token.certificateChain();
        X509Certificate cert = chain.get(0);
        SignatureAlgorithm alg = new SignatureAlgorithm(KeyAlgorithm.of(cert.getPublicKey()), DigestAlgorithm.SHA256,
                Padding.PKCS1_V1_5);
        ContentSigner signer = new TokenSigner(token, alg, algorithms.find(alg.toString().replace("/PSS", "")));
        TimeStampTokenGenerator gen = new TimeStampTokenGenerator(new JcaSignerInfoGeneratorBuilder(digests).build(signer, cert),
                digests.get(new AlgorithmIdentifier(NISTObjectIdentifiers.id_sha256)), policy);
        gen.addCertificates(new JcaCertStore(chain));
        if (accuracyMillis > 0) {
            if (accuracyMillis % 1000 > 0) {
                gen.setAccuracyMillis(accuracyMillis % 1000);
            }
            if (accuracyMillis >= 1000) {
                gen.setAccuracySeconds(accuracyMillis / 1000);
            }
        }
        return gen;
    }

    static byte[] failure(int failInfo, String text) {
        try {
            return new TimeStampResponseGenerator(null, null).generateFailResponse(PKIStatus.REJECTION, failInfo, text).getEncoded();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Bouncy Castle's view of the token: the key never leaves it. */
    private record TokenSigner(SigningToken token, SignatureAlgorithm alg, AlgorithmIdentifier id, ByteArrayOutputStream buffer)
            implements ContentSigner {
        TokenSigner(SigningToken token, SignatureAlgorithm alg, AlgorithmIdentifier id) {
            this(token, alg, id, new ByteArrayOutputStream(256));
        }

        @Override
        public AlgorithmIdentifier getAlgorithmIdentifier() {
            return id;
        }

        @Override
        public OutputStream getOutputStream() {
            return buffer;
        }

        @Override
        public byte[] getSignature() {
            try {
                return token.sign(buffer.toByteArray(), alg, null);
            } catch (SigningException e) {
                throw new IllegalStateException("time-stamp key: " + e.getMessage(), e);
            }
        }
    }
}
