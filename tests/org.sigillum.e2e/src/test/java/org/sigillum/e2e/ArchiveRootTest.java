package org.sigillum.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.bouncycastle.tsp.ers.ERSByteData;
import org.bouncycastle.tsp.ers.ERSEvidenceRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded default's archive-only root (tokens = none): files enter the archive unsigned, their
 * copies and receipts come out, and the records prove the files. And a deployed archive that is
 * down stops signing instead of letting documents through without their entries.
 */
class ArchiveRootTest {

    @TempDir
    Path tmp;

    @Test
    void theArchiveRootArchivesUnsignedFilesAndReportsTheirReceipts() throws Exception {
        Path home = tmp.resolve("home");
        try (Server server = new Server(home, tmp.resolve("server.log")).start(true)) {
            Path batch = home.resolve("hotfolder/in/archive/scans-0815");
            Files.createDirectories(batch.resolve("letters"));
            List<Path> files = List.of(Files.write(batch.resolve("invoice.pdf"), "%PDF-1.4 not really a pdf\n".getBytes()),
                    Files.writeString(batch.resolve("letters/a.txt"), "a scanned letter\n"),
                    Files.write(batch.resolve("image.tif"), new byte[] { 'I', 'I', 42, 0, 1, 2, 3 }));
            List<byte[]> contents = new ArrayList<>();
            for (Path f : files) {
                contents.add(Files.readAllBytes(f));
            }
            Files.writeString(batch.resolve("APPROVED"), "");
            Path out = home.resolve("hotfolder/out/archive/scans-0815");
            Path ready = out.resolve("READY");
            Server.await(ready.toString(), 30_000, () -> Files.exists(ready));
            String summary = Files.readString(ready);
            assertTrue(summary.contains("\"archived\": 3") || summary.contains("\"archived\":3"), summary);
            assertFalse(summary.contains("\"signer\""), "nothing was signed: " + summary);
            assertArrayEquals(contents.get(0), Files.readAllBytes(out.resolve("invoice.pdf")));
            assertArrayEquals(contents.get(1), Files.readAllBytes(out.resolve("letters/a.txt")));
            assertArrayEquals(contents.get(2), Files.readAllBytes(out.resolve("image.tif")));
            try (var s = Files.list(out)) {
                assertTrue(s.noneMatch(p -> p.toString().endsWith(".p7s")), "no signature files");
            }
            Matcher m = Pattern.compile("\"archive\":\\s*\\{\\s*\"id\":\\s*\"([0-9]+)\",\\s*\"tree\":\\s*\"[0-9]+\",\\s*\"leaf\":\\s*[0-9]+\\s*\\}").matcher(summary);
            List<String> receipts = new ArrayList<>();
            while (m.find()) {
                receipts.add(m.group(1));
            }
            assertEquals(3, receipts.size(), summary);
            String audit = Files.readString(home.resolve("log/audit.log"));
            assertEquals(3, Pattern.compile("\"outcome\": ?\"archived\"").matcher(audit).results().count(), audit);

            assertEquals(0, Sigillum.run(home, "archive", "seal").exit());
            // The summary lists documents in input order; match each receipt to its file by content.
            for (String receipt : receipts) {
                Path er = tmp.resolve("r" + receipt + ".ers");
                Sigillum.Result export = Sigillum.run(home, "archive", "evidence", receipt, "--out", er.toString());
                assertEquals(0, export.exit(), export.toString());
                ERSEvidenceRecord bc = new ERSEvidenceRecord(Files.readAllBytes(er), new JcaDigestCalculatorProviderBuilder().build());
                int proven = 0;
                for (int i = 0; i < contents.size(); i++) {
                    byte[] c = contents.get(i);
                    try {
                        bc.validatePresent(new ERSByteData(c), new Date());
                        proven++;
                        Sigillum.Result ours = Sigillum.run(home, "archive", "verify", out.resolve(files.get(i).getFileName().toString().equals("a.txt")
                                ? "letters/a.txt" : files.get(i).getFileName().toString()).toString(), er.toString());
                        assertEquals(0, ours.exit(), ours.toString());
                    } catch (org.bouncycastle.tsp.ers.ERSException e) {
                        // another file's record
                    }
                }
                assertEquals(1, proven, "record " + receipt + " proves exactly one of the files");
            }
            byte[] changed = contents.get(1).clone();
            changed[0] ^= 1;
            Path er = tmp.resolve("r" + receipts.get(0) + ".ers");
            ERSEvidenceRecord bc = new ERSEvidenceRecord(Files.readAllBytes(er), new JcaDigestCalculatorProviderBuilder().build());
            assertThrows(Exception.class, () -> bc.validatePresent(new ERSByteData(changed), new Date()));
        }
    }

    @Test
    void aDeployedArchiveThatIsDownStopsSigning() throws Exception {
        Path home = tmp.resolve("home");
        try (Server server = new Server(home, tmp.resolve("server1.log")).start(true)) {
            // a first start creates the home and the archive's database
        }
        Path doc = Files.writeString(tmp.resolve("doc.txt"), "must not be signed without its archive entry\n");
        // Another process holding the database: the archive cannot start.
        try (Connection lock = DriverManager.getConnection("jdbc:h2:file:" + home.resolve("state/archive/archive").toAbsolutePath()
                + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE");
                Server server = new Server(home, tmp.resolve("server2.log")).start(false)) {
            Sigillum.Result[] last = new Sigillum.Result[1];
            Server.await("the refusal", 60_000, () -> {
                try {
                    last[0] = Sigillum.run(home, "sign", "--profile", "cades", "--out", tmp.resolve("out").toString(), doc.toString());
                } catch (Exception e) {
                    return false;
                }
                return last[0].err().contains("archive is deployed but not running");
            });
            assertTrue(last[0].exit() != 0, last[0].toString());
            assertFalse(Files.exists(tmp.resolve("out/doc.txt.p7s")), "nothing was handed out");
            String audit = Files.readString(home.resolve("log/audit.log"));
            assertTrue(audit.contains("\"reason\":\"archive unavailable\"") || audit.contains("\"reason\": \"archive unavailable\""), audit);
        }
    }
}
