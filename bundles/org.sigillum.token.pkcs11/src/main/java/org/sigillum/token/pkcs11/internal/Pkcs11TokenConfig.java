package org.sigillum.token.pkcs11.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "Sigillum PKCS#11 token",
        description = "A signing key on a signature card or HSM, reached through its PKCS#11 library. One configuration per key.")
public @interface Pkcs11TokenConfig {

    @AttributeDefinition(description = "The token's id, as profiles name it.")
    String id();

    @AttributeDefinition(description = "The PKCS#11 library (an absolute path, e.g. /usr/lib/softhsm/libsofthsm2.so).")
    String library();

    @AttributeDefinition(required = false, description = "Select the token by its label (preferred: it survives re-insertion).")
    String tokenLabel() default "";

    @AttributeDefinition(required = false, description = "Select the token by its serial number.")
    String tokenSerial() default "";

    @AttributeDefinition(required = false, description = "Select the token by its index among the slots with a token (0 = first); -1 = not used.")
    int slotIndex() default -1;

    @AttributeDefinition(required = false, description = "Select the key by its label (CKA_LABEL).")
    String keyLabel() default "";

    @AttributeDefinition(required = false, description = "Select the key by its id (CKA_ID), in hex.")
    String keyId() default "";

    @AttributeDefinition(required = false, description = "Select the key by its certificate: a PEM file relative to the runtime home, whose twin on the token (same value) gives the key's id.")
    String certificate() default "";

    @AttributeDefinition(required = false, description = "Issuer certificates the token does not hold: a PEM file relative to the runtime home.")
    String chain() default "";

    @AttributeDefinition(description = "mass (activated once with the PIN, then limited by maxSignatures and/or maxDuration) or individual (the PIN comes with every request).")
    String mode() default "mass";

    @AttributeDefinition(required = false, description = "Mass mode: signatures per activation; 0 = no count limit.")
    long maxSignatures() default 0;

    @AttributeDefinition(required = false, description = "Mass mode: how long an activation lasts (ISO-8601 like PT8H, or 30m, 8h, 1d); empty = no time limit.")
    String maxDuration() default "";

    /**
     * Configured as {@code .pin}: Declarative Services keeps properties whose names start with a dot
     * out of the service registration. Only for an HSM in a locked room: it activates the token at
     * start and after a restart, within the same limits.
     */
    @AttributeDefinition(type = AttributeType.PASSWORD, required = false,
            description = "Mass mode only: activate at start with this PIN (unattended HSMs). Leave empty for an operator to activate.")
    String _pin() default "";

    @AttributeDefinition(required = false, description = "Sessions signing in parallel (1 for a card; more for an HSM).")
    int sessions() default 1;

    @AttributeDefinition(required = false, description = "A signature that takes longer fails as 'token unavailable' (seconds).")
    int timeoutSeconds() default 30;

    @AttributeDefinition(required = false, description = "How often presence is checked and a missing token looked for (seconds).")
    int checkSeconds() default 3;
}
