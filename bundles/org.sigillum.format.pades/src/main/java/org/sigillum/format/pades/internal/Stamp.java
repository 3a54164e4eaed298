package org.sigillum.format.pades.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

import org.apache.fontbox.ttf.CmapLookup;
import org.apache.fontbox.ttf.TTFParser;
import org.apache.fontbox.ttf.TrueTypeFont;
import org.apache.pdfbox.io.RandomAccessReadBuffer;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.PDResources;
import org.apache.pdfbox.pdmodel.common.PDRectangle;
import org.apache.pdfbox.pdmodel.font.PDType0Font;
import org.apache.pdfbox.pdmodel.graphics.image.PDImageXObject;
import org.apache.pdfbox.pdmodel.interactive.annotation.PDAnnotationWidget;
import org.apache.pdfbox.pdmodel.interactive.annotation.PDAppearanceDictionary;
import org.apache.pdfbox.pdmodel.interactive.annotation.PDAppearanceStream;
import org.sigillum.api.Reason;
import org.sigillum.api.SigningException;

/**
 * A visible signature stamp, from the profile's (or request's) options:
 * <ul>
 * <li>{@code stamp.rect = x,y,width,height}: where, in points (1/72 inch) from the lower left corner
 * of the page as it is shown (a page with {@code /Rotate} included); a stamp is drawn only when
 * this is set</li>
 * <li>{@code stamp.page = 1 | N | last}: on which page (default 1)</li>
 * <li>{@code stamp.text}: the text, lines separated by {@code \n}, with ${signer}, ${time},
 * ${reason}, ${location} and ${contact} filled in; lines left empty are dropped</li>
 * <li>{@code stamp.image}: an image (PNG, JPEG) at the left, relative to the runtime home</li>
 * <li>{@code stamp.timeZone}: the zone ${time} is shown in (default UTC)</li>
 * </ul>
 * The text is set in an embedded subset of DejaVu Sans, so the stamp looks the same in every viewer
 * and a PDF/A document stays PDF/A (its fonts must be embedded).
 */
record Stamp(PDRectangle rect, String page, String text, Path image, ZoneId zone) {

    static final String DEFAULT_TEXT = "Digitally signed by ${signer}\\n${time}\\n${reason}\\n${location}";

    /** The stamp the options ask for, or null for an invisible signature. */
    static Stamp of(Map<String, String> options, Path home) throws SigningException {
        String rect = options.getOrDefault("stamp.rect", "").trim();
        if (rect.isEmpty()) {
            return null;
        }
        String[] parts = rect.split("\\s*,\\s*");
        float[] v = new float[4];
        try {
            if (parts.length != 4) {
                throw new NumberFormatException();
            }
            for (int i = 0; i < 4; i++) {
                v[i] = Float.parseFloat(parts[i]);
            }
        } catch (NumberFormatException e) {
            throw new SigningException(Reason.BAD_REQUEST, "stamp.rect must be x,y,width,height in points, not '" + rect + "'");
        }
        if (!(Float.isFinite(v[0]) && Float.isFinite(v[1]) && Float.isFinite(v[2]) && Float.isFinite(v[3]))
                || v[2] < 10 || v[3] < 10 || v[0] < 0 || v[1] < 0) {
            throw new SigningException(Reason.BAD_REQUEST, "stamp.rect '" + rect + "' must lie on the page and be at least 10 points wide and high");
        }
        String image = options.getOrDefault("stamp.image", "").trim();
        Path imagePath = null;
        if (!image.isEmpty()) {
            imagePath = home.resolve(image).normalize();
            if (!imagePath.startsWith(home.normalize())) {
                throw new SigningException(Reason.BAD_REQUEST, "stamp.image must lie inside the runtime home: " + image);
            }
        }
        ZoneId zone;
        try {
            zone = ZoneId.of(options.getOrDefault("stamp.timeZone", "UTC").trim());
        } catch (java.time.DateTimeException e) {
            throw new SigningException(Reason.BAD_REQUEST, "stamp.timeZone is not a time zone: " + options.get("stamp.timeZone"));
        }
        return new Stamp(new PDRectangle(v[0], v[1], v[2], v[3]), options.getOrDefault("stamp.page", "1").trim(),
                options.getOrDefault("stamp.text", DEFAULT_TEXT), imagePath, zone);
    }

