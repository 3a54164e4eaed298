package org.sigillum.tsp.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/** Trust anchors from a PEM file or a folder of PEM files. */
final class Pem {
    private Pem() {
    }

    static Set<TrustAnchor> anchors(Path path) throws IOException, GeneralSecurityException {
        List<Path> files;
        if (Files.isRegularFile(path)) {
            files = List.of(path);
        } else if (Files.isDirectory(path)) {
            try (Stream<Path> s = Files.list(path)) {
                files = s.filter(p -> {
                    String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
                    return n.endsWith(".pem") || n.endsWith(".crt") || n.endsWith(".cer");
                }).sorted().toList();
            }
        } else {
            files = List.of();
        }
        Set<TrustAnchor> out = new HashSet<>();
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        for (Path f : files) {
            try (InputStream in = Files.newInputStream(f)) {
                for (var c : cf.generateCertificates(in)) {
                    out.add(new TrustAnchor((X509Certificate) c, null));
                }
            }
        }
        return out;
    }
}
