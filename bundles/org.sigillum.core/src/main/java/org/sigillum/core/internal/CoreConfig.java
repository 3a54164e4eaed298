package org.sigillum.core.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "Sigillum core", description = "Settings shared by all profiles.")
public @interface CoreConfig {

    @AttributeDefinition(description = "The audit log (JSON lines), relative to the runtime home.")
    String auditLog() default "log/audit.log";

    @AttributeDefinition(description = "Trust anchors for verifying files (PEM file or folder), relative to the runtime home.")
    String trustAnchors() default "pki";
}
