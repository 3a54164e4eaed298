package org.sigillum.core.internal;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.sigillum.api.Reason;
import org.sigillum.api.SigningException;
import org.sigillum.api.SigningToken;
import org.sigillum.api.TokenState;
import org.sigillum.api.TokenStatus;

/**
 * The tokens registered in the framework, by id, with the number of signatures each is working on.
 * A request goes to the least busy token of its profile that can sign now, so a slow card does not
 * hold up the others. Choosing and counting are not one atomic step: two requests at the same
 * instant may pick the same token, which only queues one of them behind the other.
 */
final class TokenPool {

    /** busy: signatures in progress; uses: signatures begun, to share an idle pool evenly. */
    private record Entry(SigningToken token, AtomicInteger busy, java.util.concurrent.atomic.AtomicLong uses) {
    }

    /** A token lent to one signature; closing it returns the token. */
    static final class Lease implements AutoCloseable {
        private final Entry entry;

        private Lease(Entry entry) {
            this.entry = entry;
            entry.busy().incrementAndGet();
            entry.uses().incrementAndGet();
        }

        SigningToken token() {
            return entry.token();
        }

        @Override
        public void close() {
            entry.busy().decrementAndGet();
        }
    }

    private final Map<String, Entry> tokens = new ConcurrentHashMap<>();

    void add(SigningToken token) {
        tokens.put(token.id(), new Entry(token, new AtomicInteger(), new java.util.concurrent.atomic.AtomicLong()));
    }

    void remove(SigningToken token) {
        // Only the registration being removed: a new token with the same id may already be in.
        tokens.computeIfPresent(token.id(), (id, e) -> e.token() == token ? null : e);
    }

    Collection<SigningToken> all() {
        return tokens.values().stream().map(Entry::token).toList();
    }

    /** True when one of {@code ids} can sign now. */
    boolean anyAvailable(List<String> ids) {
        return ids.stream().map(tokens::get)
                .anyMatch(e -> e != null && e.token().status().state() == TokenState.AVAILABLE);
    }

    /**
     * Picks the least busy available token among {@code allowed}. When none can sign, the reason
     * says what would help: activation, a PIN, a card.
     */
    Lease acquire(String profile, List<String> allowed) throws SigningException {
        if (allowed.isEmpty()) {
            throw new SigningException(Reason.TOKEN_UNAVAILABLE, "profile '" + profile + "' names no token");
        }
        Entry best = null;
        List<String> problems = new ArrayList<>();
        boolean needsActivation = false;
        boolean locked = false;
        for (String id : allowed) {
            Entry e = tokens.get(id);
            if (e == null) {
                problems.add(id + ": not installed");
                continue;
            }
            TokenStatus s = e.token().status();
            if (s.state() == TokenState.AVAILABLE) {
                // Least busy first; among equally busy ones the least used, so that one request
                // at a time still spreads over the pool (and a card's wear with it).
                if (best == null || e.busy().get() < best.busy().get()
                        || e.busy().get() == best.busy().get() && e.uses().get() < best.uses().get()) {
                    best = e;
                }
                continue;
            }
            needsActivation |= s.state() == TokenState.NEEDS_ACTIVATION;
            locked |= s.state() == TokenState.LOCKED;
            problems.add(id + ": " + s.state().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ')
                    + (s.detail().isEmpty() ? "" : " (" + s.detail() + ")"));
        }
        if (best != null) {
            return new Lease(best);
        }
        String msg = "no token of profile '" + profile + "' can sign: " + String.join("; ", problems);
        if (needsActivation) {
            throw new SigningException(Reason.TOKEN_NEEDS_ACTIVATION, msg);
        }
        if (locked && problems.size() == 1) {
            throw new SigningException(Reason.TOKEN_LOCKED, msg);
        }
        throw new SigningException(Reason.TOKEN_UNAVAILABLE, msg);
    }
}
