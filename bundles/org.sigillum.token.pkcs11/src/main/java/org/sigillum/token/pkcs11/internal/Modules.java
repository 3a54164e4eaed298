package org.sigillum.token.pkcs11.internal;

import java.util.HashMap;
import java.util.Map;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.xipki.pkcs11.wrapper.Logger;
import org.xipki.pkcs11.wrapper.StaticLogger;

/**
 * The PKCS#11 libraries in use, one {@link Module} per path. A component of this bundle only (its
 * service type is internal).
 */
@Component(service = Modules.class)
public class Modules {
    private static final System.Logger LOG = System.getLogger(Modules.class.getName());

    private final Map<String, Module> modules = new HashMap<>();

    @Activate
    public Modules() {
        // The wrapper logs its calls, arguments included, at debug and info level: only its warnings
        // and errors may reach our log, so that nothing a token was given can appear there.
        StaticLogger.setLogger(new Logger() {
            @Override public void info(String format, Object... args) { }
            @Override public void debug(String format, Object... args) { }
            @Override public void trace(String format, Object... args) { }
            @Override public void warn(String format, Object... args) {
                LOG.log(System.Logger.Level.WARNING, "PKCS#11 wrapper: " + format);
            }
            @Override public void error(String format, Object... args) {
                LOG.log(System.Logger.Level.ERROR, "PKCS#11 wrapper: " + format);
            }
            @Override public boolean isDebugEnabled() { return false; }
            @Override public boolean isInfoEnabled() { return false; }
            @Override public boolean isWarnEnabled() { return true; }
            @Override public boolean isTraceEnabled() { return false; }
        });
    }

    synchronized Module module(String library, Pkcs11Token user) {
        Module m = modules.computeIfAbsent(library, Module::new);
        m.use(user);
        return m;
    }

    synchronized void release(Module module, Pkcs11Token user) {
        if (module.release(user)) {
            modules.remove(module.library);
            module.close();
        }
    }

    @Deactivate
    synchronized void stop() {
        modules.values().forEach(Module::close);
        modules.clear();
    }
}
