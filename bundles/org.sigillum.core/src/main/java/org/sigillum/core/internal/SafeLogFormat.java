package org.sigillum.core.internal;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

/**
 * Makes every line of the server log one line. Log messages carry names from outside (a hot-folder
 * file, an HTTP peer, an exception's message that quotes a path): a newline in one forges a log
 * line, terminal escape sequences in one drive the terminal of whoever reads the log. Every bundle
 * logs through {@link System.Logger}, which the JDK routes to java.util.logging; escaping once in
 * the root handlers' formatter covers all of them, including messages nobody thought to escape.
 */
@Component(immediate = true, service = {})
public final class SafeLogFormat {

    private final Map<Handler, Formatter> replaced = new IdentityHashMap<>();

    @Activate
    public SafeLogFormat() {
        for (Handler h : Logger.getLogger("").getHandlers()) {
            if (!(h.getFormatter() instanceof Escaping)) {
                replaced.put(h, h.getFormatter());
                h.setFormatter(new Escaping());
            }
        }
    }

    @Deactivate
    void deactivate() {
        replaced.forEach(Handler::setFormatter);
        replaced.clear();
    }

    /** The JDK's simple format, with the message and the failure's text escaped. */
    static final class Escaping extends SimpleFormatter {
        @Override
        public String format(LogRecord r) {
            StringBuilder message = new StringBuilder(LogText.escape(formatMessage(r)));
            if (r.getThrown() != null) {
                message.append(LogText.trace(r.getThrown()));
            }
            LogRecord safe = new LogRecord(r.getLevel(), message.toString());
            safe.setInstant(r.getInstant());
            safe.setLoggerName(r.getLoggerName());
            safe.setSourceClassName(r.getSourceClassName());
            safe.setSourceMethodName(r.getSourceMethodName());
            return super.format(safe);
        }
    }

    /** Escaping for log text; also used where a name is shown to a person (status, errors). */
    static final class LogText {
        private LogText() {
        }

        /**
         * Control characters (C0, DEL, C1), the Unicode line separators and the bidirectional
         * overrides become visible escapes; a backslash is doubled so the text reads back unambiguously.
         */
        static String escape(String s) {
            if (s == null) {
                return "null";
            }
            StringBuilder sb = null;
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                boolean bad = c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\\' || c == 0x2028 || c == 0x2029
                        || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c == 0xfeff;
                if (bad && sb == null) {
                    sb = new StringBuilder(s.length() + 16).append(s, 0, i);
                }
                if (sb == null) {
                    continue;
                }
                switch (bad ? c : 0) {
                    case 0 -> sb.append(c);
                    case '\\' -> sb.append("\\\\");
                    case '\n' -> sb.append("\\n");
                    case '\r' -> sb.append("\\r");
                    case '\t' -> sb.append("\\t");
                    default -> sb.append(String.format("\\u%04x", (int) c));
                }
            }
            return sb == null ? s : sb.toString();
        }

        /** A stack trace whose frames keep their lines but whose messages are escaped. */
        static String trace(Throwable t) {
            StringBuilder sb = new StringBuilder();
            List<Throwable> seen = new ArrayList<>();
            String prefix = "";
            for (Throwable x = t; x != null && !seen.contains(x) && seen.size() < 10; x = x.getCause()) {
                seen.add(x);
                sb.append('\n').append(prefix).append(escape(x.toString()));
                StackTraceElement[] frames = x.getStackTrace();
                int n = Math.min(frames.length, 40);
                for (int i = 0; i < n; i++) {
                    sb.append("\n\tat ").append(escape(frames[i].toString()));
                }
                if (frames.length > n) {
                    sb.append("\n\t... ").append(frames.length - n).append(" more");
                }
                prefix = "Caused by: ";
            }
            return sb.toString();
        }
    }
}
