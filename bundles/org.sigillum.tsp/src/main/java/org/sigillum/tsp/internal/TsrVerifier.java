package org.sigillum.tsp.internal;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.operator.DefaultAlgorithmNameFinder;
import org.bouncycastle.tsp.TimeStampResponse;
import org.bouncycastle.tsp.TimeStampToken;
import org.bouncycastle.util.Store;
import org.osgi.service.component.annotations.Component;
import org.sigillum.api.Content;
import org.sigillum.api.Document;
import org.sigillum.api.FormatSigner;
import org.sigillum.api.FormatVerifier;
import org.sigillum.api.Reason;
import org.sigillum.api.SignatureVerdict;
import org.sigillum.api.SigningException;

/**
 * Checks an RFC 3161 response file ({@code .tsr}, as {@code openssl ts -reply} and
 * {@code ./sigillum timestamp} write it) against the data it claims to cover: the imprint, the
 * token's signature and the TSA certificate's timeStamping EKU. Whether the TSA is trusted is the
 * core's path check, at the stamp's time.
 */
@Component(property = FormatSigner.FORMAT_PROPERTY + "=tsr")
public class TsrVerifier implements FormatVerifier {

    private static final int MAX = 1024 * 1024;

    /** A TimeStampResp is a SEQUENCE whose first element is a SEQUENCE (PKIStatusInfo), unlike CMS's OID. */
    @Override
    public boolean accepts(Document signed) {
        try (InputStream in = signed.content().openStream()) {
            byte[] b = in.readNBytes(8);
            if (b.length < 4 || b[0] != 0x30) {
                return false;
            }
            int off = (b[1] & 0x80) == 0 ? 2 : 2 + (b[1] & 0x7f);
            return off < b.length && b[off] == 0x30;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public List<SignatureVerdict> verify(Document signed, Optional<Content> detachedData) throws SigningException {
        if (detachedData.isEmpty()) {
            throw new SigningException(Reason.BAD_REQUEST, signed.name() + " is a time stamp: give the file it covers (--data FILE)");
        }
        TimeStampToken token;
        try {
            if (signed.content().size() > MAX) {
                throw new SigningException(Reason.BAD_INPUT, signed.name() + " is too large for a time-stamp response");
            }
            TimeStampResponse resp = new TimeStampResponse(signed.content().bytes());
            token = resp.getTimeStampToken();
            if (token == null) {
                throw new SigningException(Reason.BAD_INPUT, signed.name() + " holds no time stamp (status " + resp.getStatus()
                        + (resp.getStatusString() == null ? "" : ": " + resp.getStatusString()) + ")");
            }
        } catch (IOException | org.bouncycastle.tsp.TSPException | RuntimeException e) {
            throw new SigningException(Reason.BAD_INPUT, signed.name() + " is not a readable time-stamp response: " + e.getMessage(), e);
        }
        Instant genTime = token.getTimeStampInfo().getGenTime().toInstant();
        List<X509Certificate> chain;
        try {
            chain = chain(token);
        } catch (Exception e) {
            return List.of(fail(List.of(), "the TSA certificate cannot be read: " + e.getMessage()));
        }
        if (chain.isEmpty()) {
            return List.of(fail(chain, "the time stamp does not carry its TSA certificate"));
        }
        try (InputStream in = detachedData.get().openStream()) {
            String alg = new DefaultAlgorithmNameFinder().getAlgorithmName(token.getTimeStampInfo().getMessageImprintAlgOID());
            MessageDigest md = MessageDigest.getInstance(alg);
            byte[] buf = new byte[256 * 1024];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
            if (!Arrays.equals(md.digest(), token.getTimeStampInfo().getMessageImprintDigest())) {
                return List.of(fail(chain, "the time stamp covers other data than the given file"));
            }
        } catch (IOException e) {
            throw new SigningException(Reason.IO_ERROR, "the data cannot be read: " + e.getMessage(), e);
        } catch (java.security.NoSuchAlgorithmException e) {
            return List.of(fail(chain, "the time stamp uses an unknown digest"));
        }
        try {
            // Also requires the critical timeStamping EKU on the TSA certificate.
            token.validate(new JcaSimpleSignerInfoVerifierBuilder().build(chain.get(0)));
        } catch (Exception e) {
            return List.of(fail(chain, "the time stamp does not verify: " + e.getMessage()));
        }
        return List.of(new SignatureVerdict(true, chain, Optional.of(genTime), Optional.of(genTime), Optional.empty(), null, chain));
    }

    private static SignatureVerdict fail(List<X509Certificate> chain, String problem) {
        return new SignatureVerdict(false, chain, Optional.empty(), Optional.empty(), problem);
    }

    /** The TSA certificate first, then the other certificates the token carries. */
    private static List<X509Certificate> chain(TimeStampToken token) throws Exception {
        JcaX509CertificateConverter conv = new JcaX509CertificateConverter();
        Store<X509CertificateHolder> store = token.getCertificates();
        @SuppressWarnings("unchecked")
        Collection<X509CertificateHolder> named = store.getMatches(token.getSID());
        List<X509Certificate> out = new ArrayList<>();
        if (named.isEmpty()) {
            return out;
        }
        X509CertificateHolder tsa = named.iterator().next();
        out.add(conv.getCertificate(tsa));
        for (X509CertificateHolder h : store.getMatches(null)) {
            if (!h.equals(tsa)) {
                out.add(conv.getCertificate(h));
            }
        }
        return out;
    }
}
