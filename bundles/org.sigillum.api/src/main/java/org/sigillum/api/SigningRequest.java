package org.sigillum.api;

import java.util.Objects;

/**
 * What to sign with: a profile name, optional overrides, the channel that asks (for the audit
 * log) and, for an individual token, the PIN for this request.
 */
public record SigningRequest(String profile, SigningOverrides overrides, String channel, Pin pin) {

    public SigningRequest {
        Objects.requireNonNull(profile, "profile");
        overrides = overrides == null ? SigningOverrides.none() : overrides;
        channel = channel == null ? "java" : channel;
    }

    public static SigningRequest of(String profile, String channel) {
        return new SigningRequest(profile, SigningOverrides.none(), channel, null);
    }

    public SigningRequest with(SigningOverrides value) {
        return new SigningRequest(profile, value, channel, pin);
    }

    public SigningRequest withPin(Pin value) {
        return new SigningRequest(profile, overrides, channel, value);
    }
}
