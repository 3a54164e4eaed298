package org.sigillum.channel.hotfolder.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "Sigillum hot-folder root",
        description = "A monitored folder: batches approved in 'in' are signed into 'out'; what cannot be signed goes to 'error'.")
public @interface RootConfig {

    @AttributeDefinition(description = "The root's name; folders default to hotfolder/in|out|error/<name> under the runtime home.")
    String name();

    @AttributeDefinition(required = false, description = "The signing profile; none for an archive-only root (tokens = none).")
    String profile();

    @AttributeDefinition(required = false, description = "Incoming folder (relative to the runtime home or absolute). Default hotfolder/in/<name>.")
    String in() default "";

    @AttributeDefinition(required = false, description = "Outgoing folder. Default hotfolder/out/<name>.")
    String out() default "";

    @AttributeDefinition(required = false, description = "Folder for what cannot be signed. Default hotfolder/error/<name>.")
    String error() default "";

    @AttributeDefinition(required = false, description = "Where processed input batches go; empty: they are deleted.")
    String done() default "";

    @AttributeDefinition(required = false, description = "The root's journal and staging folder; best on the same file system as 'out'. Default hotfolder/work/<name>.")
    String work() default "";

    @AttributeDefinition(required = false, description = "A group that shares this root: its members may write batches into 'in' "
            + "and read 'out' and 'error' (folders and published files get the group and group access). Empty: the root's "
            + "folders are private to the server's account, like everything else it creates.")
    String group() default "";

    @AttributeDefinition(required = false, description = "Tokens that may sign for this root, a subset of the profile's (the profile must allow the 'token' override). Empty: the profile's.")
    String[] tokens() default {};

    @AttributeDefinition(required = false, description = "detached or embedded; empty: as the profile says (the profile must allow the 'packaging' override to differ).")
    String packaging() default "";

    @AttributeDefinition(required = false, description = "Extension of detached signature files, e.g. .p7s; empty: the format's own.")
    String signatureExtension() default "";

    @AttributeDefinition(description = "The approval semaphore's file name inside a batch folder.")
    String approval() default "APPROVED";

    @AttributeDefinition(description = "The semaphore written last into a finished output batch (a JSON summary).")
    String ready() default "READY";

    @AttributeDefinition(description = "The semaphore of a batch that failed as a whole (all-or-nothing).")
    String failed() default "FAILED";

    @AttributeDefinition(description = "partial (the rest of a batch proceeds) or all-or-nothing.")
    String failurePolicy() default "partial";

    @AttributeDefinition(description = "Whether files placed directly in 'in' are signed, each as a one-document batch.")
    boolean looseFiles() default false;

    @AttributeDefinition(description = "How long a loose file's size and modification time must stay unchanged before it is taken (seconds).")
    int stableSeconds() default 5;

    @AttributeDefinition(description = "How long the newest file of an approved batch must be unchanged before the batch is taken (milliseconds).")
    int settleMillis() default 1000;

    @AttributeDefinition(description = "Whether empty (0-byte) files are signed; by default they go to 'error' as most likely broken.")
    boolean acceptEmptyFiles() default false;

    @AttributeDefinition(description = "How many batches are worked on at once; documents are taken from them in turn.")
    int parallelBatches() default 4;

    @AttributeDefinition(description = "Signing threads for this root; 0: one per processor.")
    int workers() default 0;

    @AttributeDefinition(description = "How often 'in' is looked at (milliseconds).")
    int pollMillis() default 500;

    @AttributeDefinition(description = "First wait after a retryable failure (seconds); it doubles up to retryMaxSeconds.")
    int retrySeconds() default 5;

    @AttributeDefinition(description = "Longest wait between retries (seconds).")
    int retryMaxSeconds() default 300;
}
