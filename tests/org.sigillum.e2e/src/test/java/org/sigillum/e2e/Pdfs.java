package org.sigillum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.zip.Deflater;

import org.apache.pdfbox.Loader;
import org.apache.pdfbox.cos.COSName;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDResources;
import org.apache.pdfbox.pdmodel.common.PDRectangle;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import org.apache.pdfbox.pdmodel.interactive.annotation.PDAnnotationWidget;
import org.apache.pdfbox.pdmodel.interactive.form.PDAcroForm;
import org.apache.pdfbox.pdmodel.interactive.form.PDSignatureField;
import org.apache.pdfbox.pdmodel.interactive.form.PDTextField;

import eu.europa.esig.dss.enumerations.CertificationPermission;
import eu.europa.esig.dss.enumerations.DigestAlgorithm;
import eu.europa.esig.dss.enumerations.SignatureLevel;
import eu.europa.esig.dss.model.DSSDocument;
import eu.europa.esig.dss.model.FileDocument;
import eu.europa.esig.dss.model.SignatureValue;
import eu.europa.esig.dss.model.ToBeSigned;
import eu.europa.esig.dss.pades.PAdESSignatureParameters;
import eu.europa.esig.dss.pades.signature.PAdESService;
import eu.europa.esig.dss.spi.validation.CommonCertificateVerifier;
import eu.europa.esig.dss.token.DSSPrivateKeyEntry;
import eu.europa.esig.dss.token.Pkcs12SignatureToken;

/**
 * PDFs of every kind a site receives, made by the tools that make them in the wild: ghostscript
 * (plain and PDF/A), qpdf (object streams, linearized, PDF 2.0, encrypted), PDFBox (forms,
 * incremental updates), EU DSS (an earlier signature) and hand-written hostile files.
 */
final class Pdfs {

    private Pdfs() {
    }

