package org.sigillum.format.pades.internal;

import java.io.IOException;
import java.io.InputStream;
import java.lang.ref.Cleaner;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509Certificate;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.pdfbox.cos.COSArray;
import org.apache.pdfbox.cos.COSBase;
import org.apache.pdfbox.cos.COSDictionary;
import org.apache.pdfbox.cos.COSName;
import org.apache.pdfbox.io.RandomAccessRead;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.common.PDRectangle;
import org.apache.pdfbox.pdmodel.encryption.AccessPermission;
import org.apache.pdfbox.pdmodel.interactive.annotation.PDAnnotationWidget;
import org.apache.pdfbox.pdmodel.interactive.digitalsignature.ExternalSigningSupport;
import org.apache.pdfbox.pdmodel.interactive.digitalsignature.PDSignature;
import org.apache.pdfbox.pdmodel.interactive.digitalsignature.SignatureOptions;
import org.apache.pdfbox.pdmodel.interactive.form.PDAcroForm;
import org.apache.pdfbox.pdmodel.interactive.form.PDField;
import org.apache.pdfbox.pdmodel.interactive.form.PDSignatureField;
import org.bouncycastle.cms.CMSSignedData;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;
import org.sigillum.api.Document;
import org.sigillum.api.FormatOutput;
import org.sigillum.api.FormatSigner;
import org.sigillum.api.FormatVerifier;
import org.sigillum.api.Packaging;
import org.sigillum.api.Reason;
import org.sigillum.api.SignatureContext;
import org.sigillum.api.SignatureCreator;
import org.sigillum.api.SignatureLevel;
import org.sigillum.api.SignatureParameters;
import org.sigillum.api.SignatureVerdict;
import org.sigillum.api.SigningException;
import org.sigillum.api.TimeStamp;
import org.sigillum.api.TimeStampSource;

/**
 * PAdES baseline signatures (ETSI EN 319 142-1, levels B-B and B-T) with Apache PDFBox, always as an
 * incremental update: the original bytes stay as they were, so earlier signatures, form values
 * and PDF/A identification are untouched.
 *
 * <p>Options (profile {@code option.*} keys, or a request's): {@code field} (the name of an empty
 * signature field to fill; otherwise a new invisible field), {@code reason}, {@code location},
 * {@code contactInfo}, and a visible stamp ({@link Stamp}).
 */
@Component(service = { FormatSigner.class, FormatVerifier.class }, property = FormatSigner.FORMAT_PROPERTY + "=pades",
        configurationPid = "org.sigillum.format.pades")
@Designate(ocd = PadesConfig.class)
public class PadesFormat implements FormatSigner, FormatVerifier {

    private static final System.Logger LOG = System.getLogger(PadesFormat.class.getName());

    private final Path home;
    private final Spool spool;
    private final PdfFiles files;
    private final PdfVerifier verifier;
    private final PadesCms cms = new PadesCms();
    private final byte[] font;
    private static final java.time.format.DateTimeFormatter PDF_DATE = java.time.format.DateTimeFormatter
            .ofPattern("'D:'yyyyMMddHHmmss'Z'", java.util.Locale.ROOT).withZone(ZoneOffset.UTC);
    private final Map<javax.security.auth.x500.X500Principal, String> commonNames = new java.util.concurrent.ConcurrentHashMap<>();
    /** The largest time stamp seen so far, so that the space reserved for the next one is measured, not guessed. */
    private final AtomicInteger largestStamp = new AtomicInteger();

