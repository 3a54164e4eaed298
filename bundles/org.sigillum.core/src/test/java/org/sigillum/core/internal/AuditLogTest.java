package org.sigillum.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditLogTest {

    @TempDir
    Path tmp;

    @Test
    void anInterruptedWriterDoesNotEndTheLogForOthers() throws Exception {
        Path file = tmp.resolve("log/audit.log");
        AuditLog log = new AuditLog(file);
        log.write(new Json().put("n", 1));
        Thread t = new Thread(() -> {
            Thread.currentThread().interrupt();
            try {
                log.write(new Json().put("n", 2));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        t.start();
        t.join();
        log.write(new Json().put("n", 3));
        log.close();
        assertEquals(List.of("{\"n\":1}", "{\"n\":2}", "{\"n\":3}"), Files.readAllLines(file));
    }
}
