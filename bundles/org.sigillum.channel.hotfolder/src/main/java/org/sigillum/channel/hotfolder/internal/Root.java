package org.sigillum.channel.hotfolder.internal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import org.sigillum.api.AuditTrail;
import org.sigillum.api.ChannelStatus;
import org.sigillum.api.ProfileStatus;
import org.sigillum.api.SigningService;

/**
 * One hot-folder root at run time. A poller claims approved batches (and stable loose files) by
 * writing their manifest into the work folder; workers take documents from the active batches in
 * turn, so a small batch is never stuck behind a large one; the worker that settles a batch's last
 * document publishes it. After a crash, {@link #start()} resumes every claimed batch from its journal.
 */
final class Root {

    private static final System.Logger LOG = System.getLogger(Root.class.getName());
    private static final int MAX_QUEUED = 1000;

    private final RootSettings settings;
    private final SigningService signing;
    private final AuditTrail audit;
    private final DocumentStep step;
    private final Finisher finisher;
    private final InputTree inputs;

    private final Object lock = new Object();
    private final Object pollSignal = new Object();
    // Guarded by pollSignal.
    private boolean stopped;
    // Guarded by lock.
    private final ArrayDeque<Batch> queued = new ArrayDeque<>();
    private final List<Batch> active = new ArrayList<>();
    private int turn;
    private boolean stopping;

    /** Sources (batch folders, loose files) that a claimed batch owns until it is finished. */
    private final Set<Path> claimed = ConcurrentHashMap.newKeySet();
    /** Loose files seen but not yet stable: size, modification time and since when unchanged. */
    private final Map<Path, long[]> looseSeen = new HashMap<>();
    private final Set<String> reported = ConcurrentHashMap.newKeySet();
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicLong sequence = new AtomicLong();

    private final AtomicLong doneBatches = new AtomicLong();
    private final AtomicLong failedBatches = new AtomicLong();
    private final AtomicLong signedDocs = new AtomicLong();
    private final AtomicLong failedDocs = new AtomicLong();
    private volatile String problem = "";
    private volatile String lastError = "";
    private volatile Instant lastErrorTime;

    private FileChannel workLockFile;
    private FileLock workLock;
    private FileChannel inLockFile;
    private FileLock inLock;

    Root(RootSettings settings, SigningService signing, AuditTrail audit) {
        this.settings = settings;
        this.signing = signing;
        this.audit = audit;
        InputTree inputs = new InputTree(settings.in());
        this.step = new DocumentStep(settings, signing, inputs);
        this.finisher = new Finisher(settings, inputs);
        this.inputs = inputs;
    }

