package org.sigillum.format.pades.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.lang.ref.Cleaner;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Calendar;
import java.util.List;
import java.util.Optional;

import org.apache.pdfbox.Loader;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.interactive.digitalsignature.PDSignature;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sigillum.api.Content;
import org.sigillum.api.Document;
import org.sigillum.api.FormatVerifier;
import org.sigillum.api.Reason;
import org.sigillum.api.SignatureVerdict;
import org.sigillum.api.SigningException;
import org.sigillum.fuzz.Fuzz;
import org.sigillum.fuzz.Mutator;

/**
 * Mutated PDFs (plain, and with one and two signature dictionaries) through the PDF verifier: each
 * gives verdicts or BAD_INPUT, within a bounded time and allocation, and a good file still gives
 * the same verdicts afterwards.
 */
class PdfFuzzTest {

    @TempDir
    Path tmp;

    /**
     * The CMS inside a signature is checked by the CAdES bundle's verifier, which this bundle only
     * gets as a service (and which CmsFuzzTest fuzzes on its own). Here the PDF side is under test:
     * this stand-in reads the signed byte ranges the verifier hands it, as the real one does, and
     * calls every signature not intact.
     */
    private static final FormatVerifier READS_THE_RANGES = new FormatVerifier() {
        @Override
        public boolean accepts(Document signed) {
            return true;
        }

        @Override
        public List<SignatureVerdict> verify(Document signed, Optional<Content> data) throws SigningException {
            try (InputStream in = data.orElseThrow().openStream()) {
                in.transferTo(java.io.OutputStream.nullOutputStream());
            } catch (java.io.IOException e) {
                throw new SigningException(Reason.IO_ERROR, e.getMessage(), e);
            }
            return List.of(new SignatureVerdict(false, List.of(), Optional.empty(), Optional.empty(), "not checked here"));
        }
    };

    @Test
    void mutatedPdfsGiveVerdictsOrBadInput() throws Exception {
        PdfVerifier verifier = new PdfVerifier(new PdfFiles(8L << 20, new Spool(tmp.resolve("spool"), Cleaner.create())), READS_THE_RANGES);
        byte[] plain = PdfFilesTest.minimal();
        byte[] once = signed(plain);
        byte[] twice = signed(once);
        List<SignatureVerdict> before = verifier.verify(new Document("good.pdf", Content.of(twice)));
        assertEquals(2, before.size());

        Fuzz.run("pdf-verify", new Mutator(List.of(plain, once, twice)), Mutator.seed(32000), Mutator.count(3000),
                new Fuzz.Limits(Duration.ofSeconds(10), 64L << 20, Duration.ofSeconds(90)),
                input -> verifier.verify(new Document("fuzz.pdf", Content.of(input))),
                t -> t instanceof SigningException e && e.reason() == Reason.BAD_INPUT);

        assertEquals(before, verifier.verify(new Document("good.pdf", Content.of(twice))), "the verifier still reads a good file");
    }

    /** The PDF with one more signature dictionary, saved incrementally; its /Contents is a small DER SEQUENCE. */
    private static byte[] signed(byte[] pdf) throws Exception {
        try (PDDocument doc = Loader.loadPDF(pdf)) {
            PDSignature sig = new PDSignature();
            sig.setFilter(PDSignature.FILTER_ADOBE_PPKLITE);
            sig.setSubFilter(PDSignature.SUBFILTER_ETSI_CADES_DETACHED);
            sig.setSignDate(Calendar.getInstance());
            doc.addSignature(sig, content -> {
                content.transferTo(java.io.OutputStream.nullOutputStream());
                return new byte[] { 0x30, 0x06, 0x06, 0x01, 0x2a, 0x04, 0x01, 0x00 };
            });
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            doc.saveIncremental(out);
            return out.toByteArray();
        }
    }
}
