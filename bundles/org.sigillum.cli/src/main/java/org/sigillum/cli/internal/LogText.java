package org.sigillum.cli.internal;

/**
 * Text a peer sent, made safe for a log line: a log read in a terminal must not get a forged
 * line from an embedded newline, nor have the terminal steered by an escape sequence, nor have
 * the reading order flipped by a bidirectional override. Such characters become visible escapes
 * and long texts are cut, so one refusal stays one short line.
 */
final class LogText {

    static final int MAX_CHARS = 120;

    private LogText() {
    }

    /** The text in double quotes, escaped and cut to {@link #MAX_CHARS}. */
    static String quote(String text) {
        StringBuilder b = new StringBuilder(Math.min(text.length(), MAX_CHARS) + 16).append('"');
        int shown = Math.min(text.length(), MAX_CHARS);
        for (int i = 0; i < shown; i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\u001b' -> b.append("\\e");
                case '\\' -> b.append("\\\\");
                case '"' -> b.append("\\\"");
                default -> {
                    if (c < 0x20 || c >= 0x7f && c < 0xa0) {
                        b.append(String.format("\\x%02x", (int) c));
                    } else if (c == '\u2028' || c == '\u2029' || c >= '\u202a' && c <= '\u202e' || c >= '\u2066' && c <= '\u2069'
                            || c == '\u200e' || c == '\u200f' || c == '\u061c' || Character.isSurrogate(c) && !validPair(text, i)) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
        if (text.length() > shown) {
            b.append("…(").append(text.length()).append(" chars)");
        }
        return b.toString();
    }

    /** A surrogate that is half of a proper pair prints as its character; a lone one as an escape. */
    private static boolean validPair(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        }
        return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }
}
