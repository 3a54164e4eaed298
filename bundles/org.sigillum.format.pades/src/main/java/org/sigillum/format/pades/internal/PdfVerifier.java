package org.sigillum.format.pades.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Calendar;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

import org.apache.pdfbox.io.RandomAccessInputStream;
import org.apache.pdfbox.io.RandomAccessRead;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.interactive.digitalsignature.PDSignature;
import org.sigillum.api.Content;
import org.sigillum.api.Document;
import org.sigillum.api.FormatVerifier;
import org.sigillum.api.Reason;
import org.sigillum.api.SignatureLevel;
import org.sigillum.api.SignatureVerdict;
import org.sigillum.api.SigningException;

/**
 * Checks every signature in a PDF: its byte range must be well formed and leave out exactly its
 * own {@code /Contents}; the CMS inside is checked over those bytes by the CMS verifier (the CAdES
 * format's), so one CMS check serves both formats. Verdicts come oldest first, so the last one is
 * the signature added last.
 */
final class PdfVerifier {
    private final PdfFiles files;
    private final FormatVerifier cms;

    PdfVerifier(PdfFiles files, FormatVerifier cms) {
        this.files = files;
        this.cms = cms;
    }

    List<SignatureVerdict> verify(Document signed) throws SigningException {
        try (RandomAccessRead source = files.open(signed.content()); PDDocument doc = files.load(source, signed.name())) {
            List<PDSignature> signatures;
            try {
                signatures = doc.getSignatureDictionaries();
            } catch (RuntimeException | StackOverflowError e) {
                throw new SigningException(Reason.BAD_INPUT, signed.name() + " has a damaged form: " + e.getMessage(), e);
            }
            if (signatures.isEmpty()) {
                throw new SigningException(Reason.BAD_INPUT, signed.name() + " holds no signature");
            }
            long length = source.length();
            record Found(long end, SignatureVerdict verdict) {
            }
            List<Found> found = new ArrayList<>();
            for (PDSignature sig : signatures) {
                int[] br;
                try {
                    br = sig.getByteRange();
                } catch (RuntimeException e) {
                    br = null;
                }
                boolean wellFormed = br != null && br.length == 4 && (long) br[2] + br[3] <= length;
                // A malformed signature sorts first: it must never pass for the newest one.
                found.add(new Found(wellFormed ? (long) br[2] + br[3] : -1, checkOne(signed.name(), sig, br, source, length)));
            }
            found.sort(Comparator.comparingLong(Found::end));
            List<SignatureVerdict> out = new ArrayList<>(found.stream().map(Found::verdict).toList());
            // Earlier signatures are followed by later revisions by design; the newest must cover the whole file,
            // or what was appended after it is signed by nobody.
            Found last = found.get(found.size() - 1);
            SignatureVerdict v = last.verdict();
            if (v.intact() && last.end() < length) {
                out.set(out.size() - 1, new SignatureVerdict(false, v.chain(), v.claimedSigningTime(), v.timeStampTime(), Optional.empty(),
                        "the file was changed after its last signature: " + (length - last.end())
                                + " bytes were appended that no signature covers",
                        v.timeStampChain()));
            }
            return out;
        } catch (IOException e) {
            throw new SigningException(Reason.IO_ERROR, signed.name() + " cannot be read: " + e.getMessage(), e);
        } catch (RuntimeException | StackOverflowError e) {
            throw new SigningException(Reason.BAD_INPUT, signed.name() + " is a damaged PDF (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")", e);
        }
    }

