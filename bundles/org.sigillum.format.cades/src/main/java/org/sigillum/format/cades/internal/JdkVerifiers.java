package org.sigillum.format.cades.internal;

import java.io.OutputStream;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;

import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.operator.ContentVerifier;
import org.bouncycastle.operator.ContentVerifierProvider;
import org.bouncycastle.operator.DefaultAlgorithmNameFinder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.RuntimeOperatorException;

/** Signature checks on the JDK's providers for a known public key, one RSA operation each. */
final class JdkVerifiers implements ContentVerifierProvider {
    private final PublicKey key;
    private final DefaultAlgorithmNameFinder names;

    JdkVerifiers(PublicKey key, DefaultAlgorithmNameFinder names) {
        this.key = key;
        this.names = names;
    }

    @Override
    public boolean hasAssociatedCertificate() {
        return false;
    }

    @Override
    public X509CertificateHolder getAssociatedCertificate() {
        return null;
    }

    @Override
    public ContentVerifier get(AlgorithmIdentifier algorithm) throws OperatorCreationException {
        Signature sig;
        try {
            sig = Signature.getInstance(names.getAlgorithmName(algorithm.getAlgorithm()));
            sig.initVerify(key);
        } catch (GeneralSecurityException e) {
            throw new OperatorCreationException("cannot verify " + algorithm.getAlgorithm() + ": " + e.getMessage(), e);
        }
        OutputStream out = new OutputStream() {
            @Override
            public void write(int b) {
                write(new byte[] { (byte) b }, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                try {
                    sig.update(b, off, len);
                } catch (SignatureException e) {
                    throw new RuntimeOperatorException(e.getMessage(), e);
                }
            }
        };
        return new ContentVerifier() {
            @Override
            public AlgorithmIdentifier getAlgorithmIdentifier() {
                return algorithm;
            }

            @Override
            public OutputStream getOutputStream() {
                return out;
            }

            @Override
            public boolean verify(byte[] signature) {
                try {
                    return sig.verify(signature);
                } catch (SignatureException e) {
                    return false;
                }
            }
        };
    }
}
