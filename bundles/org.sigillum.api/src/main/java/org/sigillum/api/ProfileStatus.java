package org.sigillum.api;

import java.util.List;

/**
 * A configured profile and whether it can sign now.
 *
 * @param problems why it cannot sign (format missing, no token available…); empty when ready
 */
public record ProfileStatus(String name, String format, SignatureLevel level, List<String> tokens,
        List<String> problems) {
    public ProfileStatus {
        tokens = List.copyOf(tokens);
        problems = List.copyOf(problems);
    }

    public boolean ready() {
        return problems.isEmpty();
    }
}
