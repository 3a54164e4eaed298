package org.sigillum.tsa.internal;

import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.List;

import org.sigillum.api.ActivationMode;
import org.sigillum.api.Pin;
import org.sigillum.api.SignatureAlgorithm;
import org.sigillum.api.SigningToken;
import org.sigillum.api.TokenState;
import org.sigillum.api.TokenStatus;

/** The TSA's key in the tests: a JCA private key behind the token interface, always available. */
record SoftTestToken(PrivateKey key, List<X509Certificate> certificateChain) implements SigningToken {

    @Override
    public String id() {
        return "tsa";
    }

    @Override
    public TokenStatus status() {
        return TokenStatus.of("tsa", ActivationMode.NONE, TokenState.AVAILABLE, "");
    }

    @Override
    public byte[] sign(byte[] data, SignatureAlgorithm alg, Pin pin) {
        try {
            Signature s = Signature.getInstance(alg.jcaName());
            s.initSign(key);
            s.update(data);
            return s.sign();
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public byte[] signDigest(byte[] digest, SignatureAlgorithm alg, Pin pin) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void activate(Pin pin) {
    }

    @Override
    public void deactivate() {
    }
}
