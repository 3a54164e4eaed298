package org.sigillum.api;

import java.util.List;

/**
 * What a hash-tree renewal did: how many data-object groups now have a new chain in the new
 * digest, the seals that stamped them, and the groups it could not renew (their documents are not
 * in the archive's document store, or no longer match their hashes), each with the reason.
 */
public record ArchiveRenewal(DigestAlgorithm digest, long renewed, List<ArchiveSeal> seals, List<String> notRenewed) {
    public ArchiveRenewal {
        seals = List.copyOf(seals);
        notRenewed = List.copyOf(notRenewed);
    }
}
