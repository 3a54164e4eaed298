package org.sigillum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import eu.europa.esig.dss.enumerations.DigestAlgorithm;
import eu.europa.esig.dss.enumerations.SignatureLevel;
import eu.europa.esig.dss.model.DSSDocument;
import eu.europa.esig.dss.model.FileDocument;
import eu.europa.esig.dss.pades.PAdESSignatureParameters;
import eu.europa.esig.dss.pades.signature.PAdESService;
import eu.europa.esig.dss.spi.validation.CommonCertificateVerifier;
import eu.europa.esig.dss.token.DSSPrivateKeyEntry;
import eu.europa.esig.dss.token.Pkcs12SignatureToken;

/**
 * PAdES-B on 1,000 PDFs of about 100 KB (six pages of text and an image, made by ghostscript) with the same RSA-2048 key, two threads each: Sigillum
 * (a hot-folder batch through a running server, two workers: the path a site uses, with hashing,
 * staging, journal and publication included) beside EU DSS's PAdESService with a PKCS#12 token in
 * this JVM, on the same files in the same run; and the raw RSA-2048 signing rate on two threads as
 * the ceiling. Then the peak heap while a server capped at 128 MB signs one 200 MB PDF.
 * Run by ./sigillum benchmark; results in target/benchmark-pades.txt.
 */
class PadesBenchmark {

    private static final int DOCUMENTS = 1000;

    @TempDir
    Path tmp;

    @Test
    void padesAgainstEuDss() throws Exception {
        Path home = tmp.resolve("home");
        Path src = Files.createDirectories(tmp.resolve("src"));
        Path invoice = Pdfs.invoice(src, "invoice.pdf");
        List<Path> pdfs = new ArrayList<>();
        for (int i = 0; i < DOCUMENTS; i++) {
            pdfs.add(Files.copy(invoice, src.resolve(String.format("invoice-%04d.pdf", i))));
        }
        long sigillumMillis;
        double rawPerSecond;
        double dssPerSecond;
        try (Server server = new Server(home, tmp.resolve("server.log")).start(true)) {
            Files.writeString(tmp.resolve("bench.cfg"), "name = bench\nprofile = pades\nsettleMillis = 100\npollMillis = 50\n");
            Files.move(tmp.resolve("bench.cfg"), home.resolve("etc/org.sigillum.hotfolder-bench.cfg"));
            Server.await("the bench root", 30_000, () -> Files.isDirectory(home.resolve("hotfolder/in/bench")));
            // Both sides get the same warm-up: the JIT needs a few thousand documents before PDFBox runs at speed.
            batch(home, "warm-up-1", pdfs);
            batch(home, "warm-up-2", pdfs);
            sigillumMillis = batch(home, "measured", pdfs);
            String password = Pdfs.demoPassword(home);
            Path p12 = home.resolve("pki/demo-signer.p12");
            rawPerSecond = rawRsa(p12, password);
            dss(p12, password, pdfs, tmp.resolve("dss-warm-up-1"));
            dss(p12, password, pdfs, tmp.resolve("dss-warm-up-2"));
            long t = System.nanoTime();
            dss(p12, password, pdfs, tmp.resolve("dss"));
            dssPerSecond = DOCUMENTS / ((System.nanoTime() - t) / 1e9);
        }
        double sigillumPerSecond = DOCUMENTS / (sigillumMillis / 1000.0);
        String result = String.format("pades: Sigillum %.0f documents/s, EU DSS PAdESService %.0f documents/s: ratio %.1f (goal >= 3);"
                + " raw RSA-2048 on 2 threads %.0f signatures/s (Sigillum reaches %.2f of it)%n",
                sigillumPerSecond, dssPerSecond, sigillumPerSecond / dssPerSecond, rawPerSecond, sigillumPerSecond / rawPerSecond);

        Path big = Pdfs.large(src.resolve("big.pdf"), 5000, 40_000);
        Path gc = tmp.resolve("gc.log");
        Path home2 = tmp.resolve("home-200mb");
        long seconds;
        try (Server server = new Server(home2, tmp.resolve("server2.log")).withJavaOptions("-Xmx128m -Xlog:gc:file=" + gc).start(true)) {
            long t = System.nanoTime();
            Sigillum.Result r = Sigillum.run(home2, "sign", "--profile", "pades", "--out", tmp.resolve("big-out").toString(), big.toString());
            seconds = (System.nanoTime() - t) / 1_000_000_000L;
            assertEquals(0, r.exit(), r.toString());
        }
        result += String.format("pades 200 MB / 5,000 pages: signed with -Xmx128m in %d s; peak heap occupancy seen by the GC %d MB"
                + " (server included) for a %d MB file%n", seconds, PadesLargeTest.peakHeapMb(gc), Files.size(big) >> 20);
        System.out.print(result);
        Files.writeString(Path.of("target", "benchmark-pades.txt"), result);
    }