    /** A stamp in {@code rect} (page coordinates), styled like {@code style}, or with the default text when null. */
    static Stamp filling(PDRectangle rect, Stamp style) {
        return style == null ? new Stamp(rect, "1", DEFAULT_TEXT, null, ZoneId.of("UTC"))
                : new Stamp(rect, style.page(), style.text(), style.image(), style.zone());
    }

    /** The 0-based page index for a document of {@code pages} pages. */
    int pageIndex(int pages, String name) throws SigningException {
        if (page.equalsIgnoreCase("last")) {
            return pages - 1;
        }
        int n;
        try {
            n = Integer.parseInt(page);
        } catch (NumberFormatException e) {
            throw new SigningException(Reason.BAD_REQUEST, "stamp.page must be a page number or 'last', not '" + page + "'");
        }
        if (n < 1) {
            throw new SigningException(Reason.BAD_REQUEST, "stamp.page must be 1 or more, not " + n);
        }
        if (n > pages) {
            throw new SigningException(Reason.BAD_INPUT, name + " has " + pages + " page" + (pages == 1 ? "" : "s")
                    + "; the stamp is configured for page " + n);
        }
        return n - 1;
    }

    /** The values the text's placeholders stand for. */
    record Values(String signer, Instant time, String reason, String location, String contact) {
        static String commonName(javax.security.auth.x500.X500Principal subject) {
            try {
                for (Rdn rdn : new LdapName(subject.getName()).getRdns()) {
                    if (rdn.getType().equalsIgnoreCase("CN")) {
                        return String.valueOf(rdn.getValue());
                    }
                }
            } catch (InvalidNameException e) {
                // fall through to the whole name
            }
            return subject.getName();
        }
    }

