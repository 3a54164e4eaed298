package org.sigillum.format.pades.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.Deflater;

import org.apache.pdfbox.io.RandomAccessReadBuffer;
import org.junit.jupiter.api.Test;
import org.sigillum.api.Reason;
import org.sigillum.api.SigningException;

/** The checks that run before PDFBox's lenient parser sees a file. */
class PdfFilesTest {

    /** A one-page PDF with a correct cross-reference table. */
    static byte[] minimal() {
        String[] objs = { "<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>" };
        StringBuilder sb = new StringBuilder("%PDF-1.7\n");
        int[] offsets = new int[objs.length];
        for (int i = 0; i < objs.length; i++) {
            offsets[i] = sb.length();
            sb.append(i + 1).append(" 0 obj\n").append(objs[i]).append("\nendobj\n");
        }
        int xref = sb.length();
        sb.append("xref\n0 4\n0000000000 65535 f \n");
        for (int o : offsets) {
            sb.append(String.format("%010d 00000 n \n", o));
        }
        sb.append("trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n").append(xref).append("\n%%EOF\n");
        return sb.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    private static SigningException refused(byte[] file) {
        return assertThrows(SigningException.class, () -> PdfFiles.checkStructure(new RandomAccessReadBuffer(file), "x.pdf"));
    }

    @Test
    void aWellFormedFilePasses() throws Exception {
        PdfFiles.checkStructure(new RandomAccessReadBuffer(minimal()), "x.pdf");
        byte[] trailing = Arrays.copyOf(minimal(), minimal().length + 500);
        PdfFiles.checkStructure(new RandomAccessReadBuffer(trailing), "x.pdf"); // readers allow some bytes after %%EOF
    }

    @Test
    void aTruncatedFileIsRefused() {
        byte[] whole = minimal();
        SigningException e = refused(Arrays.copyOf(whole, whole.length - 10));
        assertEquals(Reason.BAD_INPUT, e.reason());
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void somethingElseIsNotAPdf() {
        SigningException e = refused("Sehr geehrte Damen und Herren, anbei die Rechnung.".getBytes(StandardCharsets.UTF_8));
        assertTrue(e.getMessage().contains("not a PDF"), e.getMessage());
    }

    @Test
    void aStartxrefThatPointsNowhereIsRefused() {
        String s = new String(minimal(), StandardCharsets.ISO_8859_1);
        int at = s.lastIndexOf("startxref\n") + 10;
        String broken = s.substring(0, at) + "99999" + s.substring(s.indexOf('\n', at));
        assertTrue(refused(broken.getBytes(StandardCharsets.ISO_8859_1)).getMessage().contains("outside the file"));
        // Into the middle of the table's entries: neither "xref" nor an object is anywhere near.
        int table = s.lastIndexOf("\nxref\n") + 1;
        String wrong = s.substring(0, at) + (table + 50) + s.substring(s.indexOf('\n', at));
        String why = refused(wrong.getBytes(StandardCharsets.ISO_8859_1)).getMessage();
        assertTrue(why.contains("no cross-reference table"), why);
    }

    @Test
    void muchGarbageAfterTheEndIsRefused() {
        byte[] padded = Arrays.copyOf(minimal(), minimal().length + 3000);
        Arrays.fill(padded, minimal().length, padded.length, (byte) 'x');
        assertTrue(refused(padded).getMessage().contains("%%EOF"));
    }

    @Test
    void theInflationBoundGrowsWithTheStreamButStaysFarBelowAHeap() {
        assertEquals(16L << 20, StreamBombs.limit(1000));
        assertEquals(50L * 1_000_000, StreamBombs.limit(1_000_000));
        assertEquals(256L << 20, StreamBombs.limit(100_000_000));
    }

    @Test
    void anObjectStreamThatInflatesBeyondTheBoundIsRefusedAndAModestOneIsNot() throws Exception {
        SigningException e = assertThrows(SigningException.class,
                () -> StreamBombs.check(new RandomAccessReadBuffer(withObjectStream(200, "/Filter /FlateDecode")), "bomb.pdf"));
        assertTrue(e.getMessage().contains("decompression bomb"), e.getMessage());
        StreamBombs.check(new RandomAccessReadBuffer(withObjectStream(1, "/Filter /FlateDecode")), "fine.pdf");
    }

    @Test
    void theBombIsFoundWhateverItsDictionaryLooksLike() {
        for (String variant : new String[] { "/Filter /FlateDecode /DecodeParms << /Columns 4 >>", "/Filter /Fl",
                "/Filter [/FlateDecode]", "/Fil#74er /Fl#61teDecode" }) {
            SigningException e = assertThrows(SigningException.class,
                    () -> StreamBombs.check(new RandomAccessReadBuffer(withObjectStream(200, variant)), "bomb.pdf"), variant);
            assertTrue(e.getMessage().contains("decompression bomb"), variant + ": " + e.getMessage());
        }
        SigningException chain = assertThrows(SigningException.class,
                () -> StreamBombs.check(new RandomAccessReadBuffer(withObjectStream(1, "/Filter [/AHx /Fl]")), "chain.pdf"));
        assertTrue(chain.getMessage().contains("only FlateDecode"), chain.getMessage());
    }

    @Test
    void imagesAndPageContentsAreNotStructuralStreams() throws Exception {
        byte[] image = withStream(200, "/Type /XObject /Subtype /Image /Width 5000 /Height 5000 /Filter /FlateDecode");
        StreamBombs.check(new RandomAccessReadBuffer(image), "scan.pdf"); // a blank page inflates a lot, legitimately
    }

    private static byte[] withObjectStream(int megabytes, String filter) {
        return withStream(megabytes, "/Type /ObjStm /N 1 /First 4 " + filter);
    }

    /** A file fragment with a stream of {@code megabytes} MB of blanks once inflated. */
    private static byte[] withStream(int megabytes, String dictionary) {
        Deflater d = new Deflater(9);
        byte[] blanks = new byte[1 << 20];
        Arrays.fill(blanks, (byte) ' ');
        ByteArrayOutputStream z = new ByteArrayOutputStream();
        byte[] buf = new byte[1 << 16];
        for (int i = 0; i < megabytes; i++) {
            d.setInput(blanks);
            while (!d.needsInput()) {
                z.write(buf, 0, d.deflate(buf));
            }
        }
        d.finish();
        while (!d.finished()) {
            z.write(buf, 0, d.deflate(buf));
        }
        byte[] data = z.toByteArray();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(("%PDF-1.7\n4 0 obj\n<< " + dictionary + " /Length " + data.length + " >>\nstream\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(data);
        out.writeBytes("\nendstream\nendobj\n".getBytes(StandardCharsets.ISO_8859_1));
        return out.toByteArray();
    }
}
