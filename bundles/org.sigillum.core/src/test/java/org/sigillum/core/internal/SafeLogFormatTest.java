package org.sigillum.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.logging.Level;
import java.util.logging.LogRecord;

import org.junit.jupiter.api.Test;

class SafeLogFormatTest {

    @Test
    void aNameCannotAddALineNorReachTheTerminalThroughTheMessageOrAFailure() {
        String evil = "doc\nsigillum: FORGED\u001b[2J\u202e.txt";
        LogRecord r = new LogRecord(Level.WARNING, "hot folder r: " + evil + " is empty");
        r.setThrown(new java.nio.file.NoSuchFileException("/in/" + evil));
        String out = new SafeLogFormat.Escaping().format(r);
        for (String line : out.split("\n")) {
            assertFalse(line.startsWith("sigillum: FORGED"), out);
        }
        assertFalse(out.contains("\u001b") || out.contains("\u202e"), out);
        assertTrue(out.contains("doc\\nsigillum: FORGED\\u001b[2J\\u202e.txt is empty"), out);
        assertTrue(out.contains("NoSuchFileException: /in/doc\\nsigillum"), "the failure's message is escaped too: " + out);
        assertTrue(out.contains("\tat "), "the stack trace keeps its frames: " + out);
        assertEquals("a\\\\b", SafeLogFormat.LogText.escape("a\\b"), "a backslash is doubled, so escapes read back unambiguously");
    }
}
