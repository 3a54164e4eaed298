/**
 * Sigillum's public API: what channels call ({@link org.sigillum.api.SigningService},
 * {@link org.sigillum.api.VerificationService}) and the service-provider interfaces that format,
 * token, time-stamp, revocation and archive bundles implement. Only JDK types appear in signatures,
 * so plug-ins are free to choose their own crypto libraries.
 */
@Version("0.6.0")
package org.sigillum.api;

import org.osgi.annotation.versioning.Version;
