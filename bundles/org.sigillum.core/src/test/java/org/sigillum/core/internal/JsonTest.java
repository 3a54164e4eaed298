package org.sigillum.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void escapesWhatWouldBreakALine() {
        String s = new Json().put("name", "a\"b\\c\nd\u0001é").put("n", 3).put("skip", null).toString();
        assertEquals("{\"name\":\"a\\\"b\\\\c\\nd\\u0001é\",\"n\":3}", s);
    }
}
