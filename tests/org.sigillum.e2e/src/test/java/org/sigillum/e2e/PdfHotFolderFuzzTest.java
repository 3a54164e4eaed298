package org.sigillum.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sigillum.fuzz.Mutator;

/**
 * PDF signing fed from outside, end to end: 1,500 mutated PDFs (ghostscript's, and the same with
 * object and cross-reference streams by qpdf) dropped into the default {@code pades} hot folder of
 * a real server. Each must be signed or refused with a reason a person can act on, within bounded
 * time and memory (the server runs with a small heap), and the server must sign a good PDF
 * afterwards.
 */
class PdfHotFolderFuzzTest {

    @Test
    void mutatedPdfsAreSignedOrRefusedAndTheServerKeepsSigning(@TempDir Path tmp) throws Exception {
        Path plain = Pdfs.ghostscript(tmp, "plain.pdf", 2);
        Path streams = Pdfs.qpdf(plain, tmp.resolve("streams.pdf"), "--object-streams=generate");
        Mutator mutator = new Mutator(List.of(Files.readAllBytes(plain), Files.readAllBytes(streams)));
        long seed = Mutator.seed(31);
        int count = Mutator.count(1500);
        System.out.println("fuzz pdf-hotfolder: seed " + seed + ", " + count + " inputs (reproduce with -Dfuzz.seed=" + seed + ")");

        Path home = tmp.resolve("home");
        try (Server server = new Server(home, tmp.resolve("server.log")).withJavaOptions("-Xmx384m").start(true)) {
            Path batch = Files.createDirectories(home.resolve("hotfolder/in/pades/fuzz"));
            for (int i = 0; i < count; i++) {
                Files.write(batch.resolve(String.format("m%04d.pdf", i)), mutator.input(seed, i));
            }
            Files.writeString(batch.resolve("APPROVED"), "");
            Path ready = home.resolve("hotfolder/out/pades/fuzz/READY");
            Server.await("READY for " + count + " mutated PDFs", 600_000, () -> Files.exists(ready));
            String summary = Files.readString(ready);
            int signed = number(summary, "signed");
            int failed = number(summary, "failed");
            assertEquals(count, signed + failed, summary.substring(0, Math.min(2000, summary.length())));
            Map<String, Integer> reasons = new TreeMap<>();
            Matcher m = Pattern.compile("\"reason\": \"([^\"]*)\"").matcher(summary);
            while (m.find()) {
                reasons.merge(m.group(1), 1, Integer::sum);
            }
            System.out.println("fuzz pdf-hotfolder: " + signed + " signed, refused " + reasons);
            // A damaged PDF is the sender's problem ("bad input"), and it is found before the token
            // signs. (This test found PDFs whose cross-reference data PDFBox repaired silently: they
            // were signed, the signed copy could not be read back, and the post-signing check
            // refused them as "verification failed" after the token had signed.)
            List<String> others = new java.util.ArrayList<>();
            Matcher f = Pattern.compile("\\{\\s*\"name\": \"([^\"]*)\",\\s*\"reason\": \"([^\"]*)\",\\s*\"message\": \"((?:[^\"\\\\]|\\\\.)*)\"")
                    .matcher(summary);
            int seen = 0;
            while (f.find()) {
                seen++;
                if (!f.group(2).equals("bad input")) {
                    others.add(f.group(1) + ": " + f.group(2) + ": " + f.group(3));
                    // The error folder keeps the input: saved where a failure can be looked at again.
                    Path kept = home.resolve("hotfolder/error/pades/fuzz").resolve(f.group(1));
                    Path saved = Files.createDirectories(Path.of("target/fuzz-failures")).resolve("pdf-hotfolder-" + f.group(1));
                    Files.copy(kept, saved, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
            assertEquals(failed, seen, "every failure in READY was looked at");
            assertTrue(others.isEmpty(), "refused for a reason that is not the input's: " + reasons + "\n" + String.join("\n", others));
            assertEquals(failed, reasons.values().stream().mapToInt(Integer::intValue).sum(), "each failure has its reason");
            assertTrue(signed > 0, "nothing was signed: the mutations are too coarse to reach the signer");
            assertTrue(server.alive(), "the server died");
            String log = server.log();
            assertFalse(log.contains("OutOfMemoryError"), "out of memory");

            // Still signing: a good PDF, judged by poppler.
            Path out = tmp.resolve("after");
            Sigillum.Result r = Sigillum.run(home, "sign", "--profile", "pades", "--out", out.toString(), plain.toString());
            assertEquals(0, r.exit(), r.toString());
            assertTrue(Pdfs.pdfsig(out.resolve("plain.pdf")).contains("Signature is Valid."));
        }
    }

    private static int number(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\": (\\d+)").matcher(json);
        assertTrue(m.find(), key + " in " + json);
        return Integer.parseInt(m.group(1));
    }
}
