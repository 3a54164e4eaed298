package org.sigillum.cli.internal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

/**
 * Prepares the runtime home when the server starts: on the first run the DEMO PKI, the demo token,
 * the cades profile and the default plug-ins; later, fresh builds of deployed plug-ins.
 */
@Component(immediate = true, service = HomeComponent.class)
public class HomeComponent {

    private final RuntimeHome home;
    private final boolean created;

    @Activate
    public HomeComponent(BundleContext context) throws Exception {
        String h = context.getProperty("sigillum.home");
        this.home = new RuntimeHome(Path.of(h == null ? "var" : h).toAbsolutePath());
        String a = context.getProperty("sigillum.available");
        Optional<Path> available = a == null || a.isBlank() || !Files.isDirectory(Path.of(a)) ? Optional.empty()
                : Optional.of(Path.of(a));
        Path homeDir = home.home();
        if (Files.isDirectory(homeDir)) {
            for (HomePermissions.Repaired r : HomePermissions.secure(homeDir)) {
                // On stderr like the server's other warnings, in words an operator can act on.
                System.err.println("sigillum: " + homeDir.resolve(r.part()).normalize() + " was open to other local users ("
                        + r.entries() + (r.entries() == 1 ? " entry" : " entries") + "); made private to the server's account");
            }
        }
        this.created = home.initialise(available);
        if (created && !Boolean.parseBoolean(context.getProperty("sigillum.oneshot"))) {
            System.out.println("""
                    sigillum: created a new runtime home in %1$s
                      pki/demo-root.pem      the DEMO root CA (trust anchor for checking demo signatures)
                      pki/demo-signer.p12    the DEMO signing key, used by the token 'demo'
                      etc/                   configurations (*.cfg), watched: profiles, tokens
                      deploy/                plug-in bundles, watched: drop a jar in to add it, take it out to remove it
                    Next, in another terminal:
                      ./sigillum sign --profile cades --out /tmp/signed FILE...
                      ./sigillum verify /tmp/signed/FILE.p7s --data FILE
                      ./sigillum sign --profile pades --out /tmp/signed FILE.pdf     (a signature inside the PDF)
                    or drop a folder of files into %1$s/hotfolder/in/cades/ (PDFs: hotfolder/in/pades/)
                    and then a file named APPROVED into it: the results appear in hotfolder/out/.
                    """.formatted(home.home()));
        }
    }

    RuntimeHome home() {
        return home;
    }
}
