package org.sigillum.archive.internal;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An RFC 4998 hash tree over data-object groups, binary and left-weighted: a leaf is the hash of the
 * sorted concatenation of its group's hashes (§4.2: a document and its signature), or the one hash
 * itself for a group of one; each node is the hash of its two children in binary ascending order;
 * an odd node at the end of a level moves up unchanged. That is the shape Bouncy Castle's and EU
 * DSS's verifiers recompute, one sibling per level. Levels are kept as flat byte arrays: a tree of a
 * million leaves is about 2 × 32 MB while it is built.
 */
final class HashTree {
    private final String digest;
    private final int size;
    /** levels[0] are the leaves, the last level holds the root alone. */
    private final byte[][] levels;

    private HashTree(String digest, int size, byte[][] levels) {
        this.digest = digest;
        this.size = size;
        this.levels = levels;
    }

    /** A tree over ready leaf values (each as long as the digest, concatenated). */
    static HashTree build(String digest, byte[] leaves) throws NoSuchAlgorithmException {
        MessageDigest md = MessageDigest.getInstance(digest);
        int size = md.getDigestLength();
        if (leaves.length == 0 || leaves.length % size != 0) {
            throw new IllegalArgumentException("a tree needs at least one leaf of " + size + " bytes");
        }
        List<byte[]> levels = new ArrayList<>();
        levels.add(leaves);
        byte[] level = leaves;
        byte[] a = new byte[size];
        byte[] b = new byte[size];
        while (level.length > size) {
            int n = level.length / size;
            byte[] next = new byte[(n + 1) / 2 * size];
            for (int p = 0; p < n / 2; p++) {
                System.arraycopy(level, 2 * p * size, a, 0, size);
                System.arraycopy(level, (2 * p + 1) * size, b, 0, size);
                if (Arrays.compareUnsigned(a, b) <= 0) {
                    md.update(a);
                    md.update(b);
                } else {
                    md.update(b);
                    md.update(a);
                }
                try {
                    md.digest(next, p * size, size);
                } catch (java.security.DigestException e) {
                    throw new IllegalStateException(e);
                }
            }
            if (n % 2 == 1) {
                System.arraycopy(level, (n - 1) * size, next, n / 2 * size, size);
            }
            levels.add(next);
            level = next;
        }
        return new HashTree(digest, size, levels.toArray(byte[][]::new));
    }

    /** The leaf value of a data-object group: its one hash, or the hash of its sorted hashes. */
    static byte[] leaf(MessageDigest md, byte[]... group) {
        return group.length == 1 ? group[0].clone() : hashSorted(md, group);
    }

    static byte[] hashSorted(MessageDigest md, byte[]... values) {
        byte[][] sorted = values.clone();
        Arrays.sort(sorted, Arrays::compareUnsigned);
        md.reset();
        for (byte[] v : sorted) {
            md.update(v);
        }
        return md.digest();
    }

    int leaves() {
        return levels[0].length / size;
    }

    byte[] root() {
        return levels[levels.length - 1].clone();
    }

    byte[] node(int level, int index) {
        return Arrays.copyOfRange(levels[level], index * size, (index + 1) * size);
    }

    /**
     * The sibling at each level on the way from a leaf to the root, skipping levels where the node
     * moved up alone: what RFC 4998's reduced hash tree holds above the data-object group.
     */
    List<byte[]> path(int leaf) {
        if (leaf < 0 || leaf >= leaves()) {
            throw new IndexOutOfBoundsException("leaf " + leaf + " of " + leaves());
        }
        List<byte[]> out = new ArrayList<>();
        int index = leaf;
        for (int l = 0; l < levels.length - 1; l++) {
            int n = levels[l].length / size;
            int sibling = index ^ 1;
            if (sibling < n) {
                out.add(node(l, sibling));
            }
            index /= 2;
        }
        return out;
    }

    String digest() {
        return digest;
    }

    /** The levels as stored: leaves first, the root last. */
    byte[][] levels() {
        return levels;
    }

    static HashTree of(String digest, int size, byte[][] levels) {
        return new HashTree(digest, size, levels);
    }
}
