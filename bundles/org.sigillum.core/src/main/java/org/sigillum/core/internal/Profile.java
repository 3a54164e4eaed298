package org.sigillum.core.internal;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.sigillum.api.DigestAlgorithm;
import org.sigillum.api.Packaging;
import org.sigillum.api.Padding;
import org.sigillum.api.Reason;
import org.sigillum.api.SignatureLevel;
import org.sigillum.api.SigningException;
import org.sigillum.api.SigningOverrides;

/** A profile's configuration, parsed and checked once when the configuration arrives. */
record Profile(String name, String format, SignatureLevel level, List<String> tokens, DigestAlgorithm digest,
        Padding padding, Packaging packaging, Set<String> allowedOverrides, String trustAnchors,
        Map<String, String> options, List<String> tsas) {

    static final Set<String> OVERRIDES = Set.of("format", "level", "token", "digest", "padding", "packaging", "options");

    static Profile of(ProfileConfig config, Map<String, Object> properties) {
        String name = config.name() == null ? "" : config.name().trim();
        if (name.isEmpty()) {
            throw new IllegalArgumentException("the profile has no name");
        }
        Set<String> allowed = list(config.allowedOverrides()).stream()
                .map(s -> s.toLowerCase(Locale.ROOT)).collect(Collectors.toSet());
        for (String o : allowed) {
            if (!OVERRIDES.contains(o)) {
                throw new IllegalArgumentException("unknown override '" + o + "' in allowedOverrides (use " + OVERRIDES + ")");
            }
        }
        List<String> tokens = list(config.tokens());
        // Format-specific settings travel as "option.<key>" so the core need not know them.
        Map<String, String> options = properties.entrySet().stream()
                .filter(e -> e.getKey().startsWith("option.") && e.getValue() != null)
                .collect(Collectors.toUnmodifiableMap(e -> e.getKey().substring("option.".length()),
                        e -> String.valueOf(e.getValue())));
        return new Profile(name, config.format().trim().toLowerCase(Locale.ROOT), SignatureLevel.parse(config.level()),
                tokens, DigestAlgorithm.parse(config.digest()), Padding.parse(config.padding()),
                Packaging.parse(config.packaging()), Set.copyOf(allowed), config.trustAnchors(), options, list(config.tsas()));
    }

    /** A list attribute: FileInstall's .cfg files give one string, so commas separate the items. */
    static List<String> list(String[] values) {
        if (values == null) {
            return List.of();
        }
        return java.util.Arrays.stream(values).flatMap(v -> java.util.Arrays.stream(v.split(",")))
                .map(String::trim).filter(s -> !s.isEmpty()).distinct().toList();
    }

    /** The profile with a request's overrides applied; an override the profile does not allow is refused. */
    Profile apply(SigningOverrides o) throws SigningException {
        String f = pick("format", o.format() == null ? null : o.format().trim().toLowerCase(Locale.ROOT), format);
        SignatureLevel l = pick("level", o.level(), level);
        DigestAlgorithm d = pick("digest", o.digest(), digest);
        Padding p = pick("padding", o.padding(), padding);
        Packaging k = pick("packaging", o.packaging(), packaging);
        List<String> t = tokens;
        if (o.tokens() != null && !o.tokens().equals(tokens)) {
            pick("token", o.tokens(), null);
            for (String id : o.tokens()) {
                if (!tokens.contains(id)) {
                    throw new SigningException(Reason.BAD_REQUEST,
                            "token '" + id + "' is not one of profile '" + name + "''s tokens " + tokens);
                }
            }
            t = o.tokens();
        }
        return new Profile(name, f, l, t, d, p, k, allowedOverrides, trustAnchors, options(o.options()), tsas);
    }

    /**
     * The profile's options with a request's on top. An option that names a file (a stamp's image)
     * stays the profile's: a caller must not make the server read a file of its choosing.
     */
    private Map<String, String> options(Map<String, String> requested) throws SigningException {
        if (requested.isEmpty()) {
            return options;
        }
        if (!allowedOverrides.contains("options")) {
            throw new SigningException(Reason.BAD_REQUEST, "profile '" + name + "' does not allow the request to set options"
                    + " (allowed: " + allowedText() + ")");
        }
        Map<String, String> merged = new java.util.HashMap<>(options);
        for (var e : requested.entrySet()) {
            String key = e.getKey();
            if (FILE_OPTION.matcher(key).find()) {
                throw new SigningException(Reason.BAD_REQUEST, "option '" + key + "' names a file; only the profile may set it");
            }
            merged.put(key, e.getValue());
        }
        return Map.copyOf(merged);
    }

    private String allowedText() {
        return allowedOverrides.isEmpty() ? "nothing" : String.join(", ", allowedOverrides.stream().sorted().toList());
    }

    private static final java.util.regex.Pattern FILE_OPTION =
            java.util.regex.Pattern.compile("(?i)(image|file|path|dir|directory|font)$");

    private <T> T pick(String what, T requested, T configured) throws SigningException {
        if (requested == null || requested.equals(configured)) {
            return configured;
        }
        if (!allowedOverrides.contains(what)) {
            throw new SigningException(Reason.BAD_REQUEST, "profile '" + name + "' does not allow the request to choose the "
                    + what + " (allowed: " + allowedText() + ")");
        }
        return requested;
    }
}