    @Activate
    public PadesFormat(BundleContext context, PadesConfig config,
            @Reference(target = "(" + FormatSigner.FORMAT_PROPERTY + "=cades)") FormatVerifier cmsVerifier) throws IOException {
        String h = context.getProperty("sigillum.home");
        this.home = Path.of(h == null ? "." : h).toAbsolutePath().normalize();
        this.spool = new Spool(home.resolve(config.spool()), Cleaner.create());
        // Only what an earlier process left: a re-activation (new configuration, CAdES updated) must not
        // delete the outputs this process is still handing out.
        spool.clearLeftoversOfOtherProcesses();
        this.files = new PdfFiles(Math.max(1, config.inMemoryMegabytes()) * 1024L * 1024L, spool);
        this.verifier = new PdfVerifier(files, cmsVerifier);
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("fonts/DejaVuSans.ttf")) {
            if (in == null) {
                throw new IOException("the stamp font fonts/DejaVuSans.ttf is missing from the bundle");
            }
            this.font = in.readAllBytes();
        }
    }

    @Override
    public FormatOutput sign(Document document, SignatureContext context) throws SigningException {
        SignatureParameters params = context.parameters();
        if (params.level().includes(SignatureLevel.B_LT)) {
            throw new SigningException(Reason.BAD_REQUEST, "PAdES level " + params.level() + " is not available yet (B and T are)");
        }
        if (params.packaging() == Packaging.DETACHED) {
            throw new SigningException(Reason.BAD_REQUEST, "a PAdES signature lives inside the PDF: use packaging = embedded"
                    + " (or the cades format for a detached .p7s beside the PDF)");
        }
        Stamp stamp = Stamp.of(params.options(), home);
        SignatureCreator creator = context.creator();
        int stampSize = 0;
        if (params.level().includes(SignatureLevel.B_T)) {
            stampSize = expectedStampSize(context);
        }
        int reserve = cms.size(creator.certificateChain(), creator.algorithm(), stampSize);
        try {
            return attempt(document, context, stamp, reserve);
        } catch (TooSmall e) {
            // A time stamp larger than any seen before (another authority, a longer chain): sign again with room for it.
            LOG.log(System.Logger.Level.INFO, "a time stamp of " + e.stampSize + " bytes did not fit the space reserved for "
                    + document.name() + "; signing it again with room for it");
        }
        try {
            return attempt(document, context, stamp, cms.size(creator.certificateChain(), creator.algorithm(), largestStamp.get() + 64));
        } catch (TooSmall e) {
            throw new SigningException(Reason.INTERNAL, "the signature of " + document.name()
                    + " does not fit the space measured for it, even after a second try");
        }
    }

    /** Thrown when the finished CMS is larger than the space reserved in the PDF. */
    private static final class TooSmall extends Exception {
        private static final long serialVersionUID = 1L;
        final int stampSize;

        TooSmall(int stampSize) {
            super(null, null, false, false);
            this.stampSize = stampSize;
        }
    }

    private FormatOutput attempt(Document document, SignatureContext context, Stamp stamp, int reserve)
            throws SigningException, TooSmall {
        SignatureParameters params = context.parameters();
        String name = document.name();
        Output output = null;
        boolean handedOut = false;
        // Until the PDF is laid out, a runtime failure is PDFBox meeting a broken document; afterwards
        // (token, CMS, time stamp) it is ours or the server's, not the document's.
        boolean pdfPhase = true;
        try (RandomAccessRead source = files.open(document.content());
                PDDocument doc = files.loadForSigning(source, document.content(), name)) {
            // The content's size: a failed strict parse closes the source it was given.
            long inputLength = document.content().size();
            String fieldName = option(params.options(), "field");
            checkSignable(doc, name, !fieldName.isEmpty());
            Map<String, String> options = params.options();
            SignatureCreator creator = context.creator();
            X509Certificate signer = creator.certificateChain().get(0);
            PDSignature sig = new PDSignature();
            sig.setFilter(PDSignature.FILTER_ADOBE_PPKLITE);
            sig.setSubFilter(PDSignature.SUBFILTER_ETSI_CADES_DETACHED);
            // /M written directly: PDFBox's Calendar formatting costs more than the rest of the dictionary.
            sig.getCOSObject().setString(COSName.M, PDF_DATE.format(params.signingTime()));
            String signerName = commonNames.computeIfAbsent(signer.getSubjectX500Principal(), Stamp.Values::commonName);
            sig.setName(signerName);
            String reason = option(options, "reason");
            String location = option(options, "location");
            String contact = option(options, "contactInfo");
            if (!reason.isEmpty()) {
                sig.setReason(reason);
            }
            if (!location.isEmpty()) {
                sig.setLocation(location);
            }
            if (!contact.isEmpty()) {
                sig.setContactInfo(contact);
            }
            PDSignatureField existing = fieldName.isEmpty() ? null : emptyField(doc, fieldName, name);
            // PDFBox resets an existing field's rectangle when it adds the signature: remember the author's.
            PDRectangle own = existing == null ? null : existing.getWidgets().get(0).getRectangle();
            if (existing != null) {
                existing.setValue(sig);
            }
            int pageIndex = stamp == null ? 0 : stamp.pageIndex(doc.getNumberOfPages(), name);
            try (SignatureOptions so = new SignatureOptions()) {
                so.setPreferredSignatureSize(reserve);
                so.setPage(pageIndex);
                doc.addSignature(sig, so);
            }
            boolean visibleField = own != null && own.getWidth() > 1 && own.getHeight() > 1;
            if (stamp != null || visibleField) {
                PDSignatureField field = existing != null ? existing : fieldOf(doc, sig);
                PDAnnotationWidget widget = field.getWidgets().get(0);
                PDPage page = widget.getPage() != null ? widget.getPage() : pageOf(doc, widget, pageIndex);
                Stamp placed = stamp;
                if (visibleField) {
                    // A field drawn by the document's author keeps its place and gets an appearance, stamp or not.
                    PDRectangle box = page.getCropBox();
                    placed = Stamp.filling(new PDRectangle(own.getLowerLeftX() - box.getLowerLeftX(),
                            own.getLowerLeftY() - box.getLowerLeftY(), own.getWidth(), own.getHeight()), stamp);
                }
                placed.draw(doc, page, widget, new Stamp.Values(signerName, params.signingTime(), reason, location, contact), font, name,
                        visibleField);
            }
            output = Output.create(inputLength, document.content().file().isPresent(), params.digest(), files.inMemory(inputLength), spool);
            ExternalSigningSupport external = doc.saveIncrementalForExternalSigning(output);
            byte[] digest = digest(external.getContent(), params);
            pdfPhase = false;
            CMSSignedData signed = cms.sign(digest, creator);
            if (params.level().includes(SignatureLevel.B_T)) {
                signed = stamp(signed, context);
            }
            byte[] der = PadesCms.encoded(signed);
            if (der.length > reserve) {
                throw new TooSmall(largestStamp.get());
            }
            external.setSignature(der);
            output.close();
            // Only a file can change under us; bytes the core holds in memory are the ones it hashed.
            Optional<byte[]> known = document.content().knownDigest(params.digest());
            if (known.isPresent() && output.hashesPrefix() && !Arrays.equals(known.get(), output.prefixDigest())) {
                throw new SigningException(Reason.BAD_INPUT, name + " changed while it was being signed");
            }
            FormatOutput result = new FormatOutput(name, output.content(), PadesCms.signatureValue(signed));
            handedOut = true;
            return result;
        } catch (IOException e) {
            if (output != null && output.failed()) {
                throw new SigningException(Reason.IO_ERROR, "the signed PDF cannot be written: " + e.getMessage(), e);
            }
            throw new SigningException(Reason.BAD_INPUT, name + " cannot be signed: " + e.getMessage(), e);
        } catch (RuntimeException | StackOverflowError e) {
            String what = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
            if (!pdfPhase || e instanceof java.io.UncheckedIOException) {
                LOG.log(System.Logger.Level.ERROR, "signing " + name + " failed unexpectedly", e);
                throw new SigningException(Reason.INTERNAL, "signing " + name + " failed unexpectedly (" + what + ")", e);
            }
            throw new SigningException(Reason.BAD_INPUT, name + " is a damaged PDF that cannot be signed (" + what + ")", e);
        } finally {
            if (output != null && !handedOut) {
                output.discard();
            }
        }
    }

    private CMSSignedData stamp(CMSSignedData signed, SignatureContext context) throws SigningException {
        TimeStampSource source = context.timeStamps().orElseThrow(() -> new SigningException(Reason.TSA_UNAVAILABLE,
                "level T needs a time-stamp authority, and none is configured"));
        var digest = context.parameters().digest();
        TimeStamp ts = source.timeStamp(digest, hash(digest.jcaName(), PadesCms.signatureValue(signed)));
        largestStamp.accumulateAndGet(ts.encoded().length, Math::max);
        return cms.addStamp(signed, ts);
    }

    /**
     * How large the authority's time stamps are. The first signature at level T asks the authority
     * once for a stamp over a fixed text, so that even the first document reserves the right space.
     */
    private int expectedStampSize(SignatureContext context) throws SigningException {
        int known = largestStamp.get();
        if (known > 0) {
            return known + 32; // serial numbers and times vary by a few bytes between stamps
        }
        TimeStampSource source = context.timeStamps().orElseThrow(() -> new SigningException(Reason.TSA_UNAVAILABLE,
                "level T needs a time-stamp authority, and none is configured"));
        var digest = context.parameters().digest();
        TimeStamp probe = source.timeStamp(digest, hash(digest.jcaName(),
                "Sigillum PAdES: the size of this authority's time stamps".getBytes(StandardCharsets.US_ASCII)));
        int size = probe.encoded().length;
        largestStamp.accumulateAndGet(size, Math::max);
        LOG.log(System.Logger.Level.INFO, "time stamps from " + probe.authority() + " are " + size + " bytes; PDF signatures reserve room for them");
        return size + 32;
    }

    private static String option(Map<String, String> options, String key) {
        String v = options.get(key);
        return v == null ? "" : v.trim();
    }

    /**
     * Refuses what must not be signed: a document without pages, one whose encryption permissions
     * forbid filling in forms and signing, and one whose certification signature allows no changes.
     */
    static void checkSignable(PDDocument doc, String name, boolean existingField) throws SigningException {
        if (doc.getNumberOfPages() <= 0) {
            throw new SigningException(Reason.BAD_INPUT, name + " has no pages");
        }
        if (doc.isEncrypted()) {
            AccessPermission p = doc.getCurrentAccessPermission();
            // ISO 32000 table 22: signing an existing field needs bit 9 (or 6); adding a field needs bits 4 and 6.
            boolean allowed = existingField ? p.canFillInForm() || p.canModifyAnnotations() : p.canModify() && p.canModifyAnnotations();
            if (!allowed) {
                throw new SigningException(Reason.BAD_INPUT, name + " is encrypted, and its permissions do not allow "
                        + (existingField ? "signing its signature fields" : "adding a signature field (name an existing empty one with option field)"));
            }
        }
        int mdp = docMdp(doc);
        if (mdp == 1) {
            throw new SigningException(Reason.BAD_INPUT, name + " carries a certification signature that allows no changes"
                    + " (DocMDP P=1); another signature would break it");
        }
    }

    /** The DocMDP permission of the document's certification signature (1, 2 or 3), or 0 when it has none. */
    static int docMdp(PDDocument doc) {
        COSDictionary perms = doc.getDocumentCatalog().getCOSObject().getCOSDictionary(COSName.PERMS);
        COSDictionary certification = perms == null ? null : perms.getCOSDictionary(COSName.DOCMDP);
        if (certification == null) {
            return 0;
        }
        COSArray references = certification.getCOSArray(COSName.getPDFName("Reference"));
        if (references == null) {
            return 2;
        }
        for (COSBase r : references) {
            COSBase o = r instanceof org.apache.pdfbox.cos.COSObject obj ? obj.getObject() : r;
            if (o instanceof COSDictionary ref && COSName.DOCMDP.equals(ref.getCOSName(COSName.getPDFName("TransformMethod")))) {
                COSDictionary params = ref.getCOSDictionary(COSName.getPDFName("TransformParams"));
                return params == null ? 2 : params.getInt(COSName.P, 2);
            }
        }
        return 2;
    }

    private static PDSignatureField emptyField(PDDocument doc, String fieldName, String name) throws SigningException {
        PDAcroForm form = doc.getDocumentCatalog().getAcroForm(null);
        PDField field = form == null ? null : form.getField(fieldName);
        if (field == null) {
            throw new SigningException(Reason.BAD_INPUT, name + " has no signature field named '" + fieldName + "'");
        }
        if (!(field instanceof PDSignatureField sf)) {
            throw new SigningException(Reason.BAD_INPUT, name + ": field '" + fieldName + "' is not a signature field");
        }
        if (sf.getSignature() != null) {
            throw new SigningException(Reason.BAD_INPUT, name + ": signature field '" + fieldName + "' is already signed");
        }
        if (sf.getWidgets().isEmpty()) {
            throw new SigningException(Reason.BAD_INPUT, name + ": signature field '" + fieldName + "' has no widget to sign in");
        }
        return sf;
    }

    /** The page whose annotations hold the widget (a widget need not name its page); else the stamp's page. */
    private static PDPage pageOf(PDDocument doc, PDAnnotationWidget widget, int fallback) throws IOException {
        for (PDPage p : doc.getPages()) {
            for (var a : p.getAnnotations()) {
                if (a.getCOSObject() == widget.getCOSObject()) {
                    return p;
                }
            }
        }
        return doc.getPage(fallback);
    }

    private static PDSignatureField fieldOf(PDDocument doc, PDSignature sig) {
        for (PDField f : doc.getDocumentCatalog().getAcroForm(null).getFieldTree()) {
            if (f instanceof PDSignatureField sf && sf.getSignature() != null
                    && sf.getSignature().getCOSObject() == sig.getCOSObject()) {
                return sf;
            }
        }
        throw new IllegalStateException("the new signature field is not in the form");
    }

    private static byte[] digest(InputStream content, SignatureParameters params) throws IOException {
        try (InputStream in = content) {
            MessageDigest md = MessageDigest.getInstance(params.digest().jcaName());
            byte[] buf = new byte[64 * 1024];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
            return md.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] hash(String algorithm, byte[] data) {
        try {
            return MessageDigest.getInstance(algorithm).digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    // --- verification -----------------------------------------------------------------------

    @Override
    public boolean accepts(Document signed) {
        try (InputStream in = signed.content().openStream()) {
            byte[] head = in.readNBytes(1024);
            // Readers find the header within the first kilobyte; a CMS file enclosing a PDF is not one.
            return head.length > 0 && head[0] != 0x30 && new String(head, StandardCharsets.ISO_8859_1).contains("%PDF-");
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public List<SignatureVerdict> verify(Document signed, Optional<org.sigillum.api.Content> detachedData) throws SigningException {
        return verifier.verify(signed);
    }
}
