package org.sigillum.core.internal;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.sigillum.api.FormatSigner;

/**
 * Whiteboard services by their {@code sigillum.format} name. Several bundles may provide one
 * format (an old and a new version during an update); the format stays available until the last
 * of them goes, and the most recently registered one serves.
 */
final class FormatRegistry<T> {
    private final Map<String, List<T>> byFormat = new ConcurrentHashMap<>();

    void add(T service, Map<String, Object> props) {
        String f = format(props);
        if (f != null) {
            byFormat.computeIfAbsent(f, k -> new CopyOnWriteArrayList<>()).add(0, service);
        }
    }

    void remove(T service, Map<String, Object> props) {
        String f = format(props);
        if (f != null) {
            byFormat.computeIfPresent(f, (k, list) -> {
                list.remove(service);
                return list.isEmpty() ? null : list;
            });
        }
    }

    /** The serving provider of a format, or null when none is installed. */
    T get(String format) {
        List<T> l = byFormat.get(format);
        return l == null || l.isEmpty() ? null : l.get(0);
    }

    Set<String> formats() {
        return byFormat.keySet();
    }

    /** One provider per format, for callers that try each format in turn. */
    List<T> serving() {
        return byFormat.values().stream().filter(l -> !l.isEmpty()).map(l -> l.get(0)).toList();
    }

    private static String format(Map<String, Object> props) {
        Object f = props.get(FormatSigner.FORMAT_PROPERTY);
        return f == null ? null : f.toString().trim().toLowerCase(Locale.ROOT);
    }
}
