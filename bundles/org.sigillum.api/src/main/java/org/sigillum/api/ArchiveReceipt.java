package org.sigillum.api;

/**
 * Proof that an entry is durably in the archive: its id, the tree it went into and its leaf index,
 * enough to ask for its evidence record later.
 */
public record ArchiveReceipt(String id, String tree, long leaf) {
}