    List<String> lines(Values values) {
        String t = text.replace("\\n", "\n")
                .replace("${signer}", values.signer())
                .replace("${time}", DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss z", Locale.ENGLISH).withZone(zone).format(values.time()))
                .replace("${reason}", values.reason())
                .replace("${location}", values.location())
                .replace("${contact}", values.contact());
        List<String> out = new ArrayList<>();
        for (String line : t.split("\n")) {
            if (!line.isBlank()) {
                out.add(line.strip());
            }
        }
        return out;
    }

    /**
     * Puts the stamp on the widget: its rectangle on the page, and an appearance drawn with the
     * embedded font. The rectangle is as the reader sees the page, so on a page with {@code /Rotate}
     * it is turned into the page's own coordinates and the appearance gets a matrix that keeps the
     * text upright. With {@code userSpace} the rectangle is already in the page's coordinates (a
     * field the author drew).
     */
    void draw(PDDocument doc, PDPage page, PDAnnotationWidget widget, Values values, byte[] fontFile, String name, boolean userSpace)
            throws IOException, SigningException {
        PDRectangle box = page.getCropBox();
        int rotation = Math.floorMod(page.getRotation(), 360);
        rotation = rotation % 90 == 0 ? rotation : 0;
        boolean turned = rotation == 90 || rotation == 270;
        float w;
        float h;
        PDRectangle user;
        if (userSpace) {
            user = rect;
            w = turned ? rect.getHeight() : rect.getWidth();
            h = turned ? rect.getWidth() : rect.getHeight();
        } else {
            w = rect.getWidth();
            h = rect.getHeight();
            float x = rect.getLowerLeftX();
            float y = rect.getLowerLeftY();
            float pw = box.getWidth();
            float ph = box.getHeight();
            float seenWidth = turned ? ph : pw;
            float seenHeight = turned ? pw : ph;
            if (x + w > seenWidth + 0.5f || y + h > seenHeight + 0.5f) {
                throw new SigningException(Reason.BAD_INPUT, name + ": the stamp rectangle " + x + "," + y + "," + w + "," + h
                        + " does not fit on the page (" + Math.round(seenWidth) + " x " + Math.round(seenHeight) + " points)");
            }
            user = switch (rotation) {
                case 90 -> new PDRectangle(pw - y - h, x, h, w);
                case 180 -> new PDRectangle(pw - x - w, ph - y - h, w, h);
                case 270 -> new PDRectangle(y, ph - x - w, h, w);
                default -> rect;
            };
        }
        PDRectangle at = new PDRectangle(box.getLowerLeftX() + user.getLowerLeftX(), box.getLowerLeftY() + user.getLowerLeftY(),
                user.getWidth(), user.getHeight());
        widget.setRectangle(at);
        PDAppearanceStream appearance = new PDAppearanceStream(doc);
        appearance.setBBox(new PDRectangle(w, h));
        // Turned back against the page's rotation: the reader turns the page, and the stamp with it.
        switch (rotation) {
            case 90 -> appearance.setMatrix(new java.awt.geom.AffineTransform(0, 1, -1, 0, h, 0));
            case 180 -> appearance.setMatrix(new java.awt.geom.AffineTransform(-1, 0, 0, -1, w, h));
            case 270 -> appearance.setMatrix(new java.awt.geom.AffineTransform(0, -1, 1, 0, 0, w));
            default -> {
            }
        }
        appearance.setResources(new PDResources());
        TrueTypeFont ttf = new TTFParser().parse(new RandomAccessReadBuffer(fontFile));
        PDType0Font font = PDType0Font.load(doc, ttf, true);
        CmapLookup cmap = ttf.getUnicodeCmapLookup();
        try (PDPageContentStream cs = new PDPageContentStream(doc, appearance)) {
            cs.setStrokingColor(0.15f, 0.25f, 0.55f);
            cs.setLineWidth(1f);
            cs.addRect(0.5f, 0.5f, w - 1f, h - 1f);
            cs.stroke();
            float textX = 5f;
            if (image != null) {
                byte[] bytes;
                try {
                    bytes = Files.readAllBytes(image);
                } catch (IOException e) {
                    throw new SigningException(Reason.BAD_REQUEST, "the stamp image " + image + " cannot be read: " + e.getMessage(), e);
                }
                PDImageXObject img = PDImageXObject.createFromByteArray(doc, bytes, image.getFileName().toString());
                float ih = h - 8f;
                float iw = ih * img.getWidth() / img.getHeight();
                if (iw > w / 3f) {
                    iw = w / 3f;
                    ih = iw * img.getHeight() / img.getWidth();
                }
                cs.drawImage(img, 4f, (h - ih) / 2f, iw, ih);
                textX = 4f + iw + 5f;
            }
            List<String> lines = new ArrayList<>();
            for (String line : lines(values)) {
                lines.add(printable(line, cmap));
            }
            if (!lines.isEmpty()) {
                float room = w - textX - 4f;
                float size = Math.min(12f, (h - 6f) / (lines.size() * 1.2f));
                for (String line : lines) {
                    float width = font.getStringWidth(line) / 1000f;
                    if (width * size > room) {
                        size = room / width;
                    }
                }
                size = Math.max(size, 3f);
                cs.beginText();
                cs.setFont(font, size);
                cs.setNonStrokingColor(0f, 0f, 0f);
                float y = h - 3f - size;
                cs.newLineAtOffset(textX, y);
                for (int i = 0; i < lines.size(); i++) {
                    if (i > 0) {
                        cs.newLineAtOffset(0, -size * 1.2f);
                    }
                    cs.showText(lines.get(i));
                }
                cs.endText();
            }
        }
        PDAppearanceDictionary ap = new PDAppearanceDictionary();
        ap.setNormalAppearance(appearance);
        widget.setAppearance(ap);
    }

    /** Characters the font has no glyph for become '?', rather than failing the signature. */
    private static String printable(String line, CmapLookup cmap) {
        StringBuilder sb = new StringBuilder(line.length());
        line.codePoints().forEach(cp -> {
            if (cmap.getGlyphId(cp) > 0) {
                sb.appendCodePoint(cp);
            } else {
                sb.append('?');
            }
        });
        return sb.toString();
    }
}
