package org.sigillum.token.pkcs11.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.OptionalLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GrantTest {

    @TempDir
    Path dir;

    @Test
    void aCountLimitStopsTheActivationAndANewLoadContinuesIt() throws Exception {
        Path f = dir.resolve("t.properties");
        Instant now = Instant.parse("2026-11-25T10:00:00Z");
        Grant g = Grant.load(f);
        assertTrue(g.startOrContinue(3, null, now));
        assertTrue(g.reserve(now));
        assertTrue(g.reserve(now));
        g.flush(0);
        // As after a restart: the same activation, one signature left.
        Grant again = Grant.load(f);
        assertTrue(again.open());
        assertFalse(again.startOrContinue(3, null, now), "continues, does not start afresh");
        assertEquals(OptionalLong.of(1), again.left());
        assertTrue(again.reserve(now));
        assertFalse(again.reserve(now));
        assertTrue(again.exhausted(now).contains("3 signatures"));
        // Only after the limit does an activation start afresh.
        assertTrue(again.startOrContinue(3, null, now));
        assertEquals(OptionalLong.of(3), again.left());
    }

    @Test
    void aCrashNeverGivesBackSignatures() throws Exception {
        Path f = dir.resolve("t.properties");
        Instant now = Instant.now();
        Grant g = Grant.load(f);
        g.startOrContinue(10_000, null, now);
        for (int i = 0; i < 250; i++) {
            assertTrue(g.reserve(now));
        }
        // No flush: what a kill -9 leaves. The file counts at least as many as were made.
        Grant after = Grant.load(f);
        long left = after.left().getAsLong();
        assertTrue(left <= 10_000 - 250, "left " + left);
        assertTrue(left >= 10_000 - 250 - 100, "written ahead by at most one block: left " + left);
    }

    @Test
    void aTimeLimitEndsTheActivationAndTheEndSurvivesARestart() throws Exception {
        Path f = dir.resolve("t.properties");
        Instant start = Instant.parse("2026-11-25T10:00:00Z");
        Grant g = Grant.load(f);
        g.startOrContinue(0, Duration.ofHours(8), start);
        assertNull(g.exhausted(start.plus(Duration.ofHours(7))));
        assertTrue(g.reserve(start.plus(Duration.ofHours(7))));
        assertFalse(g.reserve(start.plus(Duration.ofHours(8))));
        assertEquals(start.plus(Duration.ofHours(8)), Grant.load(f).until().orElseThrow());
        g.end();
        assertFalse(Grant.load(f).open());
    }

    @Test
    void aDamagedStateFileGrantsNothing() throws Exception {
        Path f = dir.resolve("t.properties");
        Files.writeString(f, "open = true\nmaxSignatures = many\n");
        assertTrue(org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class, () -> Grant.load(f))
                .getMessage().contains("damaged"));
    }
}
