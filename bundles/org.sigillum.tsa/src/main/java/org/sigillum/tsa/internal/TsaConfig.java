package org.sigillum.tsa.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "Sigillum built-in time-stamp authority",
        description = "An RFC 3161 TSA inside the server, for sites and tests without a trust centre.")
public @interface TsaConfig {

    @AttributeDefinition(description = "Id of the token holding the TSA key (its certificate needs the critical timeStamping EKU).")
    String token();

    @AttributeDefinition(description = "The TSA policy OID put into every token.")
    String policy();

    @AttributeDefinition(description = "Accuracy of the time in milliseconds (0 for none).")
    int accuracyMillis() default 1000;

    @AttributeDefinition(description = "Where the serial-number reservation is kept, relative to the runtime home.")
    String serialFile() default "tsa/serial";

    @AttributeDefinition(description = "The name profiles use for this authority (tsas = ...).")
    String name() default "builtin";
}