    /** Drops a batch into the bench root and returns the milliseconds until its READY appears. */
    private static long batch(Path home, String name, List<Path> files) throws Exception {
        Path dir = Files.createDirectories(home.resolve("hotfolder/in/bench/" + name));
        for (Path f : files) {
            Files.copy(f, dir.resolve(f.getFileName()));
        }
        Path ready = home.resolve("hotfolder/out/bench/" + name + "/READY");
        long t = System.nanoTime();
        Files.writeString(dir.resolve("APPROVED"), "");
        Server.await(name + " READY", 600_000, () -> Files.exists(ready));
        long millis = (System.nanoTime() - t) / 1_000_000L;
        String summary = Files.readString(ready);
        assertEquals(files.size(), Pdfs.count(summary, "\"level\""), "every document signed: " + summary.substring(0, Math.min(400, summary.length())));
        return millis;
    }

    private static void dss(Path p12, String password, List<Path> files, Path outDir) throws Exception {
        Files.createDirectories(outDir);
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (Pkcs12SignatureToken token = new Pkcs12SignatureToken(p12.toFile(), new KeyStore.PasswordProtection(password.toCharArray()))) {
            DSSPrivateKeyEntry key = token.getKeys().get(0);
            List<Future<?>> work = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                work.add(pool.submit(() -> {
                    PAdESService service = new PAdESService(new CommonCertificateVerifier());
                    for (int i = next.getAndIncrement(); i < files.size(); i = next.getAndIncrement()) {
                        PAdESSignatureParameters p = new PAdESSignatureParameters();
                        p.setSignatureLevel(SignatureLevel.PAdES_BASELINE_B);
                        p.setSigningCertificate(key.getCertificate());
                        p.setCertificateChain(key.getCertificateChain());
                        p.setDigestAlgorithm(DigestAlgorithm.SHA256);
                        DSSDocument doc = new FileDocument(files.get(i).toFile());
                        var tbs = service.getDataToSign(doc, p);
                        var value = token.sign(tbs, p.getDigestAlgorithm(), key);
                        service.signDocument(doc, p, value).save(outDir.resolve(files.get(i).getFileName()).toString());
                    }
                    return null;
                }));
            }
            for (Future<?> f : work) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        assertTrue(Files.list(outDir).count() >= files.size());
    }

    /** SHA256withRSA with the same key on two threads for two seconds: the ceiling for any signer. */
    private static double rawRsa(Path p12, String password) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(p12)) {
            ks.load(in, password.toCharArray());
        }
        String alias = ks.aliases().nextElement();
        PrivateKey key = (PrivateKey) ks.getKey(alias, password.toCharArray());
        rawRsaFor(key, 3_000_000_000L); // warm-up
        return rawRsaFor(key, 3_000_000_000L);
    }

    private static double rawRsaFor(PrivateKey key, long nanos) throws Exception {
        AtomicInteger done = new AtomicInteger();
        long end = System.nanoTime() + nanos;
        Thread[] threads = new Thread[2];
        for (int t = 0; t < 2; t++) {
            threads[t] = new Thread(() -> {
                try {
                    Signature s = Signature.getInstance("SHA256withRSA");
                    byte[] data = new byte[64];
                    while (System.nanoTime() < end) {
                        s.initSign(key);
                        s.update(data);
                        s.sign();
                        done.incrementAndGet();
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            threads[t].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        return done.get() / (nanos / 1e9);
    }
}
