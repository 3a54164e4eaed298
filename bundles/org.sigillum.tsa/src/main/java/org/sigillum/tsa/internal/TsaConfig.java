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

    @AttributeDefinition(description = "HTTP: how long a request body may take in all, from the end of the headers to its last byte. "
            + "A slower client gets 408 and its connection is closed, so dribbling a body cannot hold the TSA.")
    int httpBodyTimeoutMillis() default 5000;

    @AttributeDefinition(description = "HTTP: the largest time-stamp query accepted, in bytes (a real one is a few hundred); larger gets 413.")
    int httpMaxQueryBytes() default 16384;

    @AttributeDefinition(description = "HTTP: requests in hand at once, in all (reading their body or being answered); more get 503.")
    int httpMaxRequests() default 512;

    @AttributeDefinition(description = "HTTP: requests in hand at once from one client address (IPv6: one /64); more get 503. "
            + "Raise it when many clients reach the TSA through one proxy.")
    int httpMaxRequestsPerAddress() default 16;

    @AttributeDefinition(description = "HTTP: refused and aborted requests are counted and logged as one line at most this often.")
    int httpRefusalLogSeconds() default 60;
}
