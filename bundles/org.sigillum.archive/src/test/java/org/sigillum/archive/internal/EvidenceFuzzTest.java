package org.sigillum.archive.internal;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sigillum.api.ArchiveProof;
import org.sigillum.api.Content;
import org.sigillum.api.DigestAlgorithm;
import org.sigillum.fuzz.Fuzz;
import org.sigillum.fuzz.Mutator;

/**
 * Mutated RFC 4998 evidence records (one stamp, and a stamp with a time-stamp renewal) through the
 * archive's verifier: every one ends in a proof, valid or not with its reasons, never an exception,
 * within a bounded time and allocation; the good records still verify afterwards.
 */
class EvidenceFuzzTest {

    @TempDir
    Path tmp;

    private final byte[] document = "Vertrag Nr. 4998".getBytes();
    private final byte[] signature = "a detached signature of it".getBytes();

    @Test
    void everyMutatedRecordEndsInAProof() throws Exception {
        TestTsa tsa = new TestTsa();
        Path anchors = Files.createDirectories(tmp.resolve("anchors"));
        Files.writeString(anchors.resolve("tsa.pem"), "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder().encodeToString(tsa.certificate.getEncoded()) + "\n-----END CERTIFICATE-----\n");
        Verifier verifier = new Verifier(anchors);

        MessageDigest md = MessageDigest.getInstance("SHA-256");
        byte[][] group = { md.digest(document), md.digest(signature) };
        // The group's leaf in a tree of four: two siblings up to the root, as Evidence.chain gets them.
        List<byte[]> path = List.of(md.digest("left".getBytes()), md.digest("upper".getBytes()));
        byte[] root = HashTree.hashSorted(md, HashTree.hashSorted(md, HashTree.leaf(md, group), path.get(0)), path.get(1));
        byte[] seal = tsa.timeStamp(DigestAlgorithm.SHA256, root).encoded();
        byte[] renewal = tsa.timeStamp(DigestAlgorithm.SHA256, Evidence.renewalImprint("SHA-256", List.of(seal))).encoded();
        List<byte[]> samples = List.of(
                Evidence.record(List.of("SHA-256"), List.of(Evidence.chain("SHA-256", group, path, List.of(seal)))),
                Evidence.record(List.of("SHA-256"), List.of(Evidence.chain("SHA-256", group, path, List.of(seal, renewal)))));
        for (byte[] good : samples) {
            ArchiveProof p = verifier.verify(good, Content.of(document), Content.of(signature));
            assertTrue(p.valid(), "the samples are good records: " + p.lines());
        }

        Fuzz.run("evidence-record", new Mutator(samples), Mutator.seed(4998), Mutator.count(3000),
                new Fuzz.Limits(Duration.ofSeconds(5), 32L << 20, Duration.ofSeconds(60)),
                input -> verifier.verify(input, Content.of(document), Content.of(signature)), t -> false);

        for (byte[] good : samples) {
            assertTrue(verifier.verify(good, Content.of(document), Content.of(signature)).valid(), "still valid after the fuzzing");
        }
    }
}
