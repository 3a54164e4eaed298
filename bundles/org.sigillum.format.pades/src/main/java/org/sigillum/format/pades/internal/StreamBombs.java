package org.sigillum.format.pades.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

import org.apache.pdfbox.io.RandomAccessRead;
import org.sigillum.api.Reason;
import org.sigillum.api.SigningException;

/**
 * PDFBox decodes a whole object stream or cross-reference stream into memory before it reads an
 * object from it, with no limit: 1.5 MB of deflated blanks become 1.5 GB on the heap. Signing needs
 * those streams, so before PDFBox sees the file every stream whose dictionary makes it one (an
 * object stream has {@code /N} and {@code /First}, a cross-reference stream {@code /W} or
 * {@code /Type /XRef}; names may be written with {@code #xx} escapes) is inflated into a throw-away
 * buffer and the file refused when one would expand beyond a bound, or all together beyond a total.
 * Such streams may only be filtered by FlateDecode (what every producer uses): another filter or a
 * chain is refused there, since it could hide a bomb from this count. Page contents and images are
 * never decoded for signing and need no check.
 */
final class StreamBombs {

    /** Decoded bytes allowed per structural stream: generous for real files, far below a heap. */
    static long limit(long raw) {
        return Math.min(256L << 20, Math.max(16L << 20, raw * 50));
    }

    /** Decoded bytes allowed for all structural streams of a file together. */
    static final long TOTAL = 1L << 30;

    private static final byte[] STREAM = "stream".getBytes(StandardCharsets.US_ASCII);
    private static final Pattern LENGTH = Pattern.compile("/Length\\s+(\\d+)(\\s+\\d+\\s+R)?");
    private static final Pattern FILTER = Pattern.compile("/Filter\\s*(\\[[^\\]]*\\]|/[^\\s/\\[\\]<>()]+)");
    private static final Pattern NAME = Pattern.compile("/([^\\s/\\[\\]<>()]+)");
    // Key names end where a delimiter or white space starts: /Width is not /W, /Name not /N.
    private static final Pattern OBJSTM_N = Pattern.compile("/N\\s+\\d");
    private static final Pattern OBJSTM_FIRST = Pattern.compile("/First\\s+\\d");
    private static final Pattern XREF_TYPE = Pattern.compile("/Type\\s*/XRef(?![A-Za-z])");
    private static final Pattern XREF_W = Pattern.compile("/W\\s*\\[");
    private static final Pattern ESCAPE = Pattern.compile("#([0-9A-Fa-f]{2})");

    private StreamBombs() {
    }

    static void check(RandomAccessRead in, String name) throws IOException, SigningException {
        long length = in.length();
        byte[] buf = new byte[1 << 20];
        long base = 0;
        long[] total = { 0 };
        while (base < length) {
            in.seek(base);
            int n = readFully(in, buf, (int) Math.min(buf.length, length - base));
            long next = base + n - STREAM.length;
            for (int i = 0; i + STREAM.length <= n; i++) {
                if (buf[i] == 's' && matches(buf, i, n) && !(i >= 3 && buf[i - 3] == 'e' && buf[i - 2] == 'n' && buf[i - 1] == 'd')) {
                    long after = measure(in, base + i, name, total);
                    if (after > base + i + STREAM.length) {
                        next = Math.max(next, Math.min(after, length));
                        if (after >= base + n) {
                            break;
                        }
                        i = (int) (after - base) - 1;
                    }
                }
            }
            if (base + n >= length) {
                break;
            }
            base = Math.max(base + 1, next);
        }
    }

    private static boolean matches(byte[] buf, int at, int n) {
        for (int k = 0; k < STREAM.length; k++) {
            if (buf[at + k] != STREAM[k]) {
                return false;
            }
        }
        int end = at + STREAM.length;
        return end < n && (buf[end] == '\n' || buf[end] == '\r');
    }

