package org.sigillum.core.tests;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.util.tracker.ServiceTracker;
import org.sigillum.api.Document;
import org.sigillum.api.SigningRequest;
import org.sigillum.api.SigningService;

/**
 * What the benchmarks share: a PKCS#12 token "bench" with an RSA-2048 key like the demo key, a
 * CAdES-B profile "bench" on it, configured through ConfigAdmin and removed afterwards.
 */
final class BenchRuntime implements AutoCloseable {

    final ConfigurationAdmin cm;
    final SigningService signing;
    private final ServiceTracker<ConfigurationAdmin, ConfigurationAdmin> cmT;
    private final ServiceTracker<SigningService, SigningService> sT;
    private final List<Configuration> configs = new ArrayList<>();

    BenchRuntime(Path dir) throws Exception {
        TestPki.write(dir, "bench-pw");
        BundleContext ctx = FrameworkUtil.getBundle(getClass()).getBundleContext();
        cmT = new ServiceTracker<>(ctx, ConfigurationAdmin.class, null);
        cmT.open();
        sT = new ServiceTracker<>(ctx, SigningService.class, null);
        sT.open();
        cm = cmT.waitForService(10_000);
        config("org.sigillum.core", false, "auditLog", dir.resolve("audit.log").toString());
        config("org.sigillum.token.soft", true, "id", "bench", "path", dir.resolve("signer.p12").toString(), ".password", "bench-pw");
        config("org.sigillum.profile", true, "name", "bench", "format", "cades", "level", "B", "tokens", "bench",
                "trustAnchors", dir.resolve("root.pem").toString());
        long end = System.currentTimeMillis() + 20_000;
        while (sT.getService() == null || sT.getService().profiles().stream().noneMatch(p -> p.name().equals("bench") && p.ready())) {
            if (System.currentTimeMillis() > end) {
                throw new AssertionError("profile bench not ready");
            }
            Thread.sleep(50);
        }
        signing = sT.getService();
    }

    void config(String pid, boolean factory, String... kv) throws Exception {
        Configuration c = factory ? cm.createFactoryConfiguration(pid, "?") : cm.getConfiguration(pid, "?");
        Dictionary<String, Object> props = new Hashtable<>();
        for (int i = 0; i < kv.length; i += 2) {
            props.put(kv[i], kv[i + 1]);
        }
        c.update(props);
        configs.add(c);
    }

    /** Signs every document with profile "bench" from {@code threads} threads. */
    void signAll(List<Document> docs, int threads) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        AtomicInteger next = new AtomicInteger();
        List<Future<?>> fs = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            fs.add(pool.submit(() -> {
                int i;
                while ((i = next.getAndIncrement()) < docs.size()) {
                    signing.sign(SigningRequest.of("bench", "benchmark"), docs.get(i));
                }
                return null;
            }));
        }
        for (Future<?> f : fs) {
            f.get();
        }
        pool.shutdown();
    }

    @Override
    public void close() throws Exception {
        for (Configuration c : configs) {
            c.delete();
        }
        sT.close();
        cmT.close();
    }
}
