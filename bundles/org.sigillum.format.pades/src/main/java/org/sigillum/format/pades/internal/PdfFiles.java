package org.sigillum.format.pades.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import org.apache.pdfbox.Loader;
import org.apache.pdfbox.io.IOUtils;
import org.apache.pdfbox.io.RandomAccessRead;
import org.apache.pdfbox.io.RandomAccessReadBuffer;
import org.apache.pdfbox.io.RandomAccessReadBufferedFile;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.encryption.InvalidPasswordException;
import org.sigillum.api.Content;
import org.sigillum.api.Reason;
import org.sigillum.api.SigningException;

/**
 * Opening PDFs safely: random access to the bytes without holding a large file on the heap, a
 * structural check before PDFBox's lenient parser gets to "repair" a damaged file, and parser
 * failures turned into reasons a person understands.
 */
final class PdfFiles {
    private final long inMemoryLimit;
    private final Spool spool;

    PdfFiles(long inMemoryLimit, Spool spool) {
        this.inMemoryLimit = inMemoryLimit;
        this.spool = spool;
    }

    boolean inMemory(long size) {
        return size <= inMemoryLimit;
    }

    /**
     * Random access to a content: the file itself, the bytes in memory, or a spooled copy. The core
     * has read these bytes once already, so failing to read them now (or to spool them) is an I/O
     * problem of the server, not a fault of the document.
     */
    RandomAccessRead open(Content content) throws SigningException {
        try {
            return openOrFail(content);
        } catch (IOException e) {
            throw new SigningException(Reason.IO_ERROR, "the document cannot be read again for signing: " + e.getMessage(), e);
        }
    }

    private RandomAccessRead openOrFail(Content content) throws IOException {
        if (content.file().isPresent()) {
            return new RandomAccessReadBufferedFile(content.file().get());
        }
        if (inMemory(content.size())) {
            // One array: PDFBox's parser peeks and rewinds a lot, which costs more across 4 KB chunks.
            return new RandomAccessReadBuffer(content.bytes());
        }
        Path copy = spool.newFile(".pdf");
        try (InputStream in = content.openStream()) {
            Files.copy(in, copy, StandardCopyOption.REPLACE_EXISTING);
            return new RandomAccessReadBufferedFile(copy) {
                @Override
                public void close() throws IOException {
                    try {
                        super.close();
                    } finally {
                        Spool.delete(copy);
                    }
                }
            };
        } catch (IOException | RuntimeException e) {
            Spool.delete(copy);
            throw e;
        }
    }

    /**
     * Parses the document. Streams PDFBox creates while working go to temporary files for a large
     * document, to memory for a small one.
     */
    PDDocument load(RandomAccessRead source, String name) throws SigningException {
        try {
            checkStructure(source, name);
            source.seek(0);
            return Loader.loadPDF(source, "", null, null,
                    inMemory(source.length()) ? IOUtils.createMemoryOnlyStreamCache() : IOUtils.createTempFileOnlyStreamCache());
        } catch (InvalidPasswordException e) {
            throw new SigningException(Reason.BAD_INPUT, name + " is encrypted with a password that is needed to open it;"
                    + " it cannot be signed without that password (ask the sender for an unprotected copy)");
        } catch (IOException e) {
            throw new SigningException(Reason.BAD_INPUT, name + " is not a readable PDF: " + e.getMessage(), e);
        } catch (RuntimeException | StackOverflowError e) {
            // PDFBox's parser meets hostile structures with runtime errors (or a deep recursion).
            throw new SigningException(Reason.BAD_INPUT, name + " is a damaged PDF that cannot be parsed ("
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
        }
    }

    /**
     * PDFBox repairs what it can, silently. A signature appended to a truncated or garbled file would
     * be a valid signature over a broken document, so such files are refused here: the file must
     * start like a PDF, end with {@code %%EOF}, and its last {@code startxref} must point at a
     * cross-reference table or stream.
     */
    static void checkStructure(RandomAccessRead in, String name) throws IOException, SigningException {
        long length = in.length();
        if (length < 32) {
            throw new SigningException(Reason.BAD_INPUT, name + " is not a PDF (only " + length + " bytes)");
        }
        String head = ascii(read(in, 0, (int) Math.min(1024, length)));
        if (!head.contains("%PDF-")) {
            throw new SigningException(Reason.BAD_INPUT, name + " is not a PDF (it does not start with %PDF-)");
        }
        int tailLength = (int) Math.min(4096, length);
        String tail = ascii(read(in, length - tailLength, tailLength));
        int eof = tail.lastIndexOf("%%EOF");
        // Readers accept up to 1 KB of trailing bytes after the marker; so do we, and no more.
        if (eof < 0 || tail.length() - (eof + 5) > 1024) {
            throw new SigningException(Reason.BAD_INPUT, name + " is truncated or damaged: it does not end with %%EOF");
        }
        int sx = tail.lastIndexOf("startxref", eof);
        if (sx < 0) {
            throw new SigningException(Reason.BAD_INPUT, name + " is truncated or damaged: it has no startxref before its end");
        }
        String number = tail.substring(sx + 9, eof).trim();
        long offset;
        try {
            offset = Long.parseLong(number);
        } catch (NumberFormatException e) {
            throw new SigningException(Reason.BAD_INPUT, name + " is damaged: its startxref is not a number");
        }
        if (offset <= 0 || offset >= length) {
            throw new SigningException(Reason.BAD_INPUT, name + " is truncated or damaged: its cross-reference table would lie"
                    + " outside the file (startxref " + offset + ", file size " + length + ")");
        }
        // Some producers are a few bytes off; readers look nearby, and so do we.
        long from = Math.max(0, offset - 16);
        String around = ascii(read(in, from, (int) Math.min(64, length - from)));
        if (!around.contains("xref") && !around.matches("(?s).*\\d+\\s+\\d+\\s+obj.*")) {
            throw new SigningException(Reason.BAD_INPUT, name + " is damaged: there is no cross-reference table where the file"
                    + " says (it may be truncated, or was changed by a tool that did not update it)");
        }
        StreamBombs.check(in, name);
    }

    private static byte[] read(RandomAccessRead in, long at, int n) throws IOException {
        byte[] b = new byte[n];
        in.seek(at);
        StreamBombs.readFully(in, b, n);
        return b;
    }

    private static String ascii(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }
}
