package org.sigillum.channel.hotfolder.internal;

import java.nio.file.Path;
import java.util.Optional;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;
import org.sigillum.api.AuditTrail;
import org.sigillum.api.Channel;
import org.sigillum.api.ChannelStatus;
import org.sigillum.api.SigningService;

/**
 * One instance per root configuration ({@code etc/org.sigillum.hotfolder-NAME.cfg}). A changed
 * file restarts the root: work in progress stops after its current documents and resumes from the
 * journal. A broken configuration still registers, so that its problem shows in the status.
 */
@Component(service = Channel.class, configurationPid = HotFolderComponent.PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
        property = "sigillum.channel=hotfolder")
@Designate(ocd = RootConfig.class, factory = true)
public class HotFolderComponent implements Channel {
    static final String PID = "org.sigillum.hotfolder";

    private static final System.Logger LOG = System.getLogger(HotFolderComponent.class.getName());

    private final Root root;
    private final String name;
    private final String configError;
    private final boolean oneshot;

    @Activate
    public HotFolderComponent(BundleContext context, RootConfig config, @Reference SigningService signing,
            @Reference AuditTrail audit) {
        String h = context.getProperty("sigillum.home");
        Path home = Path.of(h == null ? "." : h).toAbsolutePath();
        Root r = null;
        String err = null;
        try {
            r = new Root(RootSettings.of(config, home), signing, audit);
        } catch (RuntimeException e) {
            err = e.getMessage();
            LOG.log(System.Logger.Level.ERROR, "hot-folder root " + config.name() + " is misconfigured: " + err);
        }
        this.root = r;
        this.configError = err;
        this.name = config.name() == null ? "?" : config.name().trim();
        // A server started for one command (./sigillum sign with no server running) leaves folders alone.
        this.oneshot = Boolean.parseBoolean(context.getProperty("sigillum.oneshot"));
        if (root != null && !oneshot) {
            root.start();
        }
    }

    @Deactivate
    void deactivate() {
        if (root != null && !oneshot) {
            root.stop();
        }
    }

    @Override
    public ChannelStatus status() {
        if (root == null) {
            return new ChannelStatus("hotfolder", name, 0, 0, 0, 0, 0, 0, "misconfigured: " + configError, "", "", Optional.empty());
        }
        if (oneshot) {
            return new ChannelStatus("hotfolder", name, 0, 0, 0, 0, 0, 0, "not watched by a server started for one command", "", "", Optional.empty());
        }
        return root.status();
    }
}
