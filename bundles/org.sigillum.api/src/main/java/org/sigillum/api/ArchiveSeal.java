package org.sigillum.api;

import java.time.Instant;

/** A sealed tree: its id, how many entries it holds, its root hash and the time its stamp proves. */
public record ArchiveSeal(String tree, long entries, byte[] root, Instant time, String authority) {
    public ArchiveSeal {
        root = root.clone();
    }

    @Override
    public byte[] root() {
        return root.clone();
    }
}
