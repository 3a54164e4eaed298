package org.sigillum.api;

import org.osgi.annotation.versioning.ConsumerType;

/** The long-term archive: enters documents into the current hash tree. */
@ConsumerType
public interface Archive {

    /** Returns only once the entry is durable. */
    ArchiveReceipt enter(ArchiveEntry entry) throws SigningException;
}
