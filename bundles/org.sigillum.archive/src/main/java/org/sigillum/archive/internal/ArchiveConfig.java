package org.sigillum.archive.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "Sigillum archive",
        description = "The long-term archive: a hash tree of every document and its signature, sealed with one time stamp per interval.")
public @interface ArchiveConfig {

    @AttributeDefinition(description = "Where the archive keeps its database and trees, relative to the runtime home.")
    String directory() default "state/archive";

    @AttributeDefinition(description = "Digest of new trees: SHA-256, SHA-384 or SHA-512.")
    String digest() default "SHA-256";

    @AttributeDefinition(description = "Time-stamp authorities for seals, in the order to try them (their names).")
    String[] tsas() default { "builtin" };

    @AttributeDefinition(description = "Local time of the daily seal (HH:MM).")
    String sealAt() default "00:05";

    @AttributeDefinition(description = "Seal interval: P1D (daily, at sealAt) or a shorter ISO-8601 duration such as PT1H.")
    String sealEvery() default "P1D";

    @AttributeDefinition(description = "Keep every archived document and signature for hash-tree renewal (RFC 4998 §5.3), which must hash them again.")
    boolean keepDocuments() default true;

    @AttributeDefinition(description = "Where the kept documents go (content-addressed), relative to the archive directory or absolute.")
    String documents() default "documents";

    @AttributeDefinition(description = "First wait after a failed seal (seconds); it doubles up to an hour.")
    int retrySeconds() default 60;
}