    static void run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", cmd) + " hung");
        }
        // qpdf exits 3 for warnings only; anything else is a broken fixture.
        int rc = p.exitValue();
        if (rc != 0 && !(cmd[0].equals("qpdf") && rc == 3)) {
            throw new AssertionError(String.join(" ", cmd) + " failed (" + rc + "):\n" + new String(out, StandardCharsets.UTF_8));
        }
    }

    static String output(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", cmd) + " hung");
        }
        return new String(out, StandardCharsets.UTF_8);
    }

    /** A PostScript letter of {@code pages} pages, printed to PDF by ghostscript. */
    static Path ghostscript(Path dir, String name, int pages, String... gsOptions) throws Exception {
        Path ps = dir.resolve(name + ".ps");
        StringBuilder sb = new StringBuilder("%!PS\n/Helvetica findfont 20 scalefont setfont\n");
        for (int i = 1; i <= pages; i++) {
            sb.append("72 720 moveto (Rechnung 2026-").append(i).append(" - page ").append(i).append(") show\n");
            sb.append("72 690 moveto (Betrag: 1.234,56 EUR) show\nshowpage\n");
        }
        Files.writeString(ps, sb);
        Path pdf = dir.resolve(name);
        List<String> cmd = new ArrayList<>(List.of("gs", "-q", "-dBATCH", "-dNOPAUSE", "-dNOSAFER", "-sDEVICE=pdfwrite"));
        cmd.addAll(List.of(gsOptions));
        cmd.add("-sOutputFile=" + pdf);
        cmd.add(ps.toString());
        run(cmd.toArray(String[]::new));
        return pdf;
    }

    /**
     * An invoice as a scanning line or an ERP prints it: six pages of text in standard fonts and a
     * 170 x 170 colour image on the first page (as incompressible as a photo), about 100 KB.
     */
    static Path invoice(Path dir, String name) throws Exception {
        Random random = new Random(5);
        String[] words = { "Rechnung", "Betrag", "Kunde", "Lieferung", "gemaess", "Vertrag", "Zahlung", "bis", "zum", "Monat",
                "Steuer", "netto", "brutto" };
        StringBuilder ps = new StringBuilder("%!PS\n");
        for (int page = 1; page <= 6; page++) {
            ps.append("/Times-Roman findfont 11 scalefont setfont\n");
            for (int line = 0, y = 780; line < 60; line++, y -= 12) {
                StringBuilder text = new StringBuilder();
                for (int w = 0; w < 12; w++) {
                    text.append(w == 0 ? "" : " ").append(words[random.nextInt(words.length)]);
                }
                ps.append("50 ").append(y).append(" moveto (").append(text).append(") show\n");
            }
            ps.append("/Helvetica-Bold findfont 14 scalefont setfont 50 800 moveto (Seite ").append(page).append(") show\n");
            if (page == 1) {
                int side = 170;
                byte[] pixels = new byte[side * side * 3];
                random.nextBytes(pixels);
                ps.append("gsave 300 500 translate 170 170 scale\n").append(side).append(' ').append(side).append(" 8 [").append(side)
                        .append(" 0 0 -").append(side).append(" 0 ").append(side)
                        .append("] currentfile /ASCIIHexDecode filter false 3 colorimage\n")
                        .append(java.util.HexFormat.of().formatHex(pixels)).append(">\ngrestore\n");
            }
            ps.append("showpage\n");
        }
        Path source = Files.writeString(dir.resolve(name + ".ps"), ps);
        Path pdf = dir.resolve(name);
        run("gs", "-q", "-dBATCH", "-dNOPAUSE", "-sDEVICE=pdfwrite", "-dAutoFilterColorImages=false", "-sColorImageFilter=FlateEncode",
                "-sOutputFile=" + pdf, source.toString());
        return pdf;
    }

    /** PDF/A-{part}b by ghostscript, with the sRGB output intent its PDFA_def.ps template asks for. */
    static Path pdfa(Path dir, int part) throws Exception {
        Path def = dir.resolve("pdfa_def.ps");
        if (!Files.exists(def)) {
            Path template;
            try (var s = Files.walk(Path.of("/usr/share/ghostscript"))) {
                template = s.filter(p -> p.getFileName().toString().equals("PDFA_def.ps")).findFirst().orElseThrow();
            }
            Path icc;
            try (var s = Files.walk(Path.of("/usr/share/color/icc"))) {
                icc = s.filter(p -> p.getFileName().toString().equals("srgb.icc")).findFirst().orElseThrow();
            }
            Files.writeString(def, Files.readString(template, StandardCharsets.ISO_8859_1).replace("(srgb.icc)", "(" + icc + ")"),
                    StandardCharsets.ISO_8859_1);
        }
        Path ps = ghostscript(dir, "pdfa-src-" + part + ".pdf", 1).resolveSibling("pdfa-src-" + part + ".pdf.ps");
        Path pdf = dir.resolve("pdfa-" + part + "b.pdf");
        run("gs", "-q", "-dBATCH", "-dNOPAUSE", "-dNOSAFER", "-dPDFA=" + part, "-dPDFACompatibilityPolicy=1",
                "-sColorConversionStrategy=RGB", "-sDEVICE=pdfwrite", "-sOutputFile=" + pdf, def.toString(), ps.toString());
        return pdf;
    }

    static Path qpdf(Path in, Path out, String... options) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("qpdf"));
        cmd.addAll(List.of(options));
        cmd.add(in.toString());
        cmd.add(out.toString());
        run(cmd.toArray(String[]::new));
        return out;
    }

    /** A form with a filled text field and an empty signature field named "Approval". */
    static Path form(Path file) throws IOException {
        try (PDDocument doc = new PDDocument()) {
            PDPage page = new PDPage(PDRectangle.A4);
            doc.addPage(page);
            PDAcroForm form = new PDAcroForm(doc);
            doc.getDocumentCatalog().setAcroForm(form);
            PDResources dr = new PDResources();
            dr.put(COSName.getPDFName("Helv"), new PDType1Font(Standard14Fonts.FontName.HELVETICA));
            form.setDefaultResources(dr);
            form.setDefaultAppearance("/Helv 12 Tf 0 g");
            PDTextField name = new PDTextField(form);
            name.setPartialName("Name");
            PDAnnotationWidget w = name.getWidgets().get(0);
            w.setRectangle(new PDRectangle(50, 700, 250, 20));
            w.setPage(page);
            w.setPrinted(true);
            page.getAnnotations().add(w);
            form.getFields().add(name);
            name.setValue("Max Mustermann");
            PDSignatureField sig = new PDSignatureField(form);
            sig.setPartialName("Approval");
            PDAnnotationWidget sw = sig.getWidgets().get(0);
            sw.setRectangle(new PDRectangle(300, 100, 220, 60));
            sw.setPage(page);
            sw.setPrinted(true);
            page.getAnnotations().add(sw);
            form.getFields().add(sig);
            doc.save(file.toFile());
        }
        return file;
    }

    /** A PDF holding a signature field whose value is broken: a byte range past the end, no CMS. */
    static Path brokenSignature(Path in, Path out) throws IOException {
        try (PDDocument doc = Loader.loadPDF(in.toFile())) {
            PDAcroForm form = new PDAcroForm(doc);
            doc.getDocumentCatalog().setAcroForm(form);
            PDSignatureField field = new PDSignatureField(form);
            field.setPartialName("Broken");
            org.apache.pdfbox.pdmodel.interactive.digitalsignature.PDSignature sig =
                    new org.apache.pdfbox.pdmodel.interactive.digitalsignature.PDSignature();
            sig.setFilter(org.apache.pdfbox.pdmodel.interactive.digitalsignature.PDSignature.FILTER_ADOBE_PPKLITE);
            sig.setSubFilter(org.apache.pdfbox.pdmodel.interactive.digitalsignature.PDSignature.SUBFILTER_ETSI_CADES_DETACHED);
            sig.setByteRange(new int[] { 0, 10, 20, 999_999_999 });
            sig.setContents(new byte[] { 1, 2, 3, 4 });
            field.setValue(sig);
            PDAnnotationWidget w = field.getWidgets().get(0);
            w.setRectangle(new PDRectangle());
            w.setPage(doc.getPage(0));
            doc.getPage(0).getAnnotations().add(w);
            form.getFields().add(field);
            doc.save(out.toFile());
        }
        return out;
    }

    /** The file with one incremental update appended by PDFBox (a changed title). */
    static Path incremental(Path in, Path out) throws IOException {
        try (PDDocument doc = Loader.loadPDF(in.toFile()); OutputStream os = Files.newOutputStream(out)) {
            doc.getDocumentInformation().setTitle("Rechnung, ergänzt");
            doc.getDocumentInformation().getCOSObject().setNeedToBeUpdated(true);
            doc.getDocumentCatalog().getCOSObject().setNeedToBeUpdated(true);
            doc.saveIncremental(os);
        }
        return out;
    }

    /** A PAdES-B signature by EU DSS with the same PKCS#12 key; with a permission, a certification signature. */
    static Path dssSigned(Path in, Path out, Path p12, String password, CertificationPermission permission) throws IOException {
        try (Pkcs12SignatureToken token = new Pkcs12SignatureToken(p12.toFile(), new KeyStore.PasswordProtection(password.toCharArray()))) {
            DSSPrivateKeyEntry key = token.getKeys().get(0);
            PAdESSignatureParameters p = new PAdESSignatureParameters();
            p.setSignatureLevel(SignatureLevel.PAdES_BASELINE_B);
            p.setSigningCertificate(key.getCertificate());
            p.setCertificateChain(key.getCertificateChain());
            p.setDigestAlgorithm(DigestAlgorithm.SHA256);
            if (permission != null) {
                p.setPermission(permission);
            }
            PAdESService service = new PAdESService(new CommonCertificateVerifier());
            DSSDocument doc = new FileDocument(in.toFile());
            ToBeSigned tbs = service.getDataToSign(doc, p);
            SignatureValue sv = token.sign(tbs, p.getDigestAlgorithm(), key);
            service.signDocument(doc, p, sv).save(out.toString());
        }
        return out;
    }

    /** The demo key's PKCS#12 password, from the token configuration a new home writes. */
    static String demoPassword(Path home) throws IOException {
        for (String line : Files.readAllLines(home.resolve("etc/org.sigillum.token.soft-demo.cfg"))) {
            if (line.startsWith(".password")) {
                return line.substring(line.indexOf('=') + 1).trim();
            }
        }
        throw new AssertionError("no demo password");
    }

    // --- hand-written files -----------------------------------------------------------------

    /** A classic PDF with the given objects (object i+1 is objects.get(i)) and a correct xref table. */
    static byte[] classic(List<byte[]> objects) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes("%PDF-1.7\n%\u00e2\u00e3\u00cf\u00d3\n".getBytes(StandardCharsets.ISO_8859_1));
        List<Integer> offsets = new ArrayList<>();
        for (int i = 0; i < objects.size(); i++) {
            offsets.add(out.size());
            out.writeBytes(((i + 1) + " 0 obj\n").getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(objects.get(i));
            out.writeBytes("\nendobj\n".getBytes(StandardCharsets.US_ASCII));
        }
        int xref = out.size();
        StringBuilder sb = new StringBuilder("xref\n0 " + (objects.size() + 1) + "\n0000000000 65535 f \n");
        for (int o : offsets) {
            sb.append(String.format("%010d 00000 n \n", o));
        }
        sb.append("trailer\n<< /Size ").append(objects.size() + 1).append(" /Root 1 0 R >>\nstartxref\n").append(xref).append("\n%%EOF\n");
        out.writeBytes(sb.toString().getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** A page tree whose /Kids contain the tree itself. */
    static byte[] pageTreeLoop() {
        return classic(List.of(ascii("<< /Type /Catalog /Pages 2 0 R >>"), ascii("<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>"),
                ascii("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>")));
    }

    /** A catalog nested 100,000 arrays deep. */
    static byte[] deepNesting() {
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        return classic(List.of(ascii("<< /Type /Catalog /Pages 2 0 R /X " + deep + " >>"),
                ascii("<< /Type /Pages /Kids [3 0 R] /Count 1 >>"), ascii("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>")));
    }

    /**
     * Catalog and pages inside an object stream that inflates to {@code megabytes} MB: PDFBox would
     * decode all of it into memory to read the catalog.
     */
    static byte[] objectStreamBomb(int megabytes) {
        String[] objs = { "<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>" };
        StringBuilder header = new StringBuilder();
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < objs.length; i++) {
            header.append(i + 1).append(' ').append(body.length()).append(' ');
            body.append(objs[i]).append(' ');
        }
        Deflater d = new Deflater(9);
        ByteArrayOutputStream z = new ByteArrayOutputStream();
        byte[] buf = new byte[64 * 1024];
        d.setInput(ascii(header.toString() + body));
        drain(d, z, buf);
        byte[] blanks = new byte[1 << 20];
        java.util.Arrays.fill(blanks, (byte) ' ');
        for (int i = 0; i < megabytes; i++) {
            d.setInput(blanks);
            drain(d, z, buf);
        }
        d.finish();
        while (!d.finished()) {
            z.write(buf, 0, d.deflate(buf));
        }
        byte[] data = z.toByteArray();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ascii("%PDF-1.7\n%\u00e2\u00e3\u00cf\u00d3\n"));
        int objStm = out.size();
        out.writeBytes(ascii("4 0 obj\n<< /Type /ObjStm /N 3 /First " + header.length() + " /Length " + data.length
                + " /Filter /FlateDecode >>\nstream\n"));
        out.writeBytes(data);
        out.writeBytes(ascii("\nendstream\nendobj\n"));
        int xref = out.size();
        ByteArrayOutputStream rows = new ByteArrayOutputStream();
        row(rows, 0, 0, 65535);
        for (int i = 0; i < 3; i++) {
            row(rows, 2, 4, i);
        }
        row(rows, 1, objStm, 0);
        row(rows, 1, xref, 0);
        byte[] r = rows.toByteArray();
        out.writeBytes(ascii("5 0 obj\n<< /Type /XRef /Size 6 /W [1 4 2] /Root 1 0 R /Length " + r.length + " >>\nstream\n"));
        out.writeBytes(r);
        out.writeBytes(ascii("\nendstream\nendobj\nstartxref\n" + xref + "\n%%EOF\n"));
        return out.toByteArray();
    }

    private static void drain(Deflater d, ByteArrayOutputStream z, byte[] buf) {
        while (!d.needsInput()) {
            z.write(buf, 0, d.deflate(buf));
        }
    }

    private static void row(ByteArrayOutputStream rows, int type, int field2, int field3) {
        rows.write(type);
        rows.write(field2 >>> 24);
        rows.write(field2 >>> 16);
        rows.write(field2 >>> 8);
        rows.write(field2);
        rows.write(field3 >>> 8);
        rows.write(field3);
    }

    /**
     * A PDF of {@code pages} pages of about {@code bytesPerPage} each (an uncompressed content
     * stream carrying incompressible filler in a comment), written straight to disk.
     */
    static Path large(Path file, int pages, int bytesPerPage) throws IOException {
        Random random = new Random(42);
        List<Long> offsets = new ArrayList<>();
        try (var out = new java.io.BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            long[] pos = { 0 };
            java.util.function.Consumer<byte[]> w = b -> {
                try {
                    out.write(b);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                pos[0] += b.length;
            };
            w.accept(ascii("%PDF-1.7\n%\u00e2\u00e3\u00cf\u00d3\n"));
            int objects = 2 + 2 * pages;
            offsets.add(pos[0]);
            w.accept(ascii("1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"));
            offsets.add(pos[0]);
            StringBuilder kids = new StringBuilder();
            for (int i = 0; i < pages; i++) {
                kids.append(3 + 2 * i).append(" 0 R ");
            }
            w.accept(ascii("2 0 obj\n<< /Type /Pages /Count " + pages + " /Kids [" + kids + "] >>\nendobj\n"));
            byte[] filler = new byte[bytesPerPage];
            for (int i = 0; i < pages; i++) {
                int page = 3 + 2 * i;
                offsets.add(pos[0]);
                w.accept(ascii(page + " 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents " + (page + 1)
                        + " 0 R >>\nendobj\n"));
                for (int k = 0; k < filler.length; k++) {
                    filler[k] = (byte) ('a' + random.nextInt(26));
                }
                filler[filler.length - 1] = '\n';
                String text = "BT /F1 1 Tf ET\n%";
                offsets.add(pos[0]);
                w.accept(ascii((page + 1) + " 0 obj\n<< /Length " + (text.length() + filler.length) + " >>\nstream\n" + text));
                w.accept(filler);
                w.accept(ascii("\nendstream\nendobj\n"));
            }
            long xref = pos[0];
            StringBuilder sb = new StringBuilder("xref\n0 " + (objects + 1) + "\n0000000000 65535 f \n");
            for (long o : offsets) {
                sb.append(String.format("%010d 00000 n \n", o));
            }
            sb.append("trailer\n<< /Size ").append(objects + 1).append(" /Root 1 0 R >>\nstartxref\n").append(xref).append("\n%%EOF\n");
            w.accept(ascii(sb.toString()));
        }
        return file;
    }

    /** pdfsig's report; every signature must say "Signature is Valid." for a good file. */
    static String pdfsig(Path pdf) throws Exception {
        return output("pdfsig", pdf.toString());
    }

    /** Where the byte range of the signature that ends last ends. */
    static long lastByteRangeEnd(Path pdf) throws IOException {
        String text = new String(Files.readAllBytes(pdf), StandardCharsets.ISO_8859_1);
        java.util.regex.Matcher m = java.util.regex.Pattern
                .compile("/ByteRange\\s*\\[\\s*(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s*\\]").matcher(text);
        long end = -1;
        while (m.find()) {
            end = Math.max(end, Long.parseLong(m.group(3)) + Long.parseLong(m.group(4)));
        }
        return end;
    }

    static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    static void assertStartsWith(Path original, Path signed) throws IOException {
        byte[] a = Files.readAllBytes(original);
        byte[] b = Files.readAllBytes(signed);
        assertEquals(true, b.length > a.length && java.util.Arrays.equals(a, 0, a.length, b, 0, a.length),
                signed + " must begin with the original bytes (an incremental update)");
    }
}
