package org.sigillum.format.pades.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import org.apache.pdfbox.Loader;
import org.apache.pdfbox.io.IOUtils;
import org.apache.pdfbox.io.RandomAccessStreamCache;
import org.apache.pdfbox.pdfparser.PDFParser;
import org.apache.pdfbox.io.RandomAccessRead;
import org.apache.pdfbox.io.RandomAccessReadBuffer;
import org.apache.pdfbox.io.RandomAccessReadBufferedFile;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.encryption.InvalidPasswordException;
import org.apache.pdfbox.pdmodel.interactive.digitalsignature.ExternalSigningSupport;
import org.apache.pdfbox.pdmodel.interactive.digitalsignature.PDSignature;
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
            return Loader.loadPDF(source, "", null, null, cache(source.length()));
        } catch (InvalidPasswordException e) {
            throw encrypted(name);
        } catch (IOException e) {
            throw new SigningException(Reason.BAD_INPUT, name + " is not a readable PDF: " + e.getMessage(), e);
        } catch (RuntimeException | StackOverflowError e) {
            // PDFBox's parser meets hostile structures with runtime errors (or a deep recursion).
            throw new SigningException(Reason.BAD_INPUT, name + " is a damaged PDF that cannot be parsed ("
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
        }
    }

    /**
     * Parses a document that is about to get a signature appended. An intact file is parsed
     * strictly, once. A file that only PDFBox's lenient parser reads (its cross-reference data does
     * not match its objects, a stream's length is wrong…) was repaired in memory, and an incremental
     * update appended to it still points into the damaged original: such a signed copy could be
     * unreadable (fuzzing found cross-reference streams whose signed copy PDFBox itself could not read
     * back, after the token had signed). So first a trial signature update, with an empty signature,
     * is appended and read back; only a file that passes is signed. Intact files pay nothing for this.
     */
    PDDocument loadForSigning(RandomAccessRead source, Content content, String name) throws SigningException {
        checkStructureOrRefuse(source, name);
        try {
            source.seek(0);
            // Given the source itself: a wrapper around it would cost the parser's every byte read.
            return new PDFParser(source, "", null, null, cache(source.length())).parse(false);
        } catch (InvalidPasswordException e) {
            throw encrypted(name);
        } catch (IOException | RuntimeException | StackOverflowError strictFailure) {
            // Not intact (the failed parser closed the source): see whether an update appended to it reads back.
        }
        try (PDDocument trial = loadAgain(content, name)) {
            trialUpdate(trial, name);
        } catch (IOException e) {
            throw new SigningException(Reason.IO_ERROR, "the trial update of " + name + " cannot be written: " + e.getMessage(), e);
        }
        return loadAgain(content, name);
    }

    /** A lenient parse from a new source; the document owns it, and it is closed if parsing fails. */
    private PDDocument loadAgain(Content content, String name) throws SigningException {
        RandomAccessRead again = open(content);
        try {
            return load(again, name);
        } catch (SigningException | RuntimeException e) {
            try {
                again.close();
            } catch (IOException x) {
                // nothing more to release
            }
            throw e;
        }
    }

    private void trialUpdate(PDDocument trial, String name) throws IOException, SigningException {
        Path copy = spool.newFile(".pdf");
        try {
            try (java.io.OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(copy))) {
                // Shaped like the real update (a signature field, its widget on the first page, the
                // catalog's form) but with an empty signature: a lighter update (the catalog alone)
                // read back fine for files whose signed copy did not.
                PDSignature sig = new PDSignature();
                sig.setFilter(PDSignature.FILTER_ADOBE_PPKLITE);
                sig.setSubFilter(PDSignature.SUBFILTER_ETSI_CADES_DETACHED);
                trial.addSignature(sig);
                ExternalSigningSupport external = trial.saveIncrementalForExternalSigning(out);
                try (InputStream signed = external.getContent()) {
                    signed.transferTo(java.io.OutputStream.nullOutputStream());
                }
                external.setSignature(new byte[0]);
            } catch (IOException | RuntimeException | StackOverflowError e) {
                throw damaged(name, e);
            }
            try (PDDocument back = Loader.loadPDF(new RandomAccessReadBufferedFile(copy), "", null, null, cache(Files.size(copy)))) {
                if (back.getNumberOfPages() <= 0) {
                    throw damaged(name, null);
                }
            } catch (IOException | RuntimeException | StackOverflowError e) {
                throw damaged(name, e);
            }
        } finally {
            Spool.delete(copy);
        }
    }

    private static SigningException damaged(String name, Throwable e) {
        return new SigningException(Reason.BAD_INPUT, name + " is damaged: its cross-reference data does not match its objects,"
                + " and a signature appended to it could not be read back" + (e == null ? "" : " (" + e.getClass().getSimpleName()
                + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")") + "; ask the sender for an intact copy (saving it"
                + " again in a PDF program repairs it)");
    }

    private static SigningException encrypted(String name) {
        return new SigningException(Reason.BAD_INPUT, name + " is encrypted with a password that is needed to open it;"
                + " it cannot be signed without that password (ask the sender for an unprotected copy)");
    }

    private RandomAccessStreamCache.StreamCacheCreateFunction cache(long length) {
        return inMemory(length) ? IOUtils.createMemoryOnlyStreamCache() : IOUtils.createTempFileOnlyStreamCache();
    }

    private static void checkStructureOrRefuse(RandomAccessRead source, String name) throws SigningException {
        try {
            checkStructure(source, name);
        } catch (IOException e) {
            throw new SigningException(Reason.BAD_INPUT, name + " is not a readable PDF: " + e.getMessage(), e);
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
