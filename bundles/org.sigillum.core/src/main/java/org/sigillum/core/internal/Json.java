package org.sigillum.core.internal;

/** Just enough JSON writing for the audit log, without pulling a library into the core. */
final class Json {
    private final StringBuilder sb = new StringBuilder("{");

    Json put(String key, Object value) {
        if (value == null) {
            return this;
        }
        if (sb.length() > 1) {
            sb.append(',');
        }
        quote(key);
        sb.append(':');
        if (value instanceof Number || value instanceof Boolean) {
            sb.append(value);
        } else {
            quote(String.valueOf(value));
        }
        return this;
    }

    private void quote(String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    @Override
    public String toString() {
        return sb + "}";
    }
}