    /** One signature's verdict; whatever is wrong with it fails this signature only, never the others. */
    private SignatureVerdict checkOne(String name, PDSignature sig, int[] br, RandomAccessRead source, long length) throws IOException {
        try {
            return check(name, sig, br, source, length);
        } catch (SigningException e) {
            return fail(e.getMessage());
        } catch (RuntimeException | StackOverflowError e) {
            return fail("it cannot be read (" + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
        }
    }

    private SignatureVerdict check(String name, PDSignature sig, int[] br, RandomAccessRead source, long length)
            throws IOException, SigningException {
        String subFilter = sig.getSubFilter();
        if (br == null || br.length != 4 || br[0] != 0 || br[1] <= 0 || br[2] <= br[1] || br[3] < 0
                || (long) br[2] + br[3] > length) {
            return fail("its /ByteRange is malformed or points outside the file");
        }
        if (!holdsOnlyContents(source, br[1], br[2])) {
            return fail("its /ByteRange leaves out more than the signature value");
        }
        if ("ETSI.RFC3161".equals(subFilter)) {
            return fail("a document time stamp (PAdES-LTA), which Sigillum does not check yet");
        }
        if (!"ETSI.CAdES.detached".equals(subFilter) && !"adbe.pkcs7.detached".equals(subFilter)) {
            return fail("/SubFilter " + subFilter + " is not supported (only ETSI.CAdES.detached and adbe.pkcs7.detached)");
        }
        byte[] der = der(sig.getContents());
        if (der == null) {
            return fail("its /Contents is not a DER-encoded CMS signature");
        }
        List<SignatureVerdict> verdicts = cms.verify(new Document(name + " (signature)", Content.of(der)),
                Optional.of(new Ranges(source, br)));
        if (verdicts.size() != 1) {
            return fail("its CMS holds " + verdicts.size() + " signers; a PDF signature has exactly one");
        }
        SignatureVerdict v = verdicts.get(0);
        Optional<Instant> claimed = Optional.ofNullable(sig.getSignDate()).map(Calendar::toInstant);
        if (!v.intact()) {
            return new SignatureVerdict(false, v.chain(), claimed, v.timeStampTime(), Optional.empty(), v.problem(), v.timeStampChain());
        }
        Optional<SignatureLevel> level = Optional.empty();
        String problem;
        if ("ETSI.CAdES.detached".equals(subFilter)) {
            level = Optional.of(v.timeStampTime().isPresent() ? SignatureLevel.B_T : SignatureLevel.B_B);
            problem = null;
        } else {
            problem = "a PDF signature, but not PAdES baseline (/SubFilter adbe.pkcs7.detached)";
        }
        return new SignatureVerdict(true, v.chain(), claimed, v.timeStampTime(), level, problem, v.timeStampChain());
    }

    private static SignatureVerdict fail(String problem) {
        return new SignatureVerdict(false, List.of(), Optional.empty(), Optional.empty(), problem);
    }

    /** Far more than any CMS with a time stamp and a long chain needs, as hex. */
    static final int MAX_GAP = 16 * 1024 * 1024;

    /** The gap must be exactly {@code <hex>}: nothing else of the file may escape the signature. Read in chunks. */
    private static boolean holdsOnlyContents(RandomAccessRead source, int from, int to) throws IOException {
        if (to - from < 2 || to - from > MAX_GAP) {
            return false;
        }
        byte[] buf = new byte[64 * 1024];
        source.seek(from);
        for (long pos = from; pos < to;) {
            int r = source.read(buf, 0, (int) Math.min(buf.length, to - pos));
            if (r <= 0) {
                return false;
            }
            for (int i = 0; i < r; i++) {
                long at = pos + i;
                int c = buf[i];
                if (at == from) {
                    if (c != '<') {
                        return false;
                    }
                } else if (at == to - 1) {
                    if (c != '>') {
                        return false;
                    }
                } else {
                    boolean hex = c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F';
                    if (!hex && c != ' ' && c != '\n' && c != '\r' && c != '\t') {
                        return false;
                    }
                }
            }
            pos += r;
        }
        return true;
    }

    /** The DER object at the start of {@code contents}, without the zero padding after it; null if none. */
    static byte[] der(byte[] contents) {
        if (contents == null || contents.length < 2 || contents[0] != 0x30) {
            return null;
        }
        int first = contents[1] & 0xff;
        long length;
        int header;
        if (first < 0x80) {
            length = first;
            header = 2;
        } else {
            int n = first & 0x7f;
            if (n == 0 || n > 4 || contents.length < 2 + n) {
                return null;
            }
            length = 0;
            for (int i = 0; i < n; i++) {
                length = length << 8 | contents[2 + i] & 0xff;
            }
            header = 2 + n;
        }
        if (header + length > contents.length) {
            return null;
        }
        return java.util.Arrays.copyOf(contents, (int) (header + length));
    }

    /** The signed bytes: the file without the gap, read from the file when asked. */
    private record Ranges(RandomAccessRead source, int[] br) implements Content {
        @Override
        public InputStream openStream() throws IOException {
            return new SequenceInputStream(new RandomAccessInputStream(source.createView(br[0], br[1])),
                    new RandomAccessInputStream(source.createView(br[2], br[3])));
        }

        @Override
        public long size() {
            return (long) br[1] + br[3];
        }
    }
}
