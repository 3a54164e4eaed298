package org.sigillum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.imageio.ImageIO;

import org.apache.pdfbox.Loader;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.interactive.form.PDAcroForm;
import org.apache.pdfbox.pdmodel.interactive.form.PDField;
import org.apache.pdfbox.pdmodel.interactive.form.PDSignatureField;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import eu.europa.esig.dss.enumerations.CertificationPermission;

/**
 * PDFs as sites receive them, signed with ./sigillum sign --profile pades on a fresh home; EU DSS
 * and poppler's pdfsig decide. Every input kind is made by the tool that makes it in the wild.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PadesTest {

    private Path tmp;
    private Path home;
    private Path in;
    private Path root;
    private Server server;
    /** Input name -> the file, for the inputs that must sign. */
    private final Map<String, Path> inputs = new LinkedHashMap<>();

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        tmp = dir;
        home = tmp.resolve("home");
        in = Files.createDirectories(tmp.resolve("in"));
        server = new Server(home, tmp.resolve("server.log")).start(true);
        root = home.resolve("pki/demo-root.pem");

        Path plain = Pdfs.ghostscript(in, "letter-1.7.pdf", 2);
        inputs.put("letter-1.7.pdf", plain);
        inputs.put("letter-1.4.pdf", Pdfs.ghostscript(in, "letter-1.4.pdf", 2, "-dCompatibilityLevel=1.4"));
        inputs.put("pdf-2.0.pdf", Pdfs.qpdf(plain, in.resolve("pdf-2.0.pdf"), "--force-version=2.0"));
        inputs.put("object-streams.pdf", Pdfs.qpdf(plain, in.resolve("object-streams.pdf"), "--object-streams=generate"));
        inputs.put("linearized.pdf", Pdfs.qpdf(plain, in.resolve("linearized.pdf"), "--linearize"));
        inputs.put("incremental.pdf", Pdfs.incremental(plain, in.resolve("incremental.pdf")));
        inputs.put("form.pdf", Pdfs.form(in.resolve("form.pdf")));
        inputs.put("owner-password.pdf", Pdfs.qpdf(plain, in.resolve("owner-password.pdf"), "--encrypt", "", "owner-secret", "256", "--"));
        for (int part = 1; part <= 3; part++) {
            inputs.put("pdfa-" + part + "b.pdf", Pdfs.pdfa(in, part));
        }
        String password = Pdfs.demoPassword(home);
        inputs.put("signed-by-dss.pdf", Pdfs.dssSigned(plain, in.resolve("signed-by-dss.pdf"), home.resolve("pki/demo-signer.p12"),
                password, null));
        // Certified with "form fill-in and signing" (DocMDP P=2): one more signature is a permitted change.
        inputs.put("certified-p2.pdf", Pdfs.dssSigned(plain, in.resolve("certified-p2.pdf"), home.resolve("pki/demo-signer.p12"),
                password, CertificationPermission.MINIMAL_CHANGES_PERMITTED));
    }

    @AfterAll
    void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    private Sigillum.Result sign(Path out, List<Path> files, String... options) throws Exception {
        List<String> args = new ArrayList<>(List.of("sign", "--profile", "pades", "--out", out.toString()));
        args.addAll(List.of(options));
        files.forEach(f -> args.add(f.toString()));
        return Sigillum.run(home, args.toArray(String[]::new));
    }

    @Test
    void everyInputKindIsPadesBaselineBInDssAndPdfsigAndAChangedByteFails() throws Exception {
        Path out = tmp.resolve("out-b");
        Sigillum.Result r = sign(out, new ArrayList<>(inputs.values()));
        assertEquals(0, r.exit(), r.toString());
        for (var e : inputs.entrySet()) {
            Path signed = out.resolve(e.getKey());
            Pdfs.assertStartsWith(e.getValue(), signed);
            int expected = e.getKey().equals("signed-by-dss.pdf") || e.getKey().equals("certified-p2.pdf") ? 2 : 1;
            List<Dss.Verdict> verdicts = Dss.validateAll(signed, root);
            assertEquals(expected, verdicts.size(), e.getKey() + ": " + verdicts);
            for (Dss.Verdict v : verdicts) {
                assertEquals("TOTAL_PASSED", v.indication(), e.getKey() + ": " + verdicts);
                assertEquals("PAdES-BASELINE-B", v.format(), e.getKey() + ": " + verdicts);
            }
            String report = Pdfs.pdfsig(signed);
            assertEquals(expected, Pdfs.count(report, "Signature Validation: Signature is Valid."), e.getKey() + ":\n" + report);
            // poppler 22.12 says "Not total document signed" for every encrypted PDF, EU DSS's own signatures too,
            // so there the byte range is checked here instead.
            if (!e.getKey().equals("owner-password.pdf")) {
                assertTrue(report.contains("Total document signed"), e.getKey() + ":\n" + report);
            }
            assertEquals(Files.size(signed), Pdfs.lastByteRangeEnd(signed), e.getKey() + ": the last signature covers the whole file");
            assertTrue(report.contains("ETSI.CAdES.detached"), e.getKey() + ":\n" + report);

            // One byte changed inside the signed range (in the binary comment of the header line).
            Path changed = tmp.resolve("changed-" + e.getKey());
            byte[] b = Files.readAllBytes(signed);
            b[11] ^= 0x01;
            Files.write(changed, b);
            List<Dss.Verdict> bad = Dss.validateAll(changed, root);
            assertTrue(bad.stream().anyMatch(v -> v.indication().equals("TOTAL_FAILED") && v.subIndication().equals("HASH_FAILURE")),
                    e.getKey() + " changed: " + bad);
            String badReport = Pdfs.pdfsig(changed);
            assertEquals(0, Pdfs.count(badReport, "Signature is Valid."), e.getKey() + " changed:\n" + badReport);
            Sigillum.Result ours = Sigillum.run(home, "verify", changed.toString());
            assertEquals(1, ours.exit(), e.getKey() + " changed: " + ours);
        }
        Sigillum.Result ok = Sigillum.run(home, "verify", out.resolve("signed-by-dss.pdf").toString());
        assertEquals(0, ok.exit(), ok.toString());
        assertEquals(2, Pdfs.count(ok.out(), ": valid"), ok.toString());

        // A revision appended after signing (here a changed title) is signed by nobody: not valid.
        Path appended = Pdfs.incremental(out.resolve("letter-1.7.pdf"), tmp.resolve("appended-after-signing.pdf"));
        Sigillum.Result after = Sigillum.run(home, "verify", appended.toString());
        assertEquals(1, after.exit(), after.toString());
        assertTrue(after.out().contains("changed after its last signature"), after.toString());
        assertTrue(Pdfs.pdfsig(appended).contains("Not total document signed"));
    }

    @Test
    void aDocumentWithABrokenOlderSignatureIsStillSignedAndTheBrokenOneReported() throws Exception {
        Path broken = Pdfs.brokenSignature(inputs.get("letter-1.7.pdf"), tmp.resolve("broken-signature.pdf"));
        Path out = tmp.resolve("out-broken-sig");
        Sigillum.Result r = sign(out, List.of(broken));
        assertEquals(0, r.exit(), r.toString());
        String report = Pdfs.pdfsig(out.resolve("broken-signature.pdf"));
        assertEquals(1, Pdfs.count(report, "Signature is Valid."), report);
        Sigillum.Result v = Sigillum.run(home, "verify", out.resolve("broken-signature.pdf").toString());
        assertEquals(1, v.exit(), "one of the two signatures is broken: " + v);
        assertEquals(1, Pdfs.count(v.out(), ": valid"), v.toString());
        assertEquals(1, Pdfs.count(v.out(), ": invalid"), v.toString());
    }

    @Test
    void levelTIsPadesBaselineTWithTheBuiltInTsa() throws Exception {
        Path out = tmp.resolve("out-t");
        Path pdfa = inputs.get("pdfa-2b.pdf");
        Sigillum.Result r = sign(out, List.of(inputs.get("letter-1.7.pdf"), inputs.get("object-streams.pdf"), pdfa), "--level", "T");
        assertEquals(0, r.exit(), r.toString());
        for (String name : List.of("letter-1.7.pdf", "object-streams.pdf", "pdfa-2b.pdf")) {
            List<Dss.Verdict> v = Dss.validateAll(out.resolve(name), root);
            assertEquals(1, v.size(), name + ": " + v);
            assertEquals("TOTAL_PASSED", v.get(0).indication(), name + ": " + v);
            assertEquals("PAdES-BASELINE-T", v.get(0).format(), name + ": " + v);
            String report = Pdfs.pdfsig(out.resolve(name));
            assertEquals(1, Pdfs.count(report, "Signature is Valid."), name + ":\n" + report);
            byte[] b = Files.readAllBytes(out.resolve(name));
            b[11] ^= 0x01;
            Path changed = Files.write(tmp.resolve("changed-t-" + name), b);
            List<Dss.Verdict> bad = Dss.validateAll(changed, root);
            assertEquals("HASH_FAILURE", bad.get(0).subIndication(), name + " changed: " + bad);
        }
    }

    @Test
    void aVisibleStampIsDrawnWhereConfiguredAndNowhereElse() throws Exception {
        Path out = tmp.resolve("out-stamp");
        Path original = inputs.get("letter-1.7.pdf");
        Sigillum.Result r = sign(out, List.of(original), "--option", "stamp.rect=300,40,250,70", "--option", "stamp.page=last",
                "--option", "reason=Geprüft und freigegeben");
        assertEquals(0, r.exit(), r.toString());
        Path signed = out.resolve(original.getFileName());
        BufferedImage before = render(original, 2, "before");
        BufferedImage after = render(signed, 2, "after");
        // 72 dpi: one pixel per point; the image's y axis runs down from the page's top.
        int x0 = 300;
        int y0 = after.getHeight() - 40 - 70;
        assertEquals(0, inked(before, x0, y0, 250, 70), "the original has nothing in the stamp's rectangle");
        int ink = inked(after, x0, y0, 250, 70);
        assertTrue(ink > 250 * 70 / 50, "the stamp's rectangle must not be blank after signing (" + ink + " inked pixels)");
        assertEquals(0, inked(after, 0, 0, after.getWidth(), y0 - 2) - inked(before, 0, 0, before.getWidth(), y0 - 2),
                "nothing else on the page changed");
        BufferedImage firstBefore = render(original, 1, "first-before");
        BufferedImage firstAfter = render(signed, 1, "first-after");
        assertEquals(inked(firstBefore, 0, 0, firstBefore.getWidth(), firstBefore.getHeight()),
                inked(firstAfter, 0, 0, firstAfter.getWidth(), firstAfter.getHeight()), "page 1 carries no stamp");
        assertEquals("TOTAL_PASSED", Dss.validateAll(signed, root).get(0).indication());
        String fonts = Pdfs.output("pdffonts", signed.toString());
        String stampFont = fonts.lines().filter(l -> l.contains("DejaVuSans")).findFirst().orElse("");
        assertTrue(stampFont.matches(".*\\s+yes\\s+yes\\s+\\S+\\s+\\d+\\s+\\d+\\s*$"), "the stamp's font is an embedded subset:\n" + fonts);
    }

    @Test
    void onARotatedPageTheStampIsWhereTheReaderSeesTheRectangleAndUpright() throws Exception {
        Path upright = inputs.get("letter-1.7.pdf");
        Path rotated = Pdfs.qpdf(upright, tmp.resolve("rotated.pdf"), "--rotate=+90");
        String[] stamp = { "--option", "stamp.rect=300,40,250,70", "--option", "stamp.text=Sigillum rotation test\\nline two" };
        Path outUp = tmp.resolve("out-upright");
        Path outRot = tmp.resolve("out-rotated");
        List<String> a = new ArrayList<>(List.of(stamp));
        assertEquals(0, sign(outUp, List.of(upright), a.toArray(String[]::new)).exit());
        Sigillum.Result r = sign(outRot, List.of(rotated), a.toArray(String[]::new));
        assertEquals(0, r.exit(), r.toString());
        BufferedImage up = render(outUp.resolve(upright.getFileName()), 1, "upright");
        BufferedImage rot = render(outRot.resolve("rotated.pdf"), 1, "rotated");
        assertEquals(up.getWidth(), rot.getHeight(), "the rotated page is shown turned");
        int topUp = up.getHeight() - 40 - 70;
        int topRot = rot.getHeight() - 40 - 70;
        assertTrue(inked(rot, 300, topRot, 250, 70) > 250 * 70 / 50, "the stamp is where the reader sees the rectangle");
        int differing = 0;
        for (int x = 0; x < 250; x++) {
            for (int y = 0; y < 70; y++) {
                int p = up.getRGB(300 + x, topUp + y);
                int q = rot.getRGB(300 + x, topRot + y);
                if (Math.abs((p >> 8 & 0xff) - (q >> 8 & 0xff)) > 60) {
                    differing++;
                }
            }
        }
        assertTrue(differing < 250 * 70 / 50, "the stamp looks the same as on an upright page, so it is upright (" + differing
                + " pixels differ)");
        assertEquals(1, Pdfs.count(Pdfs.pdfsig(outRot.resolve("rotated.pdf")), "Signature is Valid."));
    }

    @Test
    void aProfileCanPutAnImageIntoTheStampButARequestCannotNameAFile() throws Exception {
        BufferedImage logo = new BufferedImage(60, 60, BufferedImage.TYPE_INT_RGB);
        var g = logo.createGraphics();
        g.setColor(java.awt.Color.RED);
        g.fillRect(0, 0, 60, 60);
        g.dispose();
        ImageIO.write(logo, "png", home.resolve("pki/logo.png").toFile());
        Path cfg = tmp.resolve("org.sigillum.profile-pades-logo.cfg");
        Files.writeString(cfg, String.join("\n", "name = pades-logo", "format = pades", "level = B", "tokens = demo",
                "packaging = embedded", "trustAnchors = pki", "option.stamp.rect = 40,600,300,80", "option.stamp.image = pki/logo.png",
                "option.reason = Freigegeben", "allowedOverrides = options", ""));
        Files.move(cfg, home.resolve("etc").resolve(cfg.getFileName()));
        Path original = inputs.get("letter-1.7.pdf");
        Path out = tmp.resolve("out-logo");
        Sigillum.Result r = signOnceLoaded("pades-logo", out, original);
        assertEquals(0, r.exit(), r.toString());
        BufferedImage page = render(out.resolve(original.getFileName()), 1, "logo");
        int top = page.getHeight() - 600 - 80;
        int red = 0;
        for (int x = 40; x < 40 + 100; x++) {
            for (int y = top; y < top + 80; y++) {
                int rgb = page.getRGB(x, y);
                if ((rgb >> 16 & 0xff) > 200 && (rgb >> 8 & 0xff) < 60 && (rgb & 0xff) < 60) {
                    red++;
                }
            }
        }
        assertTrue(red > 1000, "the logo is drawn at the stamp's left (" + red + " red pixels)");
        Sigillum.Result refused = Sigillum.run(home, "sign", "--profile", "pades-logo", "--out", tmp.resolve("out-logo-2").toString(),
                "--option", "stamp.image=/etc/shadow", original.toString());
        assertEquals(1, refused.exit(), refused.toString());
        assertTrue(refused.err().contains("names a file"), refused.toString());
    }

    /** Signs with a profile just written to etc/, once FileInstall and the core have picked it up. */
    private Sigillum.Result signOnceLoaded(String profile, Path out, Path file, String... options) throws Exception {
        Sigillum.Result r = null;
        long end = System.currentTimeMillis() + 30_000;
        while (System.currentTimeMillis() < end) {
            List<String> args = new ArrayList<>(List.of("sign", "--profile", profile, "--out", out.toString()));
            args.addAll(List.of(options));
            args.add(file.toString());
            r = Sigillum.run(home, args.toArray(String[]::new));
            if (r.exit() == 0 || !(r.err().contains("no profile") || r.err().contains("token"))) {
                break;
            }
            Thread.sleep(300);
        }
        return r;
    }

    @Test
    void ecdsaAndRsaPssKeysMakeValidPdfSignatures() throws Exception {
        Path pki = Files.createDirectories(home.resolve("pki/ec"));
        // An ECDSA P-256 CA and signer, made with openssl (the core refuses a self-signed signer).
        String k = pki.resolve("ec.key").toString();
        Pdfs.run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384", "-keyout", pki.resolve("ca.key").toString(),
                "-out", pki.resolve("ca.pem").toString(), "-days", "30", "-nodes", "-subj", "/CN=Sigillum EC test CA",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        Pdfs.run("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-keyout", k, "-nodes",
                "-subj", "/CN=Sigillum EC test signer", "-out", pki.resolve("ec.csr").toString());
        Path ext = Files.writeString(pki.resolve("ext.cnf"), "keyUsage=critical,digitalSignature,nonRepudiation\n");
        Pdfs.run("openssl", "x509", "-req", "-in", pki.resolve("ec.csr").toString(), "-CA", pki.resolve("ca.pem").toString(),
                "-CAkey", pki.resolve("ca.key").toString(), "-CAcreateserial", "-days", "20", "-extfile", ext.toString(),
                "-out", pki.resolve("ec.pem").toString());
        Pdfs.run("openssl", "pkcs12", "-export", "-inkey", k, "-in", pki.resolve("ec.pem").toString(), "-certfile",
                pki.resolve("ca.pem").toString(), "-out", pki.resolve("ec.p12").toString(), "-passout", "pass:ec-test");
        Path token = tmp.resolve("org.sigillum.token.soft-ec.cfg");
        Files.writeString(token, "id = ec\npath = pki/ec/ec.p12\n.password = ec-test\n");
        Files.move(token, home.resolve("etc").resolve(token.getFileName()));
        Path profile = tmp.resolve("org.sigillum.profile-pades-ec.cfg");
        Files.writeString(profile, "name = pades-ec\nformat = pades\nlevel = B\ntokens = ec\npackaging = embedded\ntrustAnchors = pki/ec/ca.pem\n");
        Files.move(profile, home.resolve("etc").resolve(profile.getFileName()));
        Path original = inputs.get("object-streams.pdf");
        Path ecOut = tmp.resolve("out-ec");
        Sigillum.Result ec = signOnceLoaded("pades-ec", ecOut, original);
        assertEquals(0, ec.exit(), ec.toString());
        Path ecSigned = ecOut.resolve(original.getFileName());
        List<Dss.Verdict> v = Dss.validateAll(ecSigned, pki.resolve("ca.pem"));
        assertEquals("TOTAL_PASSED", v.get(0).indication(), v.toString());
        assertEquals("PAdES-BASELINE-B", v.get(0).format(), v.toString());
        assertEquals(1, Pdfs.count(Pdfs.pdfsig(ecSigned), "Signature is Valid."));

        Path pssOut = tmp.resolve("out-pss");
        Sigillum.Result pss = sign(pssOut, List.of(original), "--padding", "PSS", "--digest", "SHA-512");
        assertEquals(0, pss.exit(), pss.toString());
        Path pssSigned = pssOut.resolve(original.getFileName());
        List<Dss.Verdict> p = Dss.validateAll(pssSigned, root);
        assertEquals("TOTAL_PASSED", p.get(0).indication(), p.toString());
        String report = Pdfs.pdfsig(pssSigned);
        assertTrue(report.contains("SHA-512"), report);
        assertEquals(1, Pdfs.count(report, "Signature is Valid."), report);
    }

    @Test
    void aNamedEmptyFieldIsFilledAndTheFormKeepsItsValues() throws Exception {
        Path out = tmp.resolve("out-field");
        Sigillum.Result r = sign(out, List.of(inputs.get("form.pdf")), "--option", "field=Approval", "--option",
                "stamp.rect=10,10,100,40");
        assertEquals(0, r.exit(), r.toString());
        Path signed = out.resolve("form.pdf");
        String report = Pdfs.pdfsig(signed);
        assertTrue(report.contains("Signature Field Name: Approval"), report);
        assertEquals(1, Pdfs.count(report, "Signature is Valid."), report);
        try (PDDocument doc = Loader.loadPDF(signed.toFile())) {
            PDAcroForm form = doc.getDocumentCatalog().getAcroForm();
            assertEquals("Max Mustermann", form.getField("Name").getValueAsString());
            int signatureFields = 0;
            for (PDField f : form.getFieldTree()) {
                if (f instanceof PDSignatureField) {
                    signatureFields++;
                }
            }
            assertEquals(1, signatureFields, "the existing field is used, no new one added");
            // The author's field keeps its place: the stamp fills it, not the rectangle asked for.
            var rect = form.getField("Approval").getWidgets().get(0).getRectangle();
            assertEquals(300f, rect.getLowerLeftX(), 0.01f);
            assertEquals(220f, rect.getWidth(), 0.01f);
        }
        // Without a stamp the author's field keeps its place too, and shows who signed.
        Path plainOut = tmp.resolve("out-field-nostamp");
        Sigillum.Result noStamp = sign(plainOut, List.of(inputs.get("form.pdf")), "--option", "field=Approval");
        assertEquals(0, noStamp.exit(), noStamp.toString());
        try (PDDocument doc = Loader.loadPDF(plainOut.resolve("form.pdf").toFile())) {
            var rect = doc.getDocumentCatalog().getAcroForm().getField("Approval").getWidgets().get(0).getRectangle();
            assertEquals(300f, rect.getLowerLeftX(), 0.01f);
            assertEquals(60f, rect.getHeight(), 0.01f);
        }
        BufferedImage page = render(plainOut.resolve("form.pdf"), 1, "field-nostamp");
        assertTrue(inked(page, 300, page.getHeight() - 100 - 60, 220, 60) > 200, "the field shows an appearance");

        Sigillum.Result missing = sign(tmp.resolve("out-nofield"), List.of(inputs.get("letter-1.7.pdf")), "--option", "field=Approval");
        assertEquals(1, missing.exit(), missing.toString());
        assertTrue(missing.err().contains("has no signature field named 'Approval'"), missing.toString());
    }

    @Test
    void pdfaStaysPdfaAndTheOwnerPasswordEncryptionIsKept() throws Exception {
        Path out = tmp.resolve("out-pdfa");
        List<Path> files = List.of(inputs.get("pdfa-1b.pdf"), inputs.get("pdfa-2b.pdf"), inputs.get("pdfa-3b.pdf"),
                inputs.get("owner-password.pdf"));
        Sigillum.Result r = sign(out, files, "--option", "stamp.rect=300,40,250,70");
        assertEquals(0, r.exit(), r.toString());
        for (int part = 1; part <= 3; part++) {
            Path signed = out.resolve("pdfa-" + part + "b.pdf");
            try (PDDocument doc = Loader.loadPDF(signed.toFile())) {
                var catalog = doc.getDocumentCatalog();
                String xmp = new String(catalog.getMetadata().toByteArray(), java.nio.charset.StandardCharsets.UTF_8);
                assertTrue(xmp.contains("pdfaid:part='" + part + "'") || xmp.contains("<pdfaid:part>" + part + "</pdfaid:part>")
                        || xmp.contains("pdfaid:part=\"" + part + "\""), "PDF/A identification kept: " + xmp);
                assertFalse(catalog.getOutputIntents().isEmpty(), "the output intent is kept");
            }
            String fonts = Pdfs.output("pdffonts", signed.toString());
            for (String line : fonts.lines().skip(2).toList()) {
                assertTrue(line.matches(".*\\s+yes\\s+yes\\s+\\S+\\s+\\d+\\s+\\d+\\s*$"), "PDF/A needs every font embedded: " + line);
            }
            assertEquals("TOTAL_PASSED", Dss.validateAll(signed, root).get(0).indication());
        }
        Path encrypted = out.resolve("owner-password.pdf");
        String show = Pdfs.output("qpdf", "--show-encryption", encrypted.toString());
        assertTrue(show.contains("R = 6"), "still AES-256 encrypted: " + show);
        assertEquals(1, Pdfs.count(Pdfs.pdfsig(encrypted), "Signature is Valid."));
        assertEquals("TOTAL_PASSED", Dss.validateAll(encrypted, root).get(0).indication());
    }

    @Test
    void brokenLockedAndHostileFilesAreRefusedWithAReasonAndTheServerKeepsRunning() throws Exception {
        Path bad = Files.createDirectories(tmp.resolve("bad"));
        Path plain = inputs.get("letter-1.7.pdf");
        Map<Path, String> expected = new LinkedHashMap<>();
        expected.put(Pdfs.qpdf(plain, bad.resolve("user-password.pdf"), "--encrypt", "user-secret", "owner-secret", "256", "--"),
                "password that is needed to open it");
        byte[] whole = Files.readAllBytes(plain);
        expected.put(Files.write(bad.resolve("truncated.pdf"), java.util.Arrays.copyOf(whole, whole.length / 2)), "truncated");
        byte[] garbage = new byte[20_000];
        new java.util.Random(3).nextBytes(garbage);
        expected.put(Files.write(bad.resolve("garbage.pdf"), garbage), "not a PDF");
        expected.put(Files.writeString(bad.resolve("letter.txt"), "Sehr geehrte Damen und Herren"), "not a PDF");
        expected.put(Pdfs.dssSigned(plain, bad.resolve("certified-no-changes.pdf"), home.resolve("pki/demo-signer.p12"),
                Pdfs.demoPassword(home), CertificationPermission.NO_CHANGE_PERMITTED), "allows no changes");
        expected.put(Files.write(bad.resolve("page-tree-loop.pdf"), Pdfs.pageTreeLoop()), "damaged");
        expected.put(Files.write(bad.resolve("deep-nesting.pdf"), Pdfs.deepNesting()), "not a readable PDF");
        expected.put(Files.write(bad.resolve("object-stream-bomb.pdf"), Pdfs.objectStreamBomb(2000)), "decompression bomb");

        Path out = tmp.resolve("out-bad");
        long start = System.nanoTime();
        Sigillum.Result r = sign(out, new ArrayList<>(expected.keySet()));
        long seconds = (System.nanoTime() - start) / 1_000_000_000L;
        assertEquals(1, r.exit(), r.toString());
        assertTrue(seconds < 60, "refusals take bounded time, not " + seconds + " s");
        for (var e : expected.entrySet()) {
            String name = e.getKey().getFileName().toString();
            String line = r.err().lines().filter(l -> l.startsWith(name + ": ")).findFirst().orElse("");
            assertTrue(line.contains("bad input") && line.contains(e.getValue()), name + " must be refused with '" + e.getValue()
                    + "':\n" + r);
            assertFalse(Files.exists(out.resolve(name)), name + " must not be written");
        }
        assertTrue(server.alive(), "the server keeps running");

        // Permissions that forbid adding a field are respected (owner password only, so it opens).
        Path locked = Pdfs.qpdf(plain, bad.resolve("no-new-fields.pdf"), "--encrypt", "", "owner-secret", "256", "--modify=none",
                "--annotate=n", "--form=n", "--");
        Sigillum.Result perm = sign(tmp.resolve("out-locked"), List.of(locked));
        assertEquals(1, perm.exit(), perm.toString());
        assertTrue(perm.err().contains("permissions do not allow adding a signature field"), perm.toString());

        // A PDF keeps its name: signing into its own folder would replace the original, and is refused.
        byte[] before = Files.readAllBytes(plain);
        Sigillum.Result self = sign(plain.getParent(), List.of(plain));
        assertEquals(1, self.exit(), self.toString());
        assertTrue(self.err().contains("would replace an input"), self.toString());
        assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(plain)), "the original is untouched");
        Sigillum.Result after = sign(tmp.resolve("out-after"), List.of(plain));
        assertEquals(0, after.exit(), "the server still signs: " + after);
    }

    @Test
    void theDefaultHomeHasAPadesHotFolderRoot() throws Exception {
        Path batch = Files.createDirectories(home.resolve("hotfolder/in/pades/batch-1"));
        Files.copy(inputs.get("letter-1.7.pdf"), batch.resolve("invoice 1.pdf"));
        Files.copy(inputs.get("form.pdf"), batch.resolve("form.pdf"));
        Files.writeString(batch.resolve("broken.pdf"), "%PDF-1.7\nthis is not really a PDF\n");
        Files.writeString(batch.resolve("APPROVED"), "");
        Path ready = home.resolve("hotfolder/out/pades/batch-1/READY");
        Server.await("the pades root's READY", 60_000, () -> Files.exists(ready));
        Path outDir = ready.getParent();
        for (String name : List.of("invoice 1.pdf", "form.pdf")) {
            assertEquals(1, Pdfs.count(Pdfs.pdfsig(outDir.resolve(name)), "Signature is Valid."), name);
        }
        assertTrue(Files.exists(home.resolve("hotfolder/error/pades/batch-1/broken.pdf")), "the broken file is kept in error/");
        String why = Files.readString(home.resolve("hotfolder/error/pades/batch-1/broken.pdf.error.json"));
        assertTrue(why.contains("truncated or damaged"), why);
    }

    private BufferedImage render(Path pdf, int page, String tag) throws Exception {
        Path prefix = tmp.resolve("render-" + tag + "-" + pdf.getFileName());
        Pdfs.run("pdftoppm", "-r", "72", "-f", String.valueOf(page), "-l", String.valueOf(page), "-singlefile", "-png", pdf.toString(),
                prefix.toString());
        return ImageIO.read(prefix.resolveSibling(prefix.getFileName() + ".png").toFile());
    }

    /** Pixels that are not (nearly) white in the rectangle. */
    private static int inked(BufferedImage img, int x, int y, int w, int h) {
        int n = 0;
        for (int i = Math.max(0, x); i < Math.min(img.getWidth(), x + w); i++) {
            for (int j = Math.max(0, y); j < Math.min(img.getHeight(), y + h); j++) {
                int rgb = img.getRGB(i, j);
                int r = rgb >> 16 & 0xff;
                int g = rgb >> 8 & 0xff;
                int b = rgb & 0xff;
                if (r < 230 || g < 230 || b < 230) {
                    n++;
                }
            }
        }
        return n;
    }
}
