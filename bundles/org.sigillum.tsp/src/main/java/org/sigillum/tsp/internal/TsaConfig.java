package org.sigillum.tsp.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "Sigillum time-stamp authority",
        description = "One RFC 3161 trust centre. Profiles name authorities in the order to try them.")
public @interface TsaConfig {

    @AttributeDefinition(description = "The authority's name, as profiles list it (tsas = ...).")
    String name();

    @AttributeDefinition(description = "The RFC 3161 HTTP(S) URL.")
    String url();

    @AttributeDefinition(required = false, description = "The policy OID to request; empty for the authority's default.")
    String policy() default "";

    @AttributeDefinition(description = "Connect and answer timeout in milliseconds.")
    int timeoutMillis() default 10_000;

    @AttributeDefinition(required = false, description = "HTTP basic authentication user; empty for none.")
    String username() default "";

    /** Configured as {@code .password}, so that it never becomes a service property. */
    @AttributeDefinition(type = AttributeType.PASSWORD, required = false, description = "HTTP basic authentication password.")
    String _password() default "";

    @AttributeDefinition(required = false, description = "PKCS#12 file with a TLS client certificate, relative to the runtime home; empty for none.")
    String clientKeyStore() default "";

    @AttributeDefinition(type = AttributeType.PASSWORD, required = false, description = "Password of the TLS client key store.")
    String _clientKeyStorePassword() default "";

    @AttributeDefinition(description = "Trust anchors for the authority's certificate: a PEM file or folder, relative to the runtime home.")
    String trustAnchors() default "pki";

    @AttributeDefinition(description = "How far the authority's time may be from ours, in seconds, before its answer is refused.")
    int maxSkewSeconds() default 120;

    @AttributeDefinition(description = "After a failure the authority is skipped for this many seconds.")
    int coolDownSeconds() default 60;
}
