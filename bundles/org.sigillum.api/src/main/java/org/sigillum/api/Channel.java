package org.sigillum.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * An input channel instance (a hot-folder root, a mailbox) as status pages, the command line and
 * metrics see it. Channels register one service per instance.
 */
@ConsumerType
public interface Channel {

    /** A snapshot of this instance's state; cheap, never blocks on work in progress. */
    ChannelStatus status();
}
