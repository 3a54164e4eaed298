package org.sigillum.core.internal;

import java.util.Map;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.metatype.annotations.Designate;

/**
 * One instance per profile configuration ({@code etc/org.sigillum.profile-NAME.cfg}); the signing
 * service tracks these. A broken configuration still registers, carrying its error, so that the
 * status shows it instead of the profile silently missing.
 */
@Component(service = ProfileComponent.class, configurationPid = ProfileComponent.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = ProfileConfig.class, factory = true)
public class ProfileComponent {
    static final String PID = "org.sigillum.profile";

    private final Profile profile;
    private final String error;
    private final String configName;

    @Activate
    public ProfileComponent(ProfileConfig config, Map<String, Object> properties) {
        Profile p = null;
        String e = null;
        try {
            p = Profile.of(config, properties);
        } catch (RuntimeException ex) {
            e = ex.getMessage();
        }
        this.profile = p;
        this.error = e;
        Object pid = properties.get("felix.fileinstall.filename");
        this.configName = config.name() != null && !config.name().isBlank() ? config.name().trim()
                : String.valueOf(pid != null ? pid : properties.get("service.pid"));
    }

    /** The parsed profile, or null when the configuration is broken. */
    Profile profile() {
        return profile;
    }

    /** Why the configuration is broken, or null. */
    String error() {
        return error;
    }

    String name() {
        return configName;
    }
}