    /**
     * Looks at the dictionary before the {@code stream} keyword at {@code at}; when it is a structural
     * stream, inflates it counting (never keeping) the bytes. Returns where its data ends when known.
     */
    private static long measure(RandomAccessRead in, long at, String name, long[] total) throws IOException, SigningException {
        long from = Math.max(0, at - 4096);
        byte[] window = new byte[(int) (at - from)];
        in.seek(from);
        int n = readFully(in, window, window.length);
        String text = new String(window, 0, n, StandardCharsets.ISO_8859_1);
        int objAt = text.lastIndexOf("obj");
        if (objAt < 0) {
            return -1;
        }
        String dict = unescape(text.substring(objAt));
        boolean objectStream = OBJSTM_N.matcher(dict).find() && OBJSTM_FIRST.matcher(dict).find();
        boolean xrefStream = XREF_TYPE.matcher(dict).find() || XREF_W.matcher(dict).find();
        if (!objectStream && !xrefStream) {
            return -1;
        }
        long start = at + STREAM.length;
        in.seek(start);
        int c = in.read();
        if (c == '\r') {
            start++;
            c = in.read();
        }
        if (c == '\n') {
            start++;
        }
        Matcher m = LENGTH.matcher(dict);
        boolean known = m.find() && m.group(2) == null;
        long raw = known ? Long.parseLong(m.group(1)) : in.length() - start;
        raw = Math.max(0, Math.min(raw, in.length() - start));
        List<String> filters = filters(dict);
        if (filters.isEmpty()) {
            return known ? start + raw : -1;
        }
        if (filters.size() != 1 || !(filters.get(0).equals("FlateDecode") || filters.get(0).equals("Fl"))) {
            throw new SigningException(Reason.BAD_INPUT, name + " is refused: one of its object or cross-reference streams is"
                    + " filtered with " + filters + "; only FlateDecode is accepted there");
        }
        long limit = Math.min(limit(raw), TOTAL - total[0]);
        long decoded = inflate(in, start, raw, limit);
        if (decoded > limit) {
            throw new SigningException(Reason.BAD_INPUT, name + " is refused: " + (limit < limit(raw)
                    ? "its internal streams would expand to more than " + (TOTAL >> 20) + " MB together"
                    : "one of its internal streams would expand from " + raw + " bytes to more than " + (limit >> 20) + " MB")
                    + " (a decompression bomb)");
        }
        total[0] += decoded;
        return known ? start + raw : -1;
    }

    /** The stream's filter names, without escapes; empty when it has none. */
    private static List<String> filters(String dict) {
        List<String> out = new ArrayList<>();
        Matcher f = FILTER.matcher(dict);
        if (f.find()) {
            Matcher names = NAME.matcher(f.group(1));
            while (names.find()) {
                out.add(names.group(1));
            }
        }
        return out;
    }

    private static String unescape(String s) {
        if (s.indexOf('#') < 0) {
            return s;
        }
        Matcher m = ESCAPE.matcher(s);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(sb, Matcher.quoteReplacement(String.valueOf((char) Integer.parseInt(m.group(1), 16))));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    /** Inflated size of the raw bytes, counted until {@code limit + 1} at most. */
    private static long inflate(RandomAccessRead in, long start, long raw, long limit) throws IOException {
        Inflater inflater = new Inflater();
        try {
            byte[] src = new byte[64 * 1024];
            byte[] sink = new byte[256 * 1024];
            long decoded = 0;
            long pos = start;
            long end = start + raw;
            in.seek(pos);
            while (!inflater.finished()) {
                if (inflater.needsInput()) {
                    if (pos >= end) {
                        return decoded;
                    }
                    int r = readFully(in, src, (int) Math.min(src.length, end - pos));
                    if (r <= 0) {
                        return decoded;
                    }
                    pos += r;
                    inflater.setInput(src, 0, r);
                }
                int out = inflater.inflate(sink);
                decoded += out;
                if (decoded > limit) {
                    return decoded;
                }
                if (out == 0 && (inflater.needsDictionary() || inflater.needsInput() && pos >= end)) {
                    return decoded;
                }
            }
            return decoded;
        } catch (DataFormatException e) {
            return 0; // encrypted or broken data: PDFBox decides what it makes of it
        } finally {
            inflater.end();
        }
    }

    static int readFully(RandomAccessRead in, byte[] b, int len) throws IOException {
        int off = 0;
        while (off < len) {
            int r = in.read(b, off, len - off);
            if (r <= 0) {
                break;
            }
            off += r;
        }
        return off;
    }
}
