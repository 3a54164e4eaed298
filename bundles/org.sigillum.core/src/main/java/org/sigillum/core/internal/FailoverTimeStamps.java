package org.sigillum.core.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.sigillum.api.DigestAlgorithm;
import org.sigillum.api.Reason;
import org.sigillum.api.SigningException;
import org.sigillum.api.TimeStamp;
import org.sigillum.api.TimeStampSource;

/**
 * A profile's time-stamp authorities tried in its order: one that fails (or is cooling down after a
 * failure) is skipped for the next. When all fail the document is not released at level T: the
 * failure is retryable, and each authority's reason is kept for the person reading it.
 */
final class FailoverTimeStamps implements TimeStampSource {
    private final String profile;
    private final List<String> names;
    private final Map<String, TimeStampSource> installed;

    /** @param names the profile's order; empty means every installed authority, by name */
    FailoverTimeStamps(String profile, List<String> names, Map<String, TimeStampSource> installed) {
        this.profile = profile;
        this.names = names;
        this.installed = installed;
    }

    @Override
    public TimeStamp timeStamp(DigestAlgorithm digest, byte[] messageImprint) throws SigningException {
        List<String> order = names.isEmpty() ? List.copyOf(new TreeMap<>(installed).keySet()) : names;
        if (order.isEmpty()) {
            throw new SigningException(Reason.TSA_UNAVAILABLE, "profile '" + profile + "' needs a time stamp, and no time-stamp authority is configured");
        }
        List<String> failures = new ArrayList<>();
        for (String name : order) {
            TimeStampSource source = installed.get(name);
            if (source == null) {
                failures.add(name + ": not installed");
                continue;
            }
            try {
                return source.timeStamp(digest, messageImprint);
            } catch (SigningException e) {
                failures.add(e.getMessage());
            }
        }
        throw new SigningException(Reason.TSA_UNAVAILABLE, "no time-stamp authority of profile '" + profile + "' answered: "
                + String.join("; ", failures));
    }
}
