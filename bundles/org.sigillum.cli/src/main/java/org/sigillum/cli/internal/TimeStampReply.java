package org.sigillum.cli.internal;

import java.io.ByteArrayOutputStream;

/**
 * A granted RFC 3161 TimeStampResp around a token, DER-encoded by hand: SEQUENCE { PKIStatusInfo
 * SEQUENCE { INTEGER 0 }, token }. This is what {@code openssl ts -reply} writes to a .tsr file.
 */
final class TimeStampReply {
    private TimeStampReply() {
    }

    static byte[] granted(byte[] token) {
        byte[] status = { 0x30, 0x03, 0x02, 0x01, 0x00 };
        ByteArrayOutputStream body = new ByteArrayOutputStream(token.length + 8);
        body.writeBytes(status);
        body.writeBytes(token);
        byte[] b = body.toByteArray();
        ByteArrayOutputStream out = new ByteArrayOutputStream(b.length + 6);
        out.write(0x30);
        writeLength(out, b.length);
        out.writeBytes(b);
        return out.toByteArray();
    }

    private static void writeLength(ByteArrayOutputStream out, int len) {
        if (len < 0x80) {
            out.write(len);
        } else if (len < 0x100) {
            out.write(0x81);
            out.write(len);
        } else if (len < 0x10000) {
            out.write(0x82);
            out.write(len >> 8);
            out.write(len);
        } else {
            out.write(0x83);
            out.write(len >> 16);
            out.write(len >> 8);
            out.write(len);
        }
    }
}
