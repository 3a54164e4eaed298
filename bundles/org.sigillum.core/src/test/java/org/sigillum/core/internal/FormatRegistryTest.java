package org.sigillum.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Map;

import org.junit.jupiter.api.Test;

class FormatRegistryTest {

    @Test
    void aFormatStaysWhileAnyProviderRemainsAndTheNewestServes() {
        FormatRegistry<String> r = new FormatRegistry<>();
        Map<String, Object> cades = Map.of("sigillum.format", " CAdES ");
        r.add("old", cades);
        r.add("new", cades);
        assertEquals("new", r.get("cades"));
        r.remove("new", cades);
        assertEquals("old", r.get("cades"), "the other provider still serves");
        r.remove("old", cades);
        assertNull(r.get("cades"));
        r.add("ignored", Map.of());
        assertEquals(0, r.formats().size(), "a service without a format name is not registered");
    }
}
