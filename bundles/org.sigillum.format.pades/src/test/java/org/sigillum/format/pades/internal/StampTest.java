package org.sigillum.format.pades.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.sigillum.api.Reason;
import org.sigillum.api.SigningException;

class StampTest {

    private final Path home = Path.of("/srv/sigillum");

    @Test
    void noRectangleMeansAnInvisibleSignature() throws Exception {
        assertNull(Stamp.of(Map.of("stamp.page", "2"), home));
    }

    @Test
    void aRectangleIsFourNumbersInPoints() throws Exception {
        Stamp s = Stamp.of(Map.of("stamp.rect", " 36, 40 ,240,64"), home);
        assertEquals(36f, s.rect().getLowerLeftX());
        assertEquals(40f, s.rect().getLowerLeftY());
        assertEquals(240f, s.rect().getWidth());
        assertEquals(64f, s.rect().getHeight());
        SigningException e = assertThrows(SigningException.class, () -> Stamp.of(Map.of("stamp.rect", "36,40,240"), home));
        assertEquals(Reason.BAD_REQUEST, e.reason());
        assertThrows(SigningException.class, () -> Stamp.of(Map.of("stamp.rect", "0,0,2,2"), home));
    }

    @Test
    void anImageOutsideTheHomeIsRefused() {
        SigningException e = assertThrows(SigningException.class,
                () -> Stamp.of(Map.of("stamp.rect", "0,0,100,50", "stamp.image", "../../etc/passwd"), home));
        assertEquals(Reason.BAD_REQUEST, e.reason());
        assertTrue(e.getMessage().contains("inside the runtime home"), e.getMessage());
    }

    @Test
    void pagesAreCountedFromOneAndLastIsTheLast() throws Exception {
        Stamp s = Stamp.of(Map.of("stamp.rect", "0,0,100,50", "stamp.page", "last"), home);
        assertEquals(6, s.pageIndex(7, "a.pdf"));
        Stamp third = Stamp.of(Map.of("stamp.rect", "0,0,100,50", "stamp.page", "3"), home);
        assertEquals(2, third.pageIndex(3, "a.pdf"));
        SigningException e = assertThrows(SigningException.class, () -> third.pageIndex(2, "a.pdf"));
        assertEquals(Reason.BAD_INPUT, e.reason(), "a document too short for the stamp is that document's problem");
        assertTrue(e.getMessage().contains("has 2 pages"), e.getMessage());
        Stamp zero = Stamp.of(Map.of("stamp.rect", "0,0,100,50", "stamp.page", "0"), home);
        assertEquals(Reason.BAD_REQUEST, assertThrows(SigningException.class, () -> zero.pageIndex(2, "a.pdf")).reason());
    }

    @Test
    void placeholdersAreFilledAndEmptyLinesDropped() throws Exception {
        Stamp s = Stamp.of(Map.of("stamp.rect", "0,0,100,50", "stamp.text", "Signed by ${signer}\\n${time}\\n${reason}\\n${location}",
                "stamp.timeZone", "Europe/Berlin"), home);
        List<String> lines = s.lines(new Stamp.Values("Erika Mustermann", Instant.parse("2026-11-25T12:00:00Z"), "Freigabe", "", ""));
        assertEquals(List.of("Signed by Erika Mustermann", "2026-11-25 13:00:00 CET", "Freigabe"), lines);
    }

    @Test
    void theCommonNameIsTheSignersName() {
        assertEquals("Erika Mustermann", Stamp.Values.commonName(
                new javax.security.auth.x500.X500Principal("CN=Erika Mustermann, O=Beispiel GmbH, C=DE")));
    }
}
