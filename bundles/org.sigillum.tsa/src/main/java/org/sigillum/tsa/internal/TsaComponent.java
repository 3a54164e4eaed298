package org.sigillum.tsa.internal;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.cmp.PKIStatus;
import org.bouncycastle.tsp.TimeStampRequest;
import org.bouncycastle.tsp.TimeStampRequestGenerator;
import org.bouncycastle.tsp.TimeStampResponse;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;
import org.sigillum.api.DigestAlgorithm;
import org.sigillum.api.Reason;
import org.sigillum.api.SigningException;
import org.sigillum.api.SigningToken;
import org.sigillum.api.TimeStamp;
import org.sigillum.api.TimeStampSource;

/**
 * The built-in TSA ({@code etc/org.sigillum.tsa.cfg}). It serves the RFC 3161 engine to the HTTP
 * channel and is itself a TimeStampSource, so profiles can stamp with it without a network hop.
 */
@Component(service = { TimeStampSource.class, TsaComponent.class }, configurationPid = "org.sigillum.tsa",
        configurationPolicy = ConfigurationPolicy.REQUIRE, property = "name=builtin")
@Designate(ocd = TsaConfig.class)
public class TsaComponent implements TimeStampSource {

    private final List<SigningToken> tokens = new CopyOnWriteArrayList<>();
    private final TsaConfig config;
    private final SerialNumbers serials;
    private final SecureRandom random = new SecureRandom();

    @Activate
    public TsaComponent(BundleContext context, TsaConfig config) throws IOException {
        this.config = config;
        String h = context.getProperty("sigillum.home");
        this.serials = new SerialNumbers(Path.of(h == null ? "." : h).toAbsolutePath().resolve(config.serialFile()));
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void addToken(SigningToken token) {
        tokens.add(token);
    }

    void removeToken(SigningToken token) {
        tokens.remove(token);
    }

    private volatile TsaEngine engine;

    /** The engine with the configured token (kept while that token stays), or null while it is not installed. */
    TsaEngine engine() {
        TsaEngine e = engine;
        if (e != null && tokens.contains(e.token())) {
            return e;
        }
        for (SigningToken t : tokens) {
            if (t.id().equals(config.token())) {
                e = new TsaEngine(t, config.policy(), config.accuracyMillis(), serials);
                engine = e;
                return e;
            }
        }
        return null;
    }

    /** An RFC 3161 answer for a DER request, whatever it holds. */
    byte[] respond(byte[] request) {
        TsaEngine e = engine();
        return e == null ? TsaEngine.failure(org.bouncycastle.asn1.cmp.PKIFailureInfo.systemFailure, "the time-stamp key is not available")
                : e.respond(request);
    }

    @Override
    public TimeStamp timeStamp(DigestAlgorithm digest, byte[] messageImprint) throws SigningException {
        TimeStampRequestGenerator g = new TimeStampRequestGenerator();
        g.setCertReq(true);
        TimeStampRequest req = g.generate(new ASN1ObjectIdentifier(digest.oid()), messageImprint, new BigInteger(63, random));
        try {
            TimeStampResponse resp = new TimeStampResponse(respond(req.getEncoded()));
            if (resp.getStatus() != PKIStatus.GRANTED) {
                throw new SigningException(Reason.TSA_UNAVAILABLE, "built-in TSA " + config.name() + ": " + resp.getStatusString());
            }
            resp.validate(req);
            var token = resp.getTimeStampToken();
            return new TimeStamp(token.getEncoded(), token.getTimeStampInfo().getGenTime().toInstant(), config.name());
        } catch (IOException | org.bouncycastle.tsp.TSPException e) {
            throw new SigningException(Reason.TSA_UNAVAILABLE, "built-in TSA " + config.name() + ": " + e.getMessage(), e);
        }
    }
}
