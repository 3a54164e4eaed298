package org.sigillum.tsp.internal;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.net.URI;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.tsp.TimeStampRequest;
import org.bouncycastle.tsp.TimeStampRequestGenerator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sigillum.api.Content;
import org.sigillum.api.Document;
import org.sigillum.api.Reason;
import org.sigillum.api.SigningException;
import org.sigillum.fuzz.Fuzz;
import org.sigillum.fuzz.Mutator;

/**
 * Mutated RFC 3161 replies from an independent TSA (openssl ts -reply): the client either accepts a
 * stamp or reports the authority unavailable, and the .tsr verifier either gives a verdict or
 * BAD_INPUT; never another exception, always quickly. Both still accept the good reply afterwards.
 */
class TspFuzzTest {

    @TempDir
    static Path tmp;
    static OpensslTsa tsa;
    static TimeStampRequest request;
    static byte[] data = "the document's signature value".getBytes();
    static List<byte[]> replies;

    @BeforeAll
    static void replies() throws Exception {
        tsa = new OpensslTsa(tmp, "Fuzz");
        byte[] imprint = MessageDigest.getInstance("SHA-256").digest(data);
        TimeStampRequestGenerator g = new TimeStampRequestGenerator();
        g.setCertReq(true);
        // The client's own kind of request: SHA-256 imprint, nonce and certReq.
        request = g.generate(new ASN1ObjectIdentifier("2.16.840.1.101.3.4.2.1"), imprint, BigInteger.valueOf(0x5eed5eed5eedL));
        TimeStampRequestGenerator policy = new TimeStampRequestGenerator();
        policy.setReqPolicy(new ASN1ObjectIdentifier("1.2.3.9")); // not one of openssl's: a rejection
        replies = List.of(tsa.reply(request.getEncoded()),
                tsa.reply(policy.generate(new ASN1ObjectIdentifier("2.16.840.1.101.3.4.2.1"), imprint).getEncoded()));
    }

    @Test
    void theClientAcceptsAStampOrCallsTheAuthorityUnavailable() throws Exception {
        Rfc3161Client client = new Rfc3161Client(new Rfc3161Client.Settings("fuzz", URI.create("http://127.0.0.1:9/"), Optional.empty(),
                Duration.ofSeconds(1), Optional.empty(), Optional.empty(), () -> {
                    try {
                        return Pem.anchors(tsa.rootPem);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }, Duration.ofSeconds(600), Duration.ofSeconds(60)), Clock.systemUTC());
        Fuzz.run("tsp-reply", new Mutator(replies), Mutator.seed(3161), Mutator.count(3000),
                new Fuzz.Limits(Duration.ofSeconds(5), 16L << 20, Duration.ofSeconds(60)), input -> client.check(request, input),
                t -> t instanceof SigningException e && e.reason() == Reason.TSA_UNAVAILABLE);
        assertTrue(client.check(request, replies.get(0)).encoded().length > 0, "the good reply still counts after the fuzzing");
    }

    @Test
    void theTsrVerifierGivesAVerdictOrBadInput() throws Exception {
        TsrVerifier verifier = new TsrVerifier();
        Fuzz.run("tsr", new Mutator(replies), Mutator.seed(4998), Mutator.count(3000),
                new Fuzz.Limits(Duration.ofSeconds(5), 16L << 20, Duration.ofSeconds(60)),
                input -> verifier.verify(new Document("fuzz.tsr", Content.of(input)), Optional.of(Content.of(data))),
                t -> t instanceof SigningException e && e.reason() == Reason.BAD_INPUT);
        assertTrue(verifier.verify(new Document("good.tsr", Content.of(replies.get(0))), Optional.of(Content.of(data))).get(0).intact(),
                "the good reply still verifies after the fuzzing");
    }
}
