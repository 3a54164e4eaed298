package org.sigillum.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The audit log, for what a channel refuses on its own before a request reaches
 * {@link SigningService} (which audits everything it is asked): a link or a pipe in a hot folder, a
 * file that changed after approval, an oversized or malformed request. Every refusal becomes one
 * record with its reason, so that the audit log — not a READY file or a server log that the
 * consumer may delete — shows every outcome.
 */
@ProviderType
public interface AuditTrail {

    /**
     * Records one refusal. Never throws: a refusal has already protected what it had to; a log
     * that cannot be written is reported in the server log.
     *
     * @param channel who was refused, as in signing records ({@code hotfolder:ROOT}, {@code cli}, {@code tsa})
     * @param subject what was refused: a document's name or the request's kind
     * @param reason a short reason code, as in {@link Reason#label()} where one fits
     * @param message the reason as a person reads it
     */
    void refused(String channel, String subject, String reason, String message);
}
