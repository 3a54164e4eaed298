package org.sigillum.token.pkcs11.internal;

import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;

import org.xipki.pkcs11.wrapper.PKCS11Exception;
import org.xipki.pkcs11.wrapper.PKCS11Module;
import org.xipki.pkcs11.wrapper.Slot;

/**
 * One loaded PKCS#11 library, shared by every token configured on it: a library may be initialised
 * only once per process. Some libraries (SoftHSM2 among them) see a token created or re-inserted
 * after C_Initialize only after C_Finalize and a new C_Initialize, which ends every session and
 * login of that library, so that is done only while none of its tokens holds an activation.
 */
final class Module {
    private static final System.Logger LOG = System.getLogger(Module.class.getName());

    final String library;
    private final Set<Pkcs11Token> users = new CopyOnWriteArraySet<>();
    private PKCS11Module module;
    private long generation;

    Module(String library) {
        this.library = library;
    }

    /** The initialised module and its generation; a new generation invalidates every old handle. */
    record Handle(PKCS11Module module, long generation) {
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
        }
        return new Handle(module, generation);
    }

    /** The current generation, or -1 while the library is closed (re-initialised on next use). */
    synchronized long generation() {
        return module == null ? -1 : generation;
    }

    synchronized List<Slot> slotsWithToken() throws IOException, PKCS11Exception {
        return List.of(handle().module().getSlotList(true));
    }

    void use(Pkcs11Token token) {
        users.add(token);
    }

    /** True when the library is no longer used by any token. */
    boolean release(Pkcs11Token token) {
        users.remove(token);
        return users.isEmpty();
    }

    /**
     * Re-initialises the library so that it looks for tokens again, unless another token of it
     * is logged in (its operator would have to activate it again) or busy.
     */
    synchronized boolean rescan(Pkcs11Token asking) {
        for (Pkcs11Token t : users) {
            if (t != asking && t.holdsLogin()) {
                return false;
            }
        }
        LOG.log(System.Logger.Level.INFO, "re-initialising PKCS#11 library " + library + " to look for token of " + asking.id());
        close();
        return true;
    }

    synchronized void close() {
        if (module != null) {
            try {
                module.finalize(null);
            } catch (PKCS11Exception | RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, "C_Finalize of " + library + ": " + e.getMessage());
            }
            module = null;
        }
    }
}
