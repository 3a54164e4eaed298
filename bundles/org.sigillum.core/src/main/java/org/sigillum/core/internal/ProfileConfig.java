package org.sigillum.core.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "Sigillum signing profile",
        description = "How documents are signed: format, level, tokens, algorithms, and what a request may change.")
public @interface ProfileConfig {

    @AttributeDefinition(description = "The profile's name, as requests and hot-folder roots refer to it.")
    String name();

    @AttributeDefinition(description = "The signature format: cades, pades, xades…")
    String format() default "cades";

    @AttributeDefinition(description = "Baseline level: B, T, LT or LTA.")
    String level() default "B";

    @AttributeDefinition(description = "Ids of the tokens that may sign for this profile (a pool).")
    String[] tokens();

    @AttributeDefinition(description = "Digest: SHA-256, SHA-384 or SHA-512.")
    String digest() default "SHA-256";

    @AttributeDefinition(description = "RSA padding: PKCS1 (v1.5) or PSS.")
    String padding() default "PKCS1";

    @AttributeDefinition(description = "detached (signature beside the document) or embedded.")
    String packaging() default "detached";

    @AttributeDefinition(description = "What a request may override: format, level, token, digest, padding, packaging, options (format options such as a visible stamp, never file names).")
    String[] allowedOverrides() default { "level", "token", "digest", "padding", "packaging" };

    @AttributeDefinition(required = false, description = "Time-stamp authorities for level T and above, in the order to try them (their names).")
    String[] tsas() default {};

    @AttributeDefinition(description = "Trust anchors for the post-signing check: a PEM file or a folder of PEM files, relative to the runtime home.")
    String trustAnchors() default "pki";
}
