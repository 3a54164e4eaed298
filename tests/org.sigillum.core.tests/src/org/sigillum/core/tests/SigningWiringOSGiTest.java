package org.sigillum.core.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.util.tracker.ServiceTracker;
import org.sigillum.api.Content;
import org.sigillum.api.Document;
import org.sigillum.api.Reason;
import org.sigillum.api.SignatureCheck;
import org.sigillum.api.SignedDocument;
import org.sigillum.api.SigningException;
import org.sigillum.api.SigningOverrides;
import org.sigillum.api.SigningRequest;
import org.sigillum.api.SigningService;
import org.sigillum.api.VerificationService;
import org.sigillum.api.SignatureLevel;

/**
 * The wiring inside a real framework: profiles and tokens arrive as ConfigAdmin factory
 * configurations, formats through the whiteboard. Stopping the CAdES bundle makes cades requests
 * fail with "format unavailable"; starting it again restores signing without a restart.
 */
class SigningWiringOSGiTest {

    private static final String PASSWORD = "osgi-test-secret-7";

    @TempDir
    static Path dir;
    static BundleContext context;
    static ServiceTracker<SigningService, SigningService> signing;
    static ServiceTracker<VerificationService, VerificationService> verification;
    static ServiceTracker<ConfigurationAdmin, ConfigurationAdmin> cm;
    static List<Configuration> configs = new java.util.ArrayList<>();

    @BeforeAll
    static void configure() throws Exception {
        context = FrameworkUtil.getBundle(SigningWiringOSGiTest.class).getBundleContext();
        signing = open(SigningService.class);
        verification = open(VerificationService.class);
        cm = open(ConfigurationAdmin.class);
        TestPki.write(dir, PASSWORD);
        config("org.sigillum.core", false, "auditLog", dir.resolve("audit.log").toString(), "trustAnchors",
                dir.resolve("root.pem").toString());
        config("org.sigillum.token.soft", true, "id", "t1", "path", dir.resolve("signer.p12").toString(), ".password", PASSWORD);
        config("org.sigillum.profile", true, "name", "cades", "format", "cades", "level", "B", "tokens", "t1",
                "trustAnchors", dir.resolve("root.pem").toString(), "allowedOverrides", "digest,padding");
        assertNotNull(signing.waitForService(10_000), "no SigningService");
        // The core configuration above re-creates the service: always ask the current one.
        waitFor(() -> signing.getService() != null && signing.getService().profiles().stream()
                .anyMatch(p -> p.name().equals("cades") && p.ready()), "profile cades ready");
    }

    @AfterAll
    static void cleanUp() throws Exception {
        for (Configuration c : configs) {
            c.delete();
        }
        signing.close();
        verification.close();
        cm.close();
    }

    private static <T> ServiceTracker<T, T> open(Class<T> type) {
        ServiceTracker<T, T> t = new ServiceTracker<>(context, type, null);
        t.open();
        return t;
    }

    private static void config(String pid, boolean factory, String... kv) throws Exception {
        ConfigurationAdmin admin = cm.waitForService(10_000);
        Configuration c = factory ? admin.createFactoryConfiguration(pid, "?") : admin.getConfiguration(pid, "?");
        Dictionary<String, Object> props = new Hashtable<>();
        for (int i = 0; i < kv.length; i += 2) {
            props.put(kv[i], kv[i + 1]);
        }
        c.update(props);
        configs.add(c);
    }

    private static void waitFor(BooleanSupplier condition, String what) throws InterruptedException {
        long end = System.currentTimeMillis() + 15_000;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > end) {
                SigningService s = signing.getService();
                throw new AssertionError("timed out waiting for " + what
                        + (s == null ? "" : "; profiles " + s.profiles() + "; tokens " + s.tokens()));
            }
            Thread.sleep(50);
        }
    }

    private static Bundle bundle(String bsn) {
        for (Bundle b : context.getBundles()) {
            if (b.getSymbolicName().equals(bsn)) {
                return b;
            }
        }
        throw new AssertionError(bsn + " is not installed");
    }

    private static SignedDocument sign(byte[] data) throws SigningException {
        return signing.getService().sign(SigningRequest.of("cades", "osgi-test"), new Document("a.txt", Content.of(data)));
    }

    @Test
    void stoppingTheFormatBundleMakesItUnavailableAndStartingItRestoresSigning() throws Exception {
        byte[] data = "a document".getBytes();
        SignedDocument first = sign(data);
        assertEquals("a.txt.p7s", first.output().name());
        List<SignatureCheck> checks = verification.getService().verify(new Document("a.txt.p7s", first.output().content()),
                Optional.of(Content.of(data)));
        assertTrue(checks.get(0).valid(), () -> String.valueOf(checks.get(0).problem()));
        assertTrue(checks.get(0).trusted(), "the path to the configured anchor is checked");

        Bundle cades = bundle("org.sigillum.format.cades");
        cades.stop();
        try {
            SigningException e = assertThrows(SigningException.class, () -> sign(data));
            assertEquals(Reason.FORMAT_UNAVAILABLE, e.reason());
            assertTrue(e.retryable());
            assertTrue(e.getMessage().contains("cades"), e.getMessage());
        } finally {
            cades.start();
        }
        SignedDocument again = sign(data);
        assertEquals(SignatureLevel.B_B, again.level());
        assertEquals("t1", again.token());
    }

    @Test
    void requestsTheProfileForbidsOrCannotServeAreRefusedWithTheirReason() throws Exception {
        SigningService s = signing.getService();
        Document doc = new Document("b.txt", Content.of("b".getBytes()));
        SigningException e = assertThrows(SigningException.class,
                () -> s.sign(SigningRequest.of("cades", "osgi-test").with(SigningOverrides.none().withLevel(SignatureLevel.B_T)), doc));
        assertEquals(Reason.BAD_REQUEST, e.reason());
        e = assertThrows(SigningException.class, () -> s.sign(SigningRequest.of("nope", "osgi-test"), doc));
        assertEquals(Reason.PROFILE_UNKNOWN, e.reason());

        Bundle soft = bundle("org.sigillum.token.soft");
        soft.stop();
        try {
            e = assertThrows(SigningException.class, () -> s.sign(SigningRequest.of("cades", "osgi-test"), doc));
            assertEquals(Reason.TOKEN_UNAVAILABLE, e.reason());
        } finally {
            soft.start();
        }
        waitFor(() -> s.profiles().stream().anyMatch(p -> p.name().equals("cades") && p.ready()), "token back");
        assertNotNull(s.sign(SigningRequest.of("cades", "osgi-test"), doc));
    }

    @Test
    void auditLogRecordsOutcomesAndNeverThePassword() throws Exception {
        sign("audited".getBytes());
        String log = Files.readString(dir.resolve("audit.log"));
        assertTrue(log.contains("\"outcome\":\"signed\""), log);
        assertTrue(log.contains("\"channel\":\"osgi-test\""));
        assertFalse(log.contains(PASSWORD), "the audit log must never hold a password");
        // Nor may the token's service registration show it to whoever lists services.
        var refs = context.getServiceReferences(org.sigillum.api.SigningToken.class, null);
        assertFalse(refs.isEmpty());
        for (var ref : refs) {
            for (String key : ref.getPropertyKeys()) {
                assertFalse(String.valueOf(ref.getProperty(key)).contains(PASSWORD), "service property " + key + " shows the password");
            }
        }
        for (String line : log.split("\n")) {
            assertTrue(line.startsWith("{") && line.endsWith("}"), line);
        }
    }
}
