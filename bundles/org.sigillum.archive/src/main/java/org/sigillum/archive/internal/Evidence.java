package org.sigillum.archive.internal;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.cms.ContentInfo;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.tsp.ArchiveTimeStamp;
import org.bouncycastle.asn1.tsp.ArchiveTimeStampChain;
import org.bouncycastle.asn1.tsp.ArchiveTimeStampSequence;
import org.bouncycastle.asn1.tsp.EvidenceRecord;
import org.bouncycastle.asn1.tsp.PartialHashtree;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;

/** Builds the DER {@code EvidenceRecord} (RFC 4998 §3) for one data-object group of a sealed tree. */
final class Evidence {
    private Evidence() {
    }

    static AlgorithmIdentifier algorithm(String digest) {
        ASN1ObjectIdentifier oid = switch (digest) {
            case "SHA-256" -> NISTObjectIdentifiers.id_sha256;
            case "SHA-384" -> NISTObjectIdentifiers.id_sha384;
            case "SHA-512" -> NISTObjectIdentifiers.id_sha512;
            default -> throw new IllegalArgumentException("unsupported archive digest " + digest);
        };
        return new AlgorithmIdentifier(oid);
    }

    static String name(AlgorithmIdentifier alg) {
        ASN1ObjectIdentifier oid = alg.getAlgorithm();
        if (oid.equals(NISTObjectIdentifiers.id_sha256)) {
            return "SHA-256";
        }
        if (oid.equals(NISTObjectIdentifiers.id_sha384)) {
            return "SHA-384";
        }
        if (oid.equals(NISTObjectIdentifiers.id_sha512)) {
            return "SHA-512";
        }
        throw new IllegalArgumentException("unsupported digest " + oid);
    }

    /** What a time-stamp renewal of a chain stamps: the hash of its stamps' hashes, or the one hash. */
    static byte[] renewalImprint(String digest, List<byte[]> stamps) throws IOException {
        try {
            java.security.MessageDigest md = java.security.MessageDigest.getInstance(digest);
            byte[][] hashes = new byte[stamps.size()][];
            for (int i = 0; i < hashes.length; i++) {
                hashes[i] = md.digest(ContentInfo.getInstance(stamps.get(i)).getEncoded("DER"));
            }
            return hashes.length == 1 ? hashes[0] : HashTree.hashSorted(md, hashes);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IOException(e);
        }
    }

    /**
     * One archive-time-stamp chain for a data-object group of one tree.
     *
     * @param group the data-object group's hashes as the tree holds them (document, then signature if any)
     * @param path the sibling at each level up to the root ({@link HashTree#path})
     * @param stamps the tree's time-stamp tokens, oldest first (time-stamp renewals follow the seal)
     */
    static ArchiveTimeStampChain chain(String digest, byte[][] group, List<byte[]> path, List<byte[]> stamps) throws IOException {
        AlgorithmIdentifier alg = algorithm(digest);
        List<PartialHashtree> reduced = new ArrayList<>();
        reduced.add(new PartialHashtree(group));
        for (byte[] sibling : path) {
            reduced.add(new PartialHashtree(sibling));
        }
        List<ArchiveTimeStamp> chain = new ArrayList<>();
        java.security.MessageDigest md;
        try {
            md = java.security.MessageDigest.getInstance(digest);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IOException(e);
        }
        List<byte[]> previous = new ArrayList<>();
        for (int i = 0; i < stamps.size(); i++) {
            ContentInfo tst = ContentInfo.getInstance(stamps.get(i));
            // The first stamp carries the document's reduced hash tree; a renewal (§5.2) stamps the
            // stamps before it in the chain: one list of their hashes, as Bouncy Castle checks it.
            chain.add(i == 0 ? new ArchiveTimeStamp(alg, reduced.toArray(PartialHashtree[]::new), tst)
                    : new ArchiveTimeStamp(alg, new PartialHashtree[] { new PartialHashtree(previous.toArray(byte[][]::new)) }, tst));
            previous.add(md.digest(tst.getEncoded("DER")));
        }
        return new ArchiveTimeStampChain(chain.toArray(ArchiveTimeStamp[]::new));
    }

    /**
     * RFC 4998 §5.3: what a hash-tree renewal hashes with a data object's new hash, the hash (in the
     * new digest) of the DER sequence of every chain so far.
     */
    static byte[] chainsHash(java.security.MessageDigest md, List<ArchiveTimeStampChain> chains) throws IOException {
        return md.digest(new ArchiveTimeStampSequence(chains.toArray(ArchiveTimeStampChain[]::new)).getEncoded("DER"));
    }

    /** h(i)' = H(h(i) + ha(i)) of RFC 4998 §5.3 step 4, the order Bouncy Castle and DSS check. */
    static byte[] renewed(java.security.MessageDigest md, byte[] hash, byte[] chainsHash) {
        md.update(hash);
        return md.digest(chainsHash);
    }

    /** The DER {@code EvidenceRecord} with these chains (oldest first), each in its own digest. */
    static byte[] record(List<String> digests, List<ArchiveTimeStampChain> chains) throws IOException {
        AlgorithmIdentifier[] algs = digests.stream().distinct().map(Evidence::algorithm).toArray(AlgorithmIdentifier[]::new);
        ArchiveTimeStampSequence seq = new ArchiveTimeStampSequence(chains.toArray(ArchiveTimeStampChain[]::new));
        return new EvidenceRecord(algs, null, null, seq).getEncoded("DER");
    }
}
