package org.sigillum.token.soft.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "Sigillum software token",
        description = "A signing key in a PKCS#12 file. With a password configured it signs at once; without, it waits for activation with the password.")
public @interface SoftTokenConfig {

    @AttributeDefinition(description = "The token's id, as profiles name it.")
    String id();

    @AttributeDefinition(description = "The PKCS#12 file, relative to the runtime home.")
    String path();

    /**
     * Configured as {@code .password}: Declarative Services keeps properties whose names start with
     * a dot out of the service registration, so the password never becomes a visible service property.
     */
    @AttributeDefinition(type = AttributeType.PASSWORD, required = false,
            description = "The PKCS#12 password. Leave empty to activate the token at run time instead.")
    String _password() default "";

    @AttributeDefinition(required = false, description = "The key entry's alias; empty for the only key entry.")
    String alias() default "";
}
