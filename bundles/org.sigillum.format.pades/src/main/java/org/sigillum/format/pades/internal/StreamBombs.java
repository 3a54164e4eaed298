package org.sigillum.format.pades.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
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
 * those streams, so before PDFBox sees the file their decoded sizes are measured here, by inflating
 * them into a throw-away buffer, and a file whose structure would expand beyond a bound is refused.
 * Page contents and images are never decoded for signing and need no such check.
 */
final class StreamBombs {

    /** Decoded bytes allowed per structural stream: generous for real files, far below a heap. */
    static long limit(long raw) {
        return Math.min(256L << 20, Math.max(16L << 20, raw * 50));
    }

    private static final byte[][] TOKENS = { "/ObjStm".getBytes(StandardCharsets.US_ASCII),
            "/XRef".getBytes(StandardCharsets.US_ASCII) };
    private static final Pattern LENGTH = Pattern.compile("/Length\\s+(\\d+)(\\s+\\d+\\s+R)?");

    private StreamBombs() {
    }

    /** Only files with cross-reference streams can hold object streams; classic files skip the scan. */
    static boolean mayHoldObjectStreams(String tail, String atStartXref) {
        return !atStartXref.trim().startsWith("xref") || tail.contains("/XRefStm");
    }

    static void check(RandomAccessRead in, String name) throws IOException, SigningException {
        long length = in.length();
        byte[] buf = new byte[1 << 20];
        long base = 0;
        int overlap = 8;
        while (base < length) {
            in.seek(base);
            int n = readFully(in, buf, (int) Math.min(buf.length, length - base));
            for (int i = 0; i < n; i++) {
                for (byte[] t : TOKENS) {
                    if (matches(buf, i, n, t)) {
                        measure(in, base + i, name);
                    }
                }
            }
            if (base + n >= length) {
                break;
            }
            base += n - overlap;
        }
    }

    private static boolean matches(byte[] buf, int at, int n, byte[] t) {
        if (at + t.length >= n) {
            return false;
        }
        for (int k = 0; k < t.length; k++) {
            if (buf[at + k] != t[k]) {
                return false;
            }
        }
        byte next = buf[at + t.length];
        return !(next >= 'A' && next <= 'Z' || next >= 'a' && next <= 'z');
    }

    /** Inflates the stream whose dictionary holds the token at {@code at}, counting, never keeping. */
    private static void measure(RandomAccessRead in, long at, String name) throws IOException, SigningException {
        long from = Math.max(0, at - 4096);
        in.seek(from);
        byte[] window = new byte[(int) Math.min(4096 + 65536, in.length() - from)];
        int n = readFully(in, window, window.length);
        String text = new String(window, 0, n, StandardCharsets.ISO_8859_1);
        int tokenAt = (int) (at - from);
        int objAt = text.lastIndexOf("obj", tokenAt);
        int streamAt = text.indexOf("stream", tokenAt);
        if (objAt < 0 || streamAt < 0) {
            return;
        }
        String dict = text.substring(objAt, streamAt);
        if (!dict.contains("/FlateDecode") || dict.indexOf("Decode") != dict.lastIndexOf("Decode")) {
            return; // another filter or a chain: PDFBox's own limits apply
        }
        int dataAt = streamAt + 6;
        if (dataAt < n && window[dataAt] == '\r') {
            dataAt++;
        }
        if (dataAt < n && window[dataAt] == '\n') {
            dataAt++;
        }
        long start = from + dataAt;
        Matcher m = LENGTH.matcher(dict);
        long raw = m.find() && m.group(2) == null ? Long.parseLong(m.group(1)) : in.length() - start;
        raw = Math.min(raw, in.length() - start);
        long limit = limit(raw);
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
                        return;
                    }
                    int r = readFully(in, src, (int) Math.min(src.length, end - pos));
                    if (r <= 0) {
                        return;
                    }
                    pos += r;
                    inflater.setInput(src, 0, r);
                }
                int out = inflater.inflate(sink);
                decoded += out;
                if (decoded > limit) {
                    throw new SigningException(Reason.BAD_INPUT, name + " is refused: one of its internal streams would expand"
                            + " from " + raw + " bytes to more than " + (limit >> 20) + " MB (a decompression bomb)");
                }
                if (out == 0 && inflater.needsDictionary()) {
                    return;
                }
            }
        } catch (DataFormatException e) {
            return; // encrypted or broken data: PDFBox decides
        } finally {
            inflater.end();
        }
    }

    private static int readFully(RandomAccessRead in, byte[] b, int len) throws IOException {
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
