package org.sigillum.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.annotation.Annotation;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.sigillum.api.DigestAlgorithm;
import org.sigillum.api.Packaging;
import org.sigillum.api.Padding;
import org.sigillum.api.Reason;
import org.sigillum.api.SignatureLevel;
import org.sigillum.api.SigningException;
import org.sigillum.api.SigningOverrides;

class ProfileTest {

    private static ProfileConfig config(String tokens, String allowed) {
        return new ProfileConfig() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return ProfileConfig.class;
            }

            @Override
            public String name() {
                return "p";
            }

            @Override
            public String format() {
                return "CAdES";
            }

            @Override
            public String level() {
                return "B";
            }

            @Override
            public String[] tokens() {
                return new String[] { tokens };
            }

            @Override
            public String digest() {
                return "SHA-256";
            }

            @Override
            public String padding() {
                return "PKCS1";
            }

            @Override
            public String packaging() {
                return "detached";
            }

            @Override
            public String[] allowedOverrides() {
                return new String[] { allowed };
            }

            @Override
            public String trustAnchors() {
                return "pki";
            }

            @Override
            public String[] tsas() {
                return new String[] { "tsa-1, tsa-2" };
            }
        };
    }

    @Test
    void commaSeparatedListsFromCfgFilesAreSplit() {
        Profile p = Profile.of(config("card-1, card-2", "digest,padding"), Map.of("option.page", "last", "other", "x"));
        assertEquals(List.of("card-1", "card-2"), p.tokens());
        assertEquals("cades", p.format());
        assertEquals(Map.of("page", "last"), p.options());
        assertEquals(List.of("tsa-1", "tsa-2"), p.tsas());
    }

    @Test
    void allowedOverridesApplyAndOthersAreRefusedClearly() throws SigningException {
        Profile p = Profile.of(config("card-1,card-2", "digest,padding,token"), Map.of());
        Profile q = p.apply(SigningOverrides.none().withDigest(DigestAlgorithm.SHA512).withPadding(Padding.PSS).withToken("card-2"));
        assertEquals(DigestAlgorithm.SHA512, q.digest());
        assertEquals(Padding.PSS, q.padding());
        assertEquals(List.of("card-2"), q.tokens());

        SigningException e = assertThrows(SigningException.class,
                () -> p.apply(SigningOverrides.none().withLevel(SignatureLevel.B_T)));
        assertEquals(Reason.BAD_REQUEST, e.reason());
        assertTrue(e.getMessage().contains("level"), e.getMessage());

        e = assertThrows(SigningException.class, () -> p.apply(SigningOverrides.none().withToken("card-9")));
        assertEquals(Reason.BAD_REQUEST, e.reason());

        // Asking for what the profile already says is not an override.
        assertEquals(Packaging.DETACHED, p.apply(SigningOverrides.none().withPackaging(Packaging.DETACHED)).packaging());
    }

    @Test
    void aSubsetOfThePoolNarrowsTokensAndAnOutsiderIsRefused() throws SigningException {
        Profile p = Profile.of(config("card-1,card-2,card-3", "token"), Map.of());
        assertEquals(List.of("card-3", "card-1"), p.apply(SigningOverrides.none().withTokens(List.of("card-3", "card-1"))).tokens());
        SigningException e = assertThrows(SigningException.class,
                () -> p.apply(SigningOverrides.none().withTokens(List.of("card-1", "card-9"))));
        assertTrue(e.getMessage().contains("card-9"), e.getMessage());
        Profile fixed = Profile.of(config("card-1,card-2", "digest"), Map.of());
        assertEquals(Reason.BAD_REQUEST, assertThrows(SigningException.class,
                () -> fixed.apply(SigningOverrides.none().withTokens(List.of("card-1")))).reason());
        // The whole pool, as configured, is no override at all.
        assertEquals(List.of("card-1", "card-2"), fixed.apply(SigningOverrides.none().withTokens(List.of("card-1", "card-2"))).tokens());
    }

    @Test
    void requestOptionsReplaceTheProfilesOnlyWhenAllowedAndNeverNameAFile() throws SigningException {
        Map<String, Object> props = Map.of("option.reason", "Archiv", "option.stamp.image", "pki/logo.png");
        Profile p = Profile.of(config("card-1", "options"), props);
        Profile q = p.apply(SigningOverrides.none().withOptions(Map.of("reason", "Freigabe", "stamp.page", "last")));
        assertEquals(Map.of("reason", "Freigabe", "stamp.page", "last", "stamp.image", "pki/logo.png"), q.options());
        SigningException file = assertThrows(SigningException.class,
                () -> p.apply(SigningOverrides.none().withOptions(Map.of("stamp.image", "/etc/shadow"))));
        assertEquals(Reason.BAD_REQUEST, file.reason());
        assertTrue(file.getMessage().contains("names a file"), file.getMessage());
        Profile closed = Profile.of(config("card-1", "digest"), props);
        SigningException refused = assertThrows(SigningException.class,
                () -> closed.apply(SigningOverrides.none().withOptions(Map.of("reason", "x"))));
        assertTrue(refused.getMessage().contains("does not allow the request to set options"), refused.getMessage());
        assertEquals(Map.of("reason", "Archiv", "stamp.image", "pki/logo.png"), closed.apply(SigningOverrides.none()).options());
    }

    @Test
    void unknownOverrideNameIsAConfigurationError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Profile.of(config("t", "digest,colour"), Map.of()));
        assertTrue(e.getMessage().contains("colour"));
    }
}