    /** Takes the folders, resumes claimed batches and starts polling and signing. */
    void start() {
        try {
            for (Path p : List.of(settings.in(), settings.out(), settings.error(), settings.work())) {
                Files.createDirectories(p);
            }
            Sharing sharing = Sharing.of(settings, settings.in());
            if (sharing != null) {
                sharing.shareIncoming(settings.in());
                sharing.shareFolder(settings.out());
                sharing.shareFolder(settings.error());
                finisher.share(sharing);
            }
            workLockFile = FileChannel.open(settings.work().resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            inLockFile = FileChannel.open(settings.in().resolve(".sigillum.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            workLock = tryLock(workLockFile);
            inLock = tryLock(inLockFile);
            if (workLock == null || inLock == null) {
                problem = "another root or server already serves " + (inLock == null ? settings.in() : settings.work());
                LOG.log(System.Logger.Level.ERROR, "hot folder " + settings.name() + ": " + problem);
                return;
            }
        } catch (java.nio.file.attribute.UserPrincipalNotFoundException e) {
            problem = "group '" + settings.group() + "' does not exist";
            LOG.log(System.Logger.Level.ERROR, "hot folder " + settings.name() + ": " + problem);
            return;
        } catch (IOException e) {
            problem = "cannot use its folders: " + e.getMessage();
            LOG.log(System.Logger.Level.ERROR, "hot folder " + settings.name() + ": " + problem);
            return;
        }
        Thread poller = Thread.ofPlatform().name("hotfolder-" + settings.name() + "-poll").daemon().unstarted(this::pollLoop);
        threads.add(poller);
        for (int i = 0; i < settings.workers(); i++) {
            threads.add(Thread.ofPlatform().name("hotfolder-" + settings.name() + "-" + i).daemon().unstarted(this::workLoop));
        }
        threads.forEach(Thread::start);
        LOG.log(System.Logger.Level.INFO, "hot folder " + settings.name() + " watches " + settings.in() + " (" + settings.workers()
                + " workers, up to " + settings.parallelBatches() + " batches at once)");
    }

    private static FileLock tryLock(FileChannel ch) throws IOException {
        try {
            return ch.tryLock();
        } catch (OverlappingFileLockException e) {
            return null;
        }
    }

    /** Lets documents in progress finish (bounded), then stops; claimed batches resume at the next start. */
    void stop() {
        synchronized (pollSignal) {
            stopped = true;
            pollSignal.notifyAll();
        }
        synchronized (lock) {
            stopping = true;
            lock.notifyAll();
        }
        long deadline = System.nanoTime() + 30_000_000_000L;
        boolean ended = true;
        for (Thread t : threads) {
            try {
                long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
                t.join(left);
                if (t.isAlive()) {
                    t.interrupt();
                    t.join(30_000);
                }
                ended &= !t.isAlive();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                ended = false;
                break;
            }
        }
        if (!ended) {
            // A thread still works on a batch: keeping the locks stops a new instance of this root
            // from working on the same batch at the same time. It shows as a problem until restart.
            LOG.log(System.Logger.Level.ERROR, "hot folder " + settings.name() + ": a worker did not stop within a minute; "
                    + "its folders stay locked until the server restarts");
            return;
        }
        synchronized (lock) {
            for (Batch b : active) {
                close(b);
            }
            for (Batch b : queued) {
                close(b);
            }
        }
        for (FileLock l : new FileLock[] { workLock, inLock }) {
            try {
                if (l != null) {
                    l.release();
                }
            } catch (IOException e) {
                // released with the channel anyway
            }
        }
        for (FileChannel c : new FileChannel[] { workLockFile, inLockFile }) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (IOException e) {
                // nothing more to do
            }
        }
    }

    private static void close(Batch b) {
        try {
            b.journal.close();
        } catch (IOException e) {
            // the journal is append-only: nothing is lost
        }
    }

    ChannelStatus status() {
        int q;
        int r;
        List<String> waits = new ArrayList<>();
        synchronized (lock) {
            q = queued.size();
            r = active.size();
            for (Batch b : active) {
                if (b.waitReason != null) {
                    waits.add("batch " + b.name() + ": " + b.waitReason);
                }
            }
        }
        return new ChannelStatus("hotfolder", settings.name(), q, r, doneBatches.get(), failedBatches.get(), signedDocs.get(),
                failedDocs.get(), problem, String.join("; ", waits), lastError, Optional.ofNullable(lastErrorTime));
    }

    // --- recovery and claiming -------------------------------------------------------------

    /** Resumes every batch claimed before a stop or crash, oldest first; half-made claims are dropped. */
    private void recover() throws IOException {
        List<Path> dirs;
        try (Stream<Path> s = Files.list(settings.work())) {
            dirs = s.filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)).sorted().toList();
        }
        for (Path dir : dirs) {
            String n = dir.getFileName().toString();
            if (n.startsWith(".")) {
                // A claim that never completed: the input is untouched and will be claimed again.
                Disk.deleteTree(dir);
                continue;
            }
            Manifest m;
            try {
                m = Manifest.readFrom(dir);
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "hot folder " + settings.name() + ": " + dir + " is unreadable, left alone: " + e.getMessage());
                error("work folder " + dir.getFileName() + " is unreadable: " + e.getMessage());
                continue;
            }
            Journal.State state = Journal.read(dir);
            Batch b = new Batch(m, dir);
            b.abort = settings.allOrNothing() && !state.failed().isEmpty();
            b.marks.putAll(state.marks());
            b.failed.putAll(state.failed());
            boolean synced = state.marks().containsKey("synced");
            int redo = 0;
            for (Map.Entry<Integer, Journal.Signed> e : state.signed().entrySet()) {
                int i = e.getKey();
                Journal.Signed s = e.getValue();
                // Before the batch was forced to disk, a journaled signature counts only if its staged files survived.
                if (synced || (Finisher.intact(b.stagedSignature(i), s.outputSha256())
                        && (!s.detached() || Finisher.intact(b.stagedInput(i), s.sha256())))) {
                    b.signed.put(i, s);
                } else {
                    redo++;
                }
            }
            for (Manifest.Entry e : m.entries()) {
                if (!b.done(e.index())) {
                    b.pending.add(e.index());
                }
            }
            claimed.add(m.source());
            sequence.set(Math.max(sequence.get(), idSequence(n)));
            synchronized (lock) {
                queued.add(b);
            }
            LOG.log(System.Logger.Level.INFO, "hot folder " + settings.name() + ": resuming batch " + m.name() + " ("
                    + b.signed.size() + " signed, " + b.failed.size() + " failed, " + b.pending.size() + " to do"
                    + (redo > 0 ? ", " + redo + " staged results lost and done again" : "") + ")");
        }
    }

    private static long idSequence(String id) {
        int dash = id.lastIndexOf('-');
        try {
            return dash < 0 ? 0 : Long.parseLong(id.substring(dash + 1));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private void pollLoop() {
        try {
            // Here rather than in start(): checking staged files of large batches must not hold up activation.
            recover();
        } catch (IOException | RuntimeException e) {
            problem = "cannot resume the batches in " + settings.work() + ": " + e.getMessage();
            LOG.log(System.Logger.Level.ERROR, "hot folder " + settings.name() + ": " + problem, e);
            return;
        }
        while (true) {
            synchronized (pollSignal) {
                if (stopped) {
                    return;
                }
            }
            try {
                checkProfile();
                poll();
            } catch (IOException e) {
                error("cannot look into " + settings.in() + ": " + DocumentStep.reason(e));
            } catch (RuntimeException | Error e) {
                LOG.log(System.Logger.Level.ERROR, "hot folder " + settings.name() + ": polling failed", e);
                error("polling failed: " + e);
            }
            // Its own monitor: the workers' notifications about every document must not wake the poller.
            synchronized (pollSignal) {
                if (stopped) {
                    return;
                }
                try {
                    pollSignal.wait(settings.poll().toMillis());
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    /** A root whose profile is missing or broken holds its batches instead of failing every document. */
    private void checkProfile() {
        if (settings.archiveOnly()) {
            return; // no profile; an archive that is down holds each document (retryable) instead
        }
        String p = "";
        Optional<ProfileStatus> ps = signing.profiles().stream().filter(s -> s.name().equals(settings.profile())).findFirst();
        if (ps.isEmpty()) {
            p = "profile '" + settings.profile() + "' is not configured";
        } else if (ps.get().problems().stream().anyMatch(s -> s.startsWith("misconfigured"))) {
            p = "profile '" + settings.profile() + "' is " + String.join("; ", ps.get().problems());
        } else if (!ps.get().tokens().containsAll(settings.tokens())) {
            p = "tokens " + settings.tokens() + " are not all among the tokens of profile '" + settings.profile() + "' " + ps.get().tokens();
        }
        if (!p.equals(problem)) {
            if (!p.isEmpty()) {
                LOG.log(System.Logger.Level.WARNING, "hot folder " + settings.name() + " holds its batches: " + p);
            }
            problem = p;
            synchronized (lock) {
                lock.notifyAll();
            }
        }
    }

    private void poll() throws IOException {
        long now = System.currentTimeMillis();
        List<Path> entries = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(settings.in())) {
            ds.forEach(entries::add);
        }
        entries.sort(null);
        looseSeen.keySet().retainAll(new java.util.HashSet<>(entries));
        // A name reported once is reported again if it comes back after it was removed.
        reported.retainAll(entries.stream().map(e -> e.getFileName().toString()).collect(java.util.stream.Collectors.toSet()));
        for (Path p : entries) {
            String n = p.getFileName().toString();
            if (n.startsWith(".") || claimed.contains(p)) {
                continue;
            }
            synchronized (lock) {
                if (queued.size() >= MAX_QUEUED) {
                    // Enough waiting work: the rest stays in in/ (and out of memory) until there is room.
                    return;
                }
            }
            BasicFileAttributes a;
            try {
                a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (IOException e) {
                continue;
            }
            if (a.isSymbolicLink()) {
                if (reported.add(n)) {
                    refusedHere(n, "is a symbolic link: links are never followed, it is left alone");
                }
            } else if (a.isDirectory()) {
                List<Manifest.Entry> docs;
                long semaphore;
                try {
                    semaphore = approvedAt(n);
                    if (semaphore < 0) {
                        continue;
                    }
                    docs = Manifest.scan(inputs, n, settings.approval());
                } catch (IOException e) {
                    // One batch swapped for a link or not readable must not stop the others from being taken.
                    if (reported.add(n)) {
                        refusedHere(n, "cannot be listed, the batch is left alone: " + DocumentStep.reason(e));
                    }
                    continue;
                }
                long newest = Math.max(semaphore, docs.stream().mapToLong(Manifest.Entry::modified).max().orElse(0));
                if (newest > now - settings.settle().toMillis()) {
                    continue;
                }
                claimOrSay(p, n, false, docs);
            } else if (a.isRegularFile() && settings.looseFiles()) {
                long[] seen = looseSeen.get(p);
                long mtime = a.lastModifiedTime().toMillis();
                if (seen == null || seen[0] != a.size() || seen[1] != mtime) {
                    looseSeen.put(p, new long[] { a.size(), mtime, now });
                } else if (now - seen[2] >= settings.stable().toMillis()) {
                    looseSeen.remove(p);
                    claimOrSay(p, n, true, List.of(new Manifest.Entry(0, n, Manifest.Kind.FILE, a.size(), mtime,
                            a.fileKey() == null ? "" : a.fileKey().toString())));
                }
            }
        }
    }

    /** The approval semaphore's time, or -1 when the batch has none (a plain file, never a link). */
    private long approvedAt(String batch) throws IOException {
        return inputs.at(List.of(batch, settings.approval()), (dir, name) -> {
            try {
                InputTree.Stat st = InputTree.stat(dir, name);
                return st.file() ? st.modified() : -1L;
            } catch (java.nio.file.NoSuchFileException e) {
                return -1L;
            }
        });
    }

    private void claimOrSay(Path source, String name, boolean loose, List<Manifest.Entry> docs) {
        try {
            claim(source, name, loose, docs);
        } catch (IOException e) {
            error("cannot take batch " + name + ": the work folder " + settings.work() + " cannot be written: " + DocumentStep.reason(e));
        }
    }

    /** The manifest written under a hidden name and renamed: a batch is claimed exactly when its folder appears. */
    private void claim(Path source, String name, boolean loose, List<Manifest.Entry> docs) throws IOException {
        String id = String.format("%d-%06d", System.currentTimeMillis(), sequence.incrementAndGet());
        Path tmp = settings.work().resolve("." + id);
        Files.createDirectories(tmp);
        Manifest m = new Manifest(id, source, name, loose, Instant.now(), docs);
        m.writeTo(tmp);
        Path dir = settings.work().resolve(id);
        Disk.rename(tmp, dir);
        Disk.forceDirectory(settings.work());
        Batch b = new Batch(m, dir);
        claimed.add(source);
        for (Manifest.Entry e : docs) {
            b.pending.add(e.index());
        }
        synchronized (lock) {
            queued.add(b);
            lock.notifyAll();
        }
        LOG.log(System.Logger.Level.INFO, "hot folder " + settings.name() + ": batch " + name + " taken, " + docs.size() + " documents");
    }

    // --- scheduling --------------------------------------------------------------------------

    /** A document to sign, or (index -1) a batch to finish. */
    private record Task(Batch batch, int index) {
    }

    private void workLoop() {
        while (true) {
            Task t = next();
            if (t == null) {
                return;
            }
            if (t.index() < 0) {
                finish(t.batch());
            } else {
                process(t.batch(), t.index());
            }
        }
    }

    /** Documents from the active batches in turn; waits while there is nothing to do or the root is held. */
    private Task next() {
        synchronized (lock) {
            while (!stopping) {
                while (active.size() < settings.parallelBatches() && !queued.isEmpty()) {
                    active.add(queued.poll());
                }
                long now = System.currentTimeMillis();
                long wait = settings.poll().toMillis();
                if (problem.isEmpty()) {
                    int n = active.size();
                    for (int k = 0; k < n; k++) {
                        int i = (turn + k) % n;
                        Batch b = active.get(i);
                        if (b.finishing) {
                            continue;
                        }
                        if (b.retryAt > now) {
                            wait = Math.min(wait, b.retryAt - now);
                            continue;
                        }
                        if ((b.pending.isEmpty() || b.abort) && b.inFlight == 0) {
                            b.finishing = true;
                            turn = i + 1;
                            return new Task(b, -1);
                        }
                        if (!b.abort && !b.pending.isEmpty()) {
                            b.inFlight++;
                            turn = i + 1;
                            return new Task(b, b.pending.poll());
                        }
                    }
                }
                try {
                    lock.wait(Math.max(1, wait));
                } catch (InterruptedException e) {
                    return null;
                }
            }
            return null;
        }
    }

    private void process(Batch b, int index) {
        Manifest.Entry e = b.manifest.entries().get(index);
        Outcome.Held held = null;
        try {
            Journal.Signed s = step.sign(b, e);
            try {
                b.journal.signed(index, s);
            } catch (IOException x) {
                throw new Outcome.Held("IO error", "the journal in " + b.dir + " cannot be written: " + x.getMessage(), x);
            }
            b.signed.put(index, s);
            signedDocs.incrementAndGet();
        } catch (Outcome.Refused r) {
            Journal.Failed f = new Journal.Failed(r.reason, r.getMessage());
            try {
                b.journal.failed(index, f);
                b.failed.put(index, f);
                failedDocs.incrementAndGet();
                if (!r.audited) {
                    // Named as the signing service names what it signs, so both read alike in the audit log.
                    audit.refused(channel(), e.rel(), r.reason, r.getMessage());
                }
                error(b.name() + "/" + e.rel() + ": " + r.reason + ": " + r.getMessage());
            } catch (IOException x) {
                held = new Outcome.Held("IO error", "the journal in " + b.dir + " cannot be written: " + x.getMessage(), x);
            }
        } catch (Outcome.Held h) {
            held = h;
        } catch (Outcome o) {
            throw new IllegalStateException(o);
        } catch (RuntimeException | Error x) {
            // A defect (or a plug-in's class going away) must not kill the worker nor leave the batch
            // counted as in flight for ever: the document is retried after a pause.
            LOG.log(System.Logger.Level.ERROR, "hot folder " + settings.name() + ": unexpected failure on " + e.rel(), x);
            held = new Outcome.Held("internal", "unexpected " + x.getClass().getSimpleName() + ": " + x.getMessage(), null);
        }
        synchronized (lock) {
            b.inFlight--;
            if (held != null) {
                b.pending.addFirst(index);
                b.backoffMillis = b.backoffMillis == 0 ? settings.retry().toMillis()
                        : Math.min(settings.retryMax().toMillis(), b.backoffMillis * 2);
                b.retryAt = System.currentTimeMillis() + b.backoffMillis;
                b.waitReason = held.reason + ": " + held.getMessage() + " (retrying every " + b.backoffMillis / 1000
                        + " s at most)";
                LOG.log(System.Logger.Level.WARNING, "hot folder " + settings.name() + " waits: batch " + b.name() + ": " + b.waitReason);
            } else {
                b.backoffMillis = 0;
                b.waitReason = null;
                if (settings.allOrNothing() && !b.failed.isEmpty()) {
                    b.abort = true;
                }
            }
            lock.notifyAll();
        }
    }

    private void finish(Batch b) {
        try {
            long signedMs = (System.nanoTime() - b.startedNanos) / 1_000_000;
            String out = finisher.finish(b);
            b.journal.close();
            // Hidden first: a crash while deleting must leave no half-deleted batch that looks claimed.
            Path gone = b.dir.resolveSibling("." + b.dir.getFileName() + "-finished");
            Disk.rename(b.dir, gone);
            Disk.forceDirectory(settings.work());
            Disk.deleteTree(gone);
            claimed.remove(b.manifest.source());
            long ms = (System.nanoTime() - b.startedNanos) / 1_000_000;
            if (out == null) {
                failedBatches.incrementAndGet();
                LOG.log(System.Logger.Level.WARNING, "hot folder " + settings.name() + ": batch " + b.name()
                        + " failed as a whole (all-or-nothing): " + b.failed.size() + " of " + b.manifest.entries().size()
                        + " documents could not be signed; all are in " + settings.error());
            } else {
                doneBatches.incrementAndGet();
                LOG.log(System.Logger.Level.INFO, "hot folder " + settings.name() + ": batch " + b.name() + " ready in "
                        + settings.out().resolve(out) + ": " + b.signed.size() + " signed, " + b.failed.size() + " failed, "
                        + ms + " ms (signing " + signedMs + " ms, " + b.timing + ")");
            }
            synchronized (lock) {
                active.remove(b);
                lock.notifyAll();
            }
        } catch (IOException | RuntimeException | Error e) {
            LOG.log(System.Logger.Level.ERROR, "hot folder " + settings.name() + ": batch " + b.name() + " cannot be finished", e);
            synchronized (lock) {
                b.finishing = false;
                b.backoffMillis = b.backoffMillis == 0 ? settings.retry().toMillis()
                        : Math.min(settings.retryMax().toMillis(), b.backoffMillis * 2);
                b.retryAt = System.currentTimeMillis() + b.backoffMillis;
                b.waitReason = "cannot be published: " + (e instanceof IOException io ? DocumentStep.reason(io) : e.toString())
                        + " (retrying every " + b.backoffMillis / 1000 + " s at most)";
                lock.notifyAll();
            }
        }
    }

    private String channel() {
        return "hotfolder:" + settings.name();
    }

    /** A refusal before a batch is taken: audited once, shown in the status. */
    private void refusedHere(String name, String message) {
        audit.refused(channel(), name, "bad input", message);
        error(name + " " + message);
    }

    private void error(String message) {
        // Names in it are shown as they are: the server log and the command line escape what they print.
        lastError = message;
        lastErrorTime = Instant.now();
        LOG.log(System.Logger.Level.WARNING, "hot folder " + settings.name() + ": " + message);
    }
}
