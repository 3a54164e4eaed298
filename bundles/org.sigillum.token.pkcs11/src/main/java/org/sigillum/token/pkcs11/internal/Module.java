package org.sigillum.token.pkcs11.internal;

import java.io.IOException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import org.xipki.pkcs11.wrapper.PKCS11Exception;
import org.xipki.pkcs11.wrapper.PKCS11Module;

/**
 * One loaded PKCS#11 library, shared by every token configured on it: a library may be initialised
 * only once per process. Some libraries (SoftHSM2 among them) see a token created or re-inserted
 * after C_Initialize only after C_Finalize and a new C_Initialize, which ends every session and
 * login of that library, so that is done only while none of its tokens holds a login or is in a
 * call, and not more often than every {@link #RESCAN_INTERVAL_MILLIS}.
 */
final class Module {
    private static final System.Logger LOG = System.getLogger(Module.class.getName());
    static final long RESCAN_INTERVAL_MILLIS = 5_000;

    final String library;
    private final Set<Pkcs11Token> users = new CopyOnWriteArraySet<>();
    /** Card calls hold the read lock; C_Finalize takes the write lock (the spec leaves calls during it undefined). */
    private final ReentrantReadWriteLock calls = new ReentrantReadWriteLock();
    /** Per physical token (by serial): its login state, which PKCS#11 shares among all sessions. */
    private final Map<String, Card> cards = new ConcurrentHashMap<>();
    private PKCS11Module module;
    private long generation;
    private long lastRescan;

    Module(String library) {
        this.library = library;
    }

    /** The initialised module and its generation; a new generation invalidates every old handle. */
    record Handle(PKCS11Module module, long generation) {
    }

    /**
     * One physical token: logins on it are one at a time, and {@code epoch} changes whenever our
     * code leaves it logged out, so that the other keys' activations on it know they ended.
     */
    static final class Card {
        final ReentrantLock login = new ReentrantLock();
        volatile long epoch;
    }

    Card card(String serial) {
        return cards.computeIfAbsent(serial, s -> new Card());
    }

    synchronized Handle handle() throws IOException, PKCS11Exception {
        if (module == null) {
            PKCS11Module m = PKCS11Module.getInstance(library);
            try {
                m.initialize();
            } catch (PKCS11Exception e) {
                // Already initialised by an earlier instance of this bundle (hot redeploy): usable.
                if (e.getErrorCode() != org.xipki.pkcs11.wrapper.PKCS11Constants.CKR_CRYPTOKI_ALREADY_INITIALIZED) {
                    throw e;
                }
            }
            module = m;
            generation++;
            cards.values().forEach(c -> c.epoch++);
        }
        return new Handle(module, generation);
    }

    /** The current generation, or -1 while the library is closed (re-initialised on next use). */
    synchronized long generation() {
        return module == null ? -1 : generation;
    }

    /** Enters a card call; false when the library is being finalised. */
    void enter() {
        calls.readLock().lock();
    }

    void exit() {
        calls.readLock().unlock();
    }

    void use(Pkcs11Token token) {
        users.add(token);
    }

    /** How many other keys of this library are activated on {@code card} now. */
    int othersActiveOn(Card card, Pkcs11Token me) {
        return (int) users.stream().filter(t -> t != me && t.activeOn(card)).count();
    }

    /** True when the library is no longer used by any token. */
    boolean release(Pkcs11Token token) {
        users.remove(token);
        return users.isEmpty();
    }

    /**
     * Re-initialises the library so that it looks for tokens again, unless another token of it is
     * logged in (its operator would have to activate it again), a call is running, or the last
     * re-initialisation was too recent.
     */
    boolean rescan(Pkcs11Token asking) {
        synchronized (this) {
            if (System.currentTimeMillis() - lastRescan < RESCAN_INTERVAL_MILLIS) {
                return false;
            }
            for (Pkcs11Token t : users) {
                if (t != asking && t.holdsLogin()) {
                    return false;
                }
            }
            lastRescan = System.currentTimeMillis();
        }
        try {
            if (!calls.writeLock().tryLock(1, TimeUnit.SECONDS)) {
                return false;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        try {
            LOG.log(System.Logger.Level.INFO, "re-initialising PKCS#11 library " + library + " to look for the token of " + asking.id());
            close();
            return true;
        } finally {
            calls.writeLock().unlock();
        }
    }

    synchronized void close() {
        if (module != null) {
            try {
                module.finalize(null);
            } catch (PKCS11Exception | RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, "C_Finalize of " + library + ": " + e.getMessage());
            }
            module = null;
            cards.values().forEach(c -> c.epoch++);
        }
    }
}
