package org.sigillum.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.junit.jupiter.api.Test;
import org.sigillum.fuzz.Configs;
import org.sigillum.fuzz.Fuzz;
import org.sigillum.fuzz.Mutator;

/**
 * A profile's .cfg file as an operator (or a careless script) may leave it: mutated copies of real
 * profiles are read as File Install reads them (Java properties) and given to the profile's
 * parser, which must accept them or refuse them with IllegalArgumentException (shown as
 * "misconfigured" in the status), never another failure, in bounded time and memory.
 */
class ProfileConfigFuzzTest {

    private static final String CADES = """
            name = cades
            format = cades
            level = B
            tokens = demo
            tsas = builtin
            digest = SHA-256
            padding = PKCS1
            packaging = detached
            allowedOverrides = level,token,digest,padding,packaging
            trustAnchors = pki
            """;

    private static final String PADES = """
            name = pades
            format = pades
            level = T
            tokens = card1,card2,card3
            digest = SHA-512
            padding = PSS
            packaging = embedded
            allowedOverrides = level,options
            option.stamp.rect = 36,36,240,64
            option.reason = Approved \\u00e4
            """;

    static Profile parse(byte[] text) throws Exception {
        Properties p = new Properties();
        p.load(new ByteArrayInputStream(text));
        Map<String, Object> props = new HashMap<>();
        p.forEach((k, v) -> props.put((String) k, v));
        return Profile.of(Configs.of(ProfileConfig.class, p), props);
    }

    @Test
    void aMutatedProfileIsReadOrRefusedAsMisconfigured() throws Exception {
        Mutator m = new Mutator(List.of(CADES.getBytes(StandardCharsets.ISO_8859_1), PADES.getBytes(StandardCharsets.ISO_8859_1)));
        Fuzz.run("profile-cfg", m, Mutator.seed(41), Mutator.count(5000),
                new Fuzz.Limits(Duration.ofSeconds(5), 16L << 20, Duration.ofSeconds(60)), ProfileConfigFuzzTest::parse,
                // Properties.load refuses a malformed \\u escape with IllegalArgumentException too.
                t -> t instanceof IllegalArgumentException);
        assertEquals("cades", parse(CADES.getBytes(StandardCharsets.ISO_8859_1)).name(), "a good profile still reads");
    }
}
