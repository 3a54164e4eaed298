package org.sigillum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 200 MB PDF of 5,000 pages through the pades hot-folder root of a server whose heap is capped at
 * 128 MB, killed with -9 while it writes the signed file and started again: the batch completes
 * once, the signature is valid in pdfsig and in our verifier, the original bytes are intact at the
 * start of the output, and no temporary file is left behind.
 */
class PadesLargeTest {

    @TempDir
    Path tmp;

    @Test
    void a200MbPdfSignsInA128MbHeapAndAKillMidwayLosesNothing() throws Exception {
        Path home = tmp.resolve("home");
        Path gc1 = tmp.resolve("gc-1.log");
        Path src = Files.createDirectories(tmp.resolve("src"));
        Path big = Pdfs.large(src.resolve("archive 2026.pdf"), 5000, 40_000);
        assertTrue(Files.size(big) > 200_000_000L, "the fixture is 200 MB");
        List<Path> small = List.of(Pdfs.ghostscript(src, "letter-a.pdf", 1), Pdfs.ghostscript(src, "letter-b.pdf", 3));
        byte[] bigDigest = digest(big, Files.size(big));

        Server server = new Server(home, tmp.resolve("server.log")).withJavaOptions("-Xmx128m -Xlog:gc:file=" + gc1).start(true);
        Path batch = Files.createDirectories(home.resolve("hotfolder/in/pades/large"));
        Files.copy(big, batch.resolve(big.getFileName()));
        for (Path p : small) {
            Files.copy(p, batch.resolve(p.getFileName()));
        }
        Files.writeString(batch.resolve("APPROVED"), "");
        Path spool = home.resolve("work/pades");
        Server.await("the signed PDF being written to the spool", 120_000, () -> spooled(spool) > 0);
        server.kill();
        Path ready = home.resolve("hotfolder/out/pades/large/READY");
        assertFalse(Files.exists(ready), "killed before the batch was done");

        Path gc2 = tmp.resolve("gc-2.log");
        try (Server again = new Server(home, tmp.resolve("server.log")).withJavaOptions("-Xmx128m -Xlog:gc:file=" + gc2).start(true)) {
            Server.await("READY after the restart", 180_000, () -> Files.exists(ready));
            Path out = ready.getParent();
            Path signed = out.resolve(big.getFileName());
            assertTrue(Files.size(signed) > Files.size(big));
            assertEquals(java.util.HexFormat.of().formatHex(bigDigest), java.util.HexFormat.of().formatHex(digest(signed, Files.size(big))),
                    "the output begins with the original's bytes");
            String report = Pdfs.pdfsig(signed);
            assertEquals(1, Pdfs.count(report, "Signature is Valid."), report);
            assertTrue(report.contains("Total document signed"), report);
            for (Path p : small) {
                assertEquals(1, Pdfs.count(Pdfs.pdfsig(out.resolve(p.getFileName())), "Signature is Valid."), p.toString());
            }
            Sigillum.Result ours = Sigillum.run(home, "verify", signed.toString());
            assertEquals(0, ours.exit(), ours.toString());
            String readyText = Files.readString(ready);
            assertEquals(3, Pdfs.count(readyText, "\"level\""), "three documents signed once each: " + readyText);
            assertFalse(Files.exists(batch), "the input batch is consumed");
            Server.await("no temporary files left", 30_000, () -> spooled(spool) == 0);
            System.out.println("peak heap while signing 200 MB (from GC logs): " + peakHeapMb(gc1, gc2) + " MB of 128 MB");
        }
    }

    private static long spooled(Path spool) {
        if (!Files.isDirectory(spool)) {
            return 0;
        }
        try (Stream<Path> s = Files.list(spool)) {
            return s.filter(p -> p.getFileName().toString().startsWith("pades-")).count();
        } catch (java.io.IOException e) {
            return 0;
        }
    }

    private static byte[] digest(Path file, long prefix) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 20];
            long left = prefix;
            int n;
            while (left > 0 && (n = in.read(buf, 0, (int) Math.min(buf.length, left))) > 0) {
                md.update(buf, 0, n);
                left -= n;
            }
        }
        return md.digest();
    }

    /** The largest heap occupancy a GC found before collecting ("57M->8M(128M)"). */
    static long peakHeapMb(Path... logs) throws Exception {
        Pattern p = Pattern.compile("(\\d+)M->(\\d+)M\\((\\d+)M\\)");
        long peak = 0;
        for (Path log : logs) {
            if (!Files.exists(log)) {
                continue;
            }
            Matcher m = p.matcher(Files.readString(log));
            while (m.find()) {
                peak = Math.max(peak, Long.parseLong(m.group(1)));
            }
        }
        return peak;
    }
}
