package org.sigillum.archive.internal;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.bouncycastle.asn1.tsp.ArchiveTimeStampChain;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;
import org.sigillum.api.Archive;
import org.sigillum.api.ArchiveEntry;
import org.sigillum.api.ArchiveProof;
import org.sigillum.api.ArchiveReceipt;
import org.sigillum.api.ArchiveRenewal;
import org.sigillum.api.ArchiveSeal;
import org.sigillum.api.Content;
import org.sigillum.api.DigestAlgorithm;
import org.sigillum.api.Reason;
import org.sigillum.api.SigningException;
import org.sigillum.api.TimeStamp;
import org.sigillum.api.TimeStampSource;

/**
 * The archive: entries go into the open tree through one writer thread that commits them in groups
 * (a receipt is returned only after its group's commit); a seal closes the open tree, builds it,
 * stamps its root once and records the seal. Leaf 0 of every tree is the link: the hash of the
 * previous tree's time-stamp token (a fixed value for the first tree), so each seal also commits
 * to the one before and a removed or edited tree breaks the chain.
 */
@Component(service = Archive.class, configurationPid = ArchiveComponent.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = ArchiveConfig.class)
public class ArchiveComponent implements Archive {
    static final String PID = "org.sigillum.archive";
    private static final System.Logger LOG = System.getLogger(ArchiveComponent.class.getName());
    /** The link of the first tree: no seal precedes it. */
    static final byte[] GENESIS = "Sigillum archive: the first tree".getBytes(StandardCharsets.US_ASCII);
    private static final int GROUP_COMMIT = 2_000;

    private final Path directory;
    private final Verifier verifier;
    /** The digest of new entries: the configured one until a hash-tree renewal records a newer one. */
    private volatile DigestAlgorithm digest;
    private final DocumentStore documents;
    private final List<String> tsas;
    private final Store store;
    private final Map<String, TimeStampSource> authorities = new ConcurrentHashMap<>();
    private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final Thread writer;
    private final ScheduledExecutorService sealer;
    private final Duration retryFirst;
    private final Object sealing = new Object();
    /** Recently used trees for evidence export and renewal (a renewal touches every chain of an entry: one tree per renewal). */
    private final Map<Long, HashTree> trees = new LinkedHashMap<>(4, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, HashTree> eldest) {
            return size() > 4;
        }
    };
    private volatile boolean stopping;

    /**
     * An entry waiting for the writer (with {@code renews}, the entry it renews, or 0), or
     * (entry == null) a request to close the open tree.
     */
    private record Pending(ArchiveEntry entry, long renews, int priorStamps, List<Store.KeptObject> kept,
            CompletableFuture<ArchiveReceipt> done, CompletableFuture<Long> closed) {
    }

    @Activate
    public ArchiveComponent(BundleContext context, ArchiveConfig config) throws SQLException, IOException {
        this(base(context).resolve(config.directory()), base(context).resolve("pki"), DigestAlgorithm.parse(config.digest()),
                List.of(config.tsas()), Duration.ofSeconds(Math.max(1, config.retrySeconds())),
                config.keepDocuments() ? base(context).resolve(config.directory()).resolve(config.documents()) : null);
        scheduleNext(config, Duration.ZERO);
    }

    private static Path base(BundleContext context) {
        String home = context.getProperty("sigillum.home");
        return Path.of(home == null ? "." : home);
    }

    /** Without a schedule: seals happen only when asked (tests, benchmarks). */
    ArchiveComponent(Path directory, Path trustAnchors, DigestAlgorithm digest, List<String> tsas, Duration retry, Path documents)
            throws SQLException, IOException {
        this.directory = directory.toAbsolutePath().normalize();
        this.verifier = new Verifier(trustAnchors);
        this.tsas = tsas;
        this.retryFirst = retry;
        this.documents = documents == null ? null : new DocumentStore(documents);
        Files.createDirectories(this.directory.resolve("trees"));
        this.store = new Store(this.directory.resolve("archive"));
        String renewedTo = store.setting("digest");
        this.digest = renewedTo == null ? digest : DigestAlgorithm.parse(renewedTo);
        if (renewedTo != null && this.digest != digest) {
            // A renewal is a decision about the evidence already held; the configuration file may be older.
            LOG.log(System.Logger.Level.INFO, "archive digest is " + renewedTo + " since a hash-tree renewal (configured: " + digest + ")");
        }
        Store.Tree open = store.openTree(this.digest.jcaName());
        if (!open.digest().equals(this.digest.jcaName())) {
            // The digest changed while the server was down (the configuration, or a renewal cut
            // short): the open tree takes no more entries of its digest.
            long entries = store.next(open.id())[1] - 1;
            if (entries == 0) {
                store.redigest(open.id(), this.digest.jcaName());
            } else {
                store.close(open.id(), entries, this.digest.jcaName());
                LOG.log(System.Logger.Level.INFO, "archive tree " + open.id() + " (" + open.digest() + ") closed: new entries use "
                        + this.digest.jcaName() + "; it is sealed with the next seal");
            }
        }
        this.writer = new Thread(this::write, "sigillum-archive-writer");
        writer.setDaemon(true);
        writer.start();
        this.sealer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sigillum-archive-seal");
            t.setDaemon(true);
            return t;
        });
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void addTimeStampSource(TimeStampSource source, Map<String, Object> props) {
        authorities.put(String.valueOf(props.getOrDefault("name", props.get("service.pid"))), source);
    }

    void removeTimeStampSource(TimeStampSource source, Map<String, Object> props) {
        authorities.remove(String.valueOf(props.getOrDefault("name", props.get("service.pid"))), source);
    }

    void addAuthority(String name, TimeStampSource source) {
        authorities.put(name, source);
    }

    /** Bytes on disk: the database and the sealed trees. */
    long bytesOnDisk() throws IOException {
        try (var s = Files.walk(directory)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    @Deactivate
    void stop() throws SQLException, InterruptedException {
        stopping = true;
        sealer.shutdownNow();
        writer.interrupt();
        writer.join(5_000);
        sealer.awaitTermination(5, TimeUnit.SECONDS);
        store.close();
        if (documents != null) {
            try {
                documents.close();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "archive document store: " + e.getMessage());
            }
        }
    }

    @Override
    public DigestAlgorithm digest() {
        return digest;
    }

    // --- entry -------------------------------------------------------------------------------

    @Override
    public ArchiveReceipt enter(ArchiveEntry entry) throws SigningException {
        checkDigest(entry);
        CompletableFuture<ArchiveReceipt> done = new CompletableFuture<>();
        queue.add(new Pending(entry, 0, 0, keep(entry), done, null));
        try {
            return done.get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new SigningException(Reason.ARCHIVE_UNAVAILABLE, "the archive cannot record " + entry.documentName() + ": "
                    + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SigningException(Reason.ARCHIVE_UNAVAILABLE, "interrupted while the archive recorded " + entry.documentName(), e);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new SigningException(Reason.ARCHIVE_UNAVAILABLE, "the archive did not record " + entry.documentName() + " within 60 s");
        }
    }

    @Override
    public List<ArchiveReceipt> enterAll(List<ArchiveEntry> entries) throws SigningException {
        List<CompletableFuture<ArchiveReceipt>> futures = new ArrayList<>(entries.size());
        List<Pending> pending = new ArrayList<>(entries.size());
        for (ArchiveEntry e : entries) {
            checkDigest(e);
            CompletableFuture<ArchiveReceipt> f = new CompletableFuture<>();
            futures.add(f);
            pending.add(new Pending(e, 0, 0, keep(e), f, null));
        }
        return await(entries, futures, pending);
    }

    private List<ArchiveReceipt> await(List<ArchiveEntry> entries, List<CompletableFuture<ArchiveReceipt>> futures, List<Pending> pending)
            throws SigningException {
        queue.addAll(pending);
        List<ArchiveReceipt> out = new ArrayList<>(entries.size());
        for (int i = 0; i < futures.size(); i++) {
            try {
                out.add(futures.get(i).get(120, TimeUnit.SECONDS));
            } catch (ExecutionException e) {
                throw new SigningException(Reason.ARCHIVE_UNAVAILABLE, "the archive cannot record " + entries.get(i).documentName() + ": "
                        + e.getCause().getMessage(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SigningException(Reason.ARCHIVE_UNAVAILABLE, "interrupted while the archive recorded a batch", e);
            } catch (java.util.concurrent.TimeoutException e) {
                throw new SigningException(Reason.ARCHIVE_UNAVAILABLE, "the archive did not record a batch within 120 s");
            }
        }
        return out;
    }

    private void checkDigest(ArchiveEntry entry) throws SigningException {
        if (entry.digest() != digest) {
            // Only a hash-tree renewal changes the digest while running: the caller hashes again.
            throw new SigningException(Reason.ARCHIVE_UNAVAILABLE, "the archive takes " + digest + " hashes now, not " + entry.digest());
        }
    }

    /**
     * Writes the document and signature into the document store for a later hash-tree renewal and
     * forces them; the writer commits their index rows with the entry.
     */
    private List<Store.KeptObject> keep(ArchiveEntry entry) throws SigningException {
        if (documents == null || entry.document() == null) {
            return List.of();
        }
        try {
            String d = entry.digest().jcaName();
            List<Store.KeptObject> kept = new ArrayList<>(2);
            kept.add(new Store.KeptObject(d, entry.documentHash(), documents.put(d, entry.documentHash(), entry.document())));
            if (entry.signature() != null) {
                kept.add(new Store.KeptObject(d, entry.signatureHash(), documents.put(d, entry.signatureHash(), entry.signature())));
            }
            // The kept bytes are durable before the entry that points at them can be.
            documents.force(kept.stream().map(Store.KeptObject::at).toArray(DocumentStore.Location[]::new));
            return kept;
        } catch (IOException e) {
            throw new SigningException(Reason.ARCHIVE_UNAVAILABLE, "the archive cannot keep " + entry.documentName() + ": " + e.getMessage(), e);
        }
    }

    /** The writer's next entry id and leaf in the open tree: {tree, id, leaf}; only the writer uses it. */
    private long[] cursor;

    /** The writer: takes what is queued, gives it leaves in the open tree and commits it at once. */
    private void write() {
        List<Pending> batch = new ArrayList<>();
        while (!stopping) {
            try {
                batch.clear();
                batch.add(queue.take());
                queue.drainTo(batch, GROUP_COMMIT - 1);
                Store.Tree open = store.openTree(digest.jcaName());
                if (cursor == null || cursor[0] != open.id()) {
                    // Read once per open tree: asking the database for MAX(leaf) at every group
                    // commit scanned the tree's rows and made entry slower as the day went on.
                    long[] next = store.next(open.id());
                    cursor = new long[] { open.id(), next[0], next[1] };
                }
                long id = cursor[1];
                int leaf = (int) cursor[2];
                List<Store.Entry> rows = new ArrayList<>();
                List<Store.KeptObject> kept = new ArrayList<>();
                List<CompletableFuture<ArchiveReceipt>> receipts = new ArrayList<>();
                List<ArchiveReceipt> made = new ArrayList<>();
                CompletableFuture<Long> closeRequest = null;
                int handled = 0;
                for (Pending p : batch) {
                    handled++;
                    if (p.entry() == null) {
                        closeRequest = p.closed(); // entries after it in this batch go into the next tree
                        break;
                    }
                    if (!p.entry().digest().jcaName().equals(open.digest())) {
                        p.done().completeExceptionally(new IOException("the open tree takes " + open.digest() + " hashes; this entry has "
                                + p.entry().digest().jcaName()));
                        continue;
                    }
                    rows.add(new Store.Entry(id, open.id(), leaf, p.entry().documentHash(), p.entry().signatureHash(), p.renews() != 0,
                            p.renews(), p.priorStamps()));
                    kept.addAll(p.kept());
                    receipts.add(p.done());
                    made.add(new ArchiveReceipt(Long.toString(id), Long.toString(open.id()), leaf));
                    id++;
                    leaf++;
                }
                try {
                    if (!rows.isEmpty()) {
                        store.insert(rows, kept);
                        cursor[1] = id;
                        cursor[2] = leaf;
                    }
                    for (int i = 0; i < receipts.size(); i++) {
                        receipts.get(i).complete(made.get(i));
                    }
                } catch (SQLException e) {
                    cursor = null; // the database says what was committed, not our count
                    receipts.forEach(f -> f.completeExceptionally(e));
                }
                if (closeRequest != null) {
                    try {
                        // What is committed, not our count: a failed insert above did not add its leaves.
                        long entries = store.next(open.id())[1] - 1;
                        if (entries > 0) {
                            store.close(open.id(), entries, digest.jcaName());
                            closeRequest.complete(open.id());
                        } else {
                            if (!open.digest().equals(digest.jcaName())) {
                                store.redigest(open.id(), digest.jcaName());
                            }
                            closeRequest.complete(-1L);
                        }
                    } catch (SQLException e) {
                        closeRequest.completeExceptionally(e);
                    }
                }
                // What followed a close request goes back into the queue, for the new tree.
                for (int i = handled; i < batch.size(); i++) {
                    queue.add(batch.get(i));
                }
            } catch (InterruptedException e) {
                return;
            } catch (SQLException | RuntimeException e) {
                cursor = null;
                LOG.log(System.Logger.Level.ERROR, "archive writer: " + e.getMessage(), e);
                batch.forEach(p -> {
                    if (p.done() != null) {
                        p.done().completeExceptionally(e);
                    }
                    if (p.closed() != null) {
                        p.closed().completeExceptionally(e);
                    }
                });
            }
        }
    }

    // --- sealing -----------------------------------------------------------------------------

    private void scheduleNext(ArchiveConfig config, Duration retry) {
        if (stopping) {
            return;
        }
        Duration every;
        try {
            every = Duration.parse(config.sealEvery());
        } catch (RuntimeException e) {
            every = Duration.ofDays(1);
        }
        long delayMillis;
        if (!retry.isZero()) {
            delayMillis = retry.toMillis();
        } else if (every.equals(Duration.ofDays(1))) {
            ZonedDateTime now = ZonedDateTime.now();
            ZonedDateTime at = now.with(LocalTime.parse(config.sealAt()));
            if (!at.isAfter(now)) {
                at = at.plusDays(1);
            }
            delayMillis = Duration.between(now, at).toMillis();
        } else {
            delayMillis = every.toMillis();
        }
        Duration next = retry.isZero() ? retryFirst : retry.multipliedBy(2).compareTo(Duration.ofHours(1)) > 0 ? Duration.ofHours(1) : retry.multipliedBy(2);
        sealer.schedule(() -> {
            try {
                seal();
                scheduleNext(config, Duration.ZERO);
            } catch (SigningException | RuntimeException e) {
                // Nothing is lost: the tree stays closed and waits; entries go into the next one.
                LOG.log(System.Logger.Level.WARNING, "archive seal failed, trying again in " + next.toSeconds() + " s: " + e.getMessage());
                scheduleNext(config, next);
            }
        }, delayMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    public List<ArchiveSeal> seal() throws SigningException {
        synchronized (sealing) {
            CompletableFuture<Long> closed = new CompletableFuture<>();
            queue.add(new Pending(null, 0, 0, List.of(), null, closed));
            try {
                closed.get(60, TimeUnit.SECONDS);
            } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
                throw new SigningException(Reason.ARCHIVE_UNAVAILABLE, "the open tree cannot be closed: " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SigningException(Reason.ARCHIVE_UNAVAILABLE, "interrupted", e);
            }
            List<ArchiveSeal> sealed = new ArrayList<>();
            try {
                for (Store.Tree t : store.trees("CLOSED")) {
                    sealed.add(sealTree(t));
                }
            } catch (SQLException | IOException | NoSuchAlgorithmException e) {
                throw new SigningException(Reason.ARCHIVE_UNAVAILABLE, "sealing failed: " + e.getMessage(), e);
            }
            return sealed;
        }
    }

    private ArchiveSeal sealTree(Store.Tree t) throws SQLException, IOException, NoSuchAlgorithmException, SigningException {
        MessageDigest md = MessageDigest.getInstance(t.digest());
        byte[] link = link(t.id(), md);
        long t0 = System.nanoTime();
        List<Store.Entry> entries = store.entries(t.id());
        long t1 = System.nanoTime();
        HashTree tree = build(t, entries, link, md);
        byte[] root = tree.root();
        long t2 = System.nanoTime();
        TimeStamp ts = stamp(DigestAlgorithm.parse(t.digest()), root);
        long t3 = System.nanoTime();
        writeTree(t.id(), tree);
        DocumentIndex.write(directory.resolve("trees").resolve(t.id() + ".index"), entries.stream().filter(e -> !e.renewal()).toList());
        long t4 = System.nanoTime();
        LOG.log(System.Logger.Level.INFO, String.format("archive tree %d: read %d ms, build %d ms, time stamp %d ms, files %d ms",
                t.id(), (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, (t3 - t2) / 1_000_000, (t4 - t3) / 1_000_000));
        store.sealed(t.id(), link, root, new Store.Stamp(t.id(), 0, ts.encoded(), ts.genTime(), ts.authority()));
        synchronized (trees) {
            trees.put(t.id(), upper(tree));
        }
        LOG.log(System.Logger.Level.INFO, "archive tree " + t.id() + " sealed: " + (tree.leaves() - 1) + " entries, time stamp of "
                + ts.genTime() + " from " + ts.authority());
        return new ArchiveSeal(Long.toString(t.id()), tree.leaves() - 1, root, ts.genTime(), ts.authority());
    }

    /** Leaf 0: the hash of the previous tree's first time-stamp token, or of the genesis text. */
    private byte[] link(long tree, MessageDigest md) throws SQLException, SigningException {
        if (tree == 1) {
            return md.digest(GENESIS);
        }
        List<Store.Stamp> previous = store.stamps(tree - 1);
        if (previous.isEmpty()) {
            throw new SigningException(Reason.ARCHIVE_UNAVAILABLE, "tree " + (tree - 1) + " is not sealed yet; trees are sealed in order");
        }
        return md.digest(previous.get(0).stamp());
    }

    private HashTree build(Store.Tree t, byte[] link, MessageDigest md) throws SQLException, NoSuchAlgorithmException {
        return build(t, store.entries(t.id()), link, md);
    }

    private HashTree build(Store.Tree t, List<Store.Entry> entries, byte[] link, MessageDigest md) throws NoSuchAlgorithmException {
        int size = md.getDigestLength();
        byte[] leaves = new byte[(entries.size() + 1) * size];
        System.arraycopy(link, 0, leaves, 0, size);
        int expected = 1;
        for (Store.Entry e : entries) {
            if (e.leaf() != expected++) {
                throw new IllegalStateException("tree " + t.id() + " misses leaf " + (expected - 1));
            }
            byte[] leaf = e.signatureHash() == null ? HashTree.leaf(md, e.documentHash())
                    : HashTree.leaf(md, e.documentHash(), e.signatureHash());
            System.arraycopy(leaf, 0, leaves, e.leaf() * size, size);
        }
        return HashTree.build(t.digest(), leaves);
    }

    private TimeStamp stamp(DigestAlgorithm d, byte[] root) throws SigningException {
        SigningException last = null;
        for (String name : tsas) {
            TimeStampSource source = authorities.get(name);
            if (source == null) {
                last = new SigningException(Reason.TSA_UNAVAILABLE, "time-stamp authority '" + name + "' is not installed");
                continue;
            }
            try {
                return source.timeStamp(d, root);
            } catch (SigningException e) {
                last = e;
            }
        }
        throw last != null ? last : new SigningException(Reason.TSA_UNAVAILABLE, "no time-stamp authority is configured for the archive");
    }

    /**
     * RFC 4998 §5.2: one new time stamp per sealed tree over the stamps its first chain has so far,
     * before an authority's certificate expires or its algorithms weaken. Evidence records
     * exported afterwards carry the whole chain; older records stay valid as they are.
     */
    @Override
    public List<ArchiveSeal> renewTimeStamps() throws SigningException {
        synchronized (sealing) {
            List<ArchiveSeal> renewed = new ArrayList<>();
            try {
                // Not the RENEWED trees: their entries' newest chain is in a later tree, which is renewed instead.
                for (Store.Tree t : store.trees("SEALED")) {
                    List<Store.Stamp> chain = store.stamps(t.id());
                    byte[] imprint = Evidence.renewalImprint(t.digest(), chain.stream().map(Store.Stamp::stamp).toList());
                    TimeStamp ts = stamp(DigestAlgorithm.parse(t.digest()), imprint);
                    store.addStamp(new Store.Stamp(t.id(), chain.size(), ts.encoded(), ts.genTime(), ts.authority()));
                    renewed.add(new ArchiveSeal(Long.toString(t.id()), t.entries(), imprint, ts.genTime(), ts.authority()));
                }
            } catch (SQLException | IOException e) {
                throw new SigningException(Reason.ARCHIVE_UNAVAILABLE, "renewal failed: " + e.getMessage(), e);
            }
            return renewed;
        }
    }

    // --- trees on disk -----------------------------------------------------------------------

    private Path treeFile(long id) {
        return directory.resolve("trees").resolve(id + ".tree");
    }

    /** The tree above its leaves: level 1 upwards (the leaves are the database's entries). */
    private static HashTree upper(HashTree tree) {
        byte[][] levels = tree.levels();
        return HashTree.of(tree.digest(), levels[levels.length - 1].length, Arrays.copyOfRange(levels, 1, levels.length));
    }

    /**
     * Every level of a sealed tree above the leaves, so that evidence for any entry is a few reads,
     * not a rebuild; the leaves themselves are recomputed from the entries when needed.
     */
    private void writeTree(long id, HashTree tree) throws IOException {
        Path tmp = treeFile(id).resolveSibling(id + ".tree.tmp");
        byte[][] levels = tree.levels();
        byte[] name = tree.digest().getBytes(StandardCharsets.US_ASCII);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            java.nio.ByteBuffer header = java.nio.ByteBuffer.allocate(8 + name.length);
            header.putInt(name.length).put(name).putInt(levels.length - 1).flip();
            writeFully(ch, header);
            for (int l = 1; l < levels.length; l++) {
                writeFully(ch, java.nio.ByteBuffer.allocate(4).putInt(levels[l].length).flip());
                writeFully(ch, java.nio.ByteBuffer.wrap(levels[l]));
            }
            ch.force(true);
        }
        Files.move(tmp, treeFile(id), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static void writeFully(FileChannel ch, java.nio.ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    private HashTree readTree(long id) throws IOException, NoSuchAlgorithmException {
        synchronized (trees) {
            HashTree cached = trees.get(id);
            if (cached != null) {
                return cached;
            }
        }
        try (InputStream i = Files.newInputStream(treeFile(id)); DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(i, 1 << 16))) {
            byte[] name = new byte[in.readInt()];
            in.readFully(name);
            String d = new String(name, StandardCharsets.US_ASCII);
            byte[][] levels = new byte[in.readInt()][];
            for (int l = 0; l < levels.length; l++) {
                levels[l] = new byte[in.readInt()];
                in.readFully(levels[l]);
            }
            HashTree t = HashTree.of(d, MessageDigest.getInstance(d).getDigestLength(), levels);
            synchronized (trees) {
                trees.put(id, t);
            }
            return t;
        }
    }

    // --- evidence ----------------------------------------------------------------------------

    @Override
    public byte[] evidence(String receiptId) throws SigningException {
        try {
            Store.Entry e = store.entry(Long.parseLong(receiptId.trim()));
            if (e == null) {
                throw new SigningException(Reason.BAD_REQUEST, "no archive entry " + receiptId);
            }
            if (e.renewal()) {
                throw new SigningException(Reason.BAD_REQUEST, "entry " + receiptId + " is the hash-tree renewal of entry "
                        + store.original(e.id()) + "; ask for that entry's evidence, which carries this chain too");
            }
            Store.Tree t = store.tree(e.tree());
            if (!t.sealed()) {
                throw new SigningException(Reason.ARCHIVE_UNAVAILABLE, "entry " + receiptId + " is in tree " + t.id()
                        + ", which is not sealed yet (" + t.state().toLowerCase() + "); seal it with ./sigillum archive seal");
            }
            List<String> digests = new ArrayList<>();
            List<ArchiveTimeStampChain> chains = chains(e, digests);
            return Evidence.record(digests, chains);
        } catch (NumberFormatException e) {
            throw new SigningException(Reason.BAD_REQUEST, "'" + receiptId + "' is not an archive receipt id");
        } catch (SQLException | IOException | NoSuchAlgorithmException e) {
            throw new SigningException(Reason.ARCHIVE_UNAVAILABLE, "evidence for " + receiptId + " cannot be built: " + e.getMessage(), e);
        }
    }

    /**
     * The archive-time-stamp chains of an original entry, oldest first: its own tree's, then one for
     * each hash-tree renewal whose tree is sealed (a renewal still waiting for its seal is left out,
     * so the record is valid as it stands). A chain followed by a renewal ends with the stamps it had
     * when the renewal hashed it: its tree may have had time-stamp renewals since (for the entries
     * it still holds that could not be renewed), which are not part of this entry's record.
     */
    private List<ArchiveTimeStampChain> chains(Store.Entry original, List<String> digests) throws SQLException, IOException, NoSuchAlgorithmException {
        List<Store.Entry> locations = new ArrayList<>(List.of(original));
        List<Integer> cuts = new ArrayList<>();
        for (Store.Renewal r : store.renewals(original.id())) {
            Store.Entry re = store.entry(r.id());
            Store.Tree t = store.tree(re.tree());
            if (!t.sealed()) {
                break;
            }
            locations.add(re);
            cuts.add(r.priorStamps());
        }
        List<ArchiveTimeStampChain> chains = new ArrayList<>();
        for (int i = 0; i < locations.size(); i++) {
            chains.add(chain(locations.get(i), digests, i < cuts.size() ? cuts.get(i) : Integer.MAX_VALUE));
        }
        return chains;
    }

    /** The chain of one entry's tree: its reduced hash tree and the tree's first {@code maxStamps} time stamps. */
    private ArchiveTimeStampChain chain(Store.Entry e, List<String> digests, int maxStamps) throws SQLException, IOException, NoSuchAlgorithmException {
        Store.Tree t = store.tree(e.tree());
        HashTree tree = readTree(t.id());
        byte[][] group = e.signatureHash() == null ? new byte[][] { e.documentHash() } : new byte[][] { e.documentHash(), e.signatureHash() };
        List<byte[]> stamps = store.stamps(t.id()).stream().limit(maxStamps).map(Store.Stamp::stamp).toList();
        // Level 0: the neighbouring leaf, from its entry (or the link); above it, the stored levels.
        List<byte[]> path = new ArrayList<>();
        int sibling = e.leaf() ^ 1;
        if (sibling <= t.entries()) {
            MessageDigest md = MessageDigest.getInstance(t.digest());
            if (sibling == 0) {
                path.add(t.link());
            } else {
                List<Store.Entry> n = store.entries(t.id(), List.of(sibling));
                if (n.isEmpty()) {
                    throw new IOException("tree " + t.id() + " counts " + t.entries() + " entries but leaf " + sibling + " is not stored");
                }
                path.add(n.get(0).signatureHash() == null ? HashTree.leaf(md, n.get(0).documentHash())
                        : HashTree.leaf(md, n.get(0).documentHash(), n.get(0).signatureHash()));
            }
        }
        path.addAll(tree.path(e.leaf() / 2));
        digests.add(t.digest());
        return Evidence.chain(t.digest(), group, path, stamps);
    }

    @Override
    public List<ArchiveReceipt> find(Content document) throws SigningException {
        try {
            List<ArchiveReceipt> out = new ArrayList<>();
            Map<String, byte[]> hashes = new java.util.HashMap<>();
            for (Store.Tree t : store.trees()) {
                byte[] documentHash = hashes.get(t.digest());
                if (documentHash == null) {
                    documentHash = Verifier.hash(MessageDigest.getInstance(t.digest()), document);
                    hashes.put(t.digest(), documentHash);
                }
                List<Store.Entry> candidates = t.sealed()
                        ? store.entries(t.id(), DocumentIndex.leaves(directory.resolve("trees").resolve(t.id() + ".index"), documentHash))
                        : store.entriesByDocument(t.id(), documentHash); // today's tree: a scan of one day
                for (Store.Entry e : candidates) {
                    if (!e.renewal() && Arrays.equals(e.documentHash(), documentHash)) {
                        out.add(new ArchiveReceipt(Long.toString(e.id()), Long.toString(e.tree()), e.leaf()));
                    }
                }
            }
            return out;
        } catch (SQLException | IOException | NoSuchAlgorithmException e) {
            throw new SigningException(Reason.ARCHIVE_UNAVAILABLE, "the archive cannot be searched: " + e.getMessage(), e);
        }
    }


    // --- hash-tree renewal -------------------------------------------------------------------

    @Override
    public ArchiveRenewal renewDigest(DigestAlgorithm to) throws SigningException {
        synchronized (sealing) {
            if (documents == null) {
                throw new SigningException(Reason.BAD_REQUEST, "hash-tree renewal hashes the documents again, and this archive keeps none"
                        + " (keepDocuments = false); time-stamp renewal (renew --timestamps) still works");
            }
            if (to.length() < digest.length() || to.length() == digest.length() && to != digest) {
                throw new SigningException(Reason.BAD_REQUEST, "a hash-tree renewal needs a stronger digest than " + digest.jcaName()
                        + ", not " + to.jcaName());
            }
            String name = to.jcaName();
            List<ArchiveSeal> seals = new ArrayList<>();
            List<String> notRenewed = new ArrayList<>();
            long renewed = 0;
            try {
                // From here on new entries use the new digest; the open tree is closed and sealed
                // with the old one first, so that its entries are renewed like every other.
                store.setting("digest", name);
                digest = to;
                seals.addAll(seal());
                if (!store.trees("CLOSED").isEmpty()) {
                    throw new SigningException(Reason.TSA_UNAVAILABLE, "a closed tree is still waiting for its time stamp; renew when it is sealed");
                }
                MessageDigest md = MessageDigest.getInstance(name);
                List<Long> done = new ArrayList<>();
                // Trees whose chain some entry still needs: the newest chain of an entry that could not be renewed.
                java.util.Set<Long> stillNeeded = new java.util.HashSet<>();
                Map<Long, Store.Tree> seen = new java.util.HashMap<>();
                for (Store.Tree t : store.trees("SEALED", "RENEWED")) {
                    if (t.digest().equals(name)) {
                        continue;
                    }
                    done.add(t.id());
                    List<Store.Entry> entries = store.entries(t.id());
                    if (entries.isEmpty()) {
                        continue;
                    }
                    Map<Long, Long> newest = store.newestRenewals(entries.get(0).id(), entries.get(entries.size() - 1).id());
                    List<Pending> batch = new ArrayList<>();
                    for (Store.Entry e : entries) {
                        if (e.renewal()) {
                            continue; // renewed through its original entry, which names every chain
                        }
                        Long last = newest.get(e.id());
                        Store.Tree lastTree = t;
                        if (last != null) {
                            long id = store.entry(last).tree();
                            lastTree = seen.get(id); // a handful of trees for a million entries: one query each
                            if (lastTree == null) {
                                lastTree = store.tree(id);
                                seen.put(id, lastTree);
                            }
                        }
                        if (lastTree.digest().equals(name)) {
                            continue; // an earlier, interrupted run renewed it already
                        }
                        Pending fresh = renewal(e, t, md, notRenewed);
                        if (fresh == null) {
                            stillNeeded.add(lastTree.id());
                            continue;
                        }
                        batch.add(fresh);
                        if (batch.size() == GROUP_COMMIT) {
                            renewed += enqueue(batch);
                        }
                    }
                    renewed += enqueue(batch);
                }
                // Only now, and only where no entry still needs it, is a chain closed to time-stamp
                // renewal. The records do not depend on it: each renewal entry recorded how many
                // stamps the chain before it had.
                for (long id : done) {
                    if (!stillNeeded.contains(id)) {
                        store.renewed(id);
                    }
                }
                seals.addAll(seal());
            } catch (SQLException | IOException | NoSuchAlgorithmException e) {
                throw new SigningException(Reason.ARCHIVE_UNAVAILABLE, "hash-tree renewal failed: " + e.getMessage(), e);
            }
            LOG.log(System.Logger.Level.INFO, "hash-tree renewal to " + name + ": " + renewed + " entries renewed, " + notRenewed.size() + " not");
            for (String why : notRenewed) {
                LOG.log(System.Logger.Level.WARNING, "not renewed: " + why);
            }
            return new ArchiveRenewal(to, renewed, seals, notRenewed);
        }
    }

    /**
     * RFC 4998 §5.3 for one data-object group: each of its objects hashed with the new digest, then
     * with the hash of all its chains so far. Null (and a reason) when the document store lacks it.
     */
    private Pending renewal(Store.Entry e, Store.Tree t, MessageDigest md, List<String> notRenewed)
            throws SQLException, IOException, NoSuchAlgorithmException {
        String where = "entry " + e.id() + " (tree " + t.id() + ", leaf " + e.leaf() + ")";
        DocumentStore.Location docAt = store.object(t.digest(), e.documentHash());
        DocumentStore.Location sigAt = e.signatureHash() == null ? null : store.object(t.digest(), e.signatureHash());
        if (docAt == null || e.signatureHash() != null && sigAt == null) {
            notRenewed.add(where + ": its " + (docAt == null ? "document" : "signature") + " is not in the document store "
                    + documents.root() + " (entered with its hashes only)");
            return null;
        }
        byte[] doc;
        byte[] sig = null;
        try {
            doc = documents.rehash(docAt, t.digest(), e.documentHash(), md.getAlgorithm());
            if (sigAt != null) {
                sig = documents.rehash(sigAt, t.digest(), e.signatureHash(), md.getAlgorithm());
            }
        } catch (IOException x) {
            notRenewed.add(where + ": " + x.getMessage());
            return null;
        }
        List<ArchiveTimeStampChain> chains = chains(e, new ArrayList<>());
        byte[] ha = Evidence.chainsHash(md, chains);
        int priorStamps = chains.get(chains.size() - 1).getArchiveTimestamps().length;
        ArchiveEntry fresh = new ArchiveEntry("renewal of entry " + e.id(), DigestAlgorithm.parse(md.getAlgorithm()),
                Evidence.renewed(md, doc, ha), sig == null ? null : Evidence.renewed(md, sig, ha));
        return new Pending(fresh, e.id(), priorStamps, List.of(), new CompletableFuture<>(), null);
    }

    /** Hands renewal entries to the writer and waits until they are committed; empties the batch. */
    private int enqueue(List<Pending> batch) throws SigningException {
        if (batch.isEmpty()) {
            return 0;
        }
        List<ArchiveEntry> entries = batch.stream().map(Pending::entry).toList();
        List<CompletableFuture<ArchiveReceipt>> futures = batch.stream().map(Pending::done).toList();
        int n = await(entries, futures, new ArrayList<>(batch)).size();
        batch.clear();
        return n;
    }

    @Override
    public ArchiveProof verify(byte[] evidenceRecord, Content document, Content signature) {
        return verifier.verify(evidenceRecord, document, signature);
    }

    /**
     * Every sealed tree, oldest first: its link is the hash of the previous tree's stamp (so a
     * removed tree shows), its entries as stored today still hash to the stamped root (so an edited
     * entry shows), and its stamp is intact.
     */
    @Override
    public ArchiveProof verifyChain() throws SigningException {
        List<String> lines = new ArrayList<>();
        boolean valid = true;
        Instant first = null;
        try {
            List<Store.Tree> sealed = store.trees("SEALED", "RENEWED");
            long expectedId = 1;
            byte[] previousStamp = null;
            for (Store.Tree t : sealed) {
                MessageDigest md = MessageDigest.getInstance(t.digest());
                if (t.id() != expectedId) {
                    lines.add("tree " + expectedId + (t.id() - expectedId > 1 ? " to " + (t.id() - 1) : "") + " missing: the chain is broken before tree " + t.id());
                    valid = false;
                }
                byte[] link = t.id() == 1 ? md.digest(GENESIS) : previousStamp == null ? null : md.digest(previousStamp);
                if (link == null || !Arrays.equals(link, t.link())) {
                    lines.add("tree " + t.id() + ": its link does not match the seal of tree " + (t.id() - 1));
                    valid = false;
                }
                byte[] root = build(t, t.link(), md).root();
                List<Store.Stamp> stamps = store.stamps(t.id());
                if (stamps.isEmpty()) {
                    lines.add("tree " + t.id() + ": no time stamp");
                    valid = false;
                    previousStamp = null;
                    expectedId = t.id() + 1;
                    continue;
                }
                org.bouncycastle.tsp.TimeStampToken tst = new org.bouncycastle.tsp.TimeStampToken(
                        org.bouncycastle.asn1.cms.ContentInfo.getInstance(stamps.get(0).stamp()));
                byte[] imprint = tst.getTimeStampInfo().getMessageImprintDigest();
                if (!Arrays.equals(root, t.root()) || !Arrays.equals(root, imprint)) {
                    lines.add("tree " + t.id() + ": its entries no longer hash to the stamped root (an entry was changed, added or removed)");
                    valid = false;
                }
                String who = verifier.authority(tst, tst.getTimeStampInfo().getGenTime(), lines);
                if (who == null) {
                    lines.add("tree " + t.id() + ": its time stamp does not verify");
                    valid = false;
                }
                if (first == null) {
                    first = tst.getTimeStampInfo().getGenTime().toInstant();
                }
                lines.add("tree " + t.id() + ": " + t.entries() + " entries, sealed " + tst.getTimeStampInfo().getGenTime().toInstant());
                previousStamp = stamps.get(0).stamp();
                expectedId = t.id() + 1;
            }
            if (sealed.isEmpty()) {
                lines.add("no tree is sealed yet");
            }
        } catch (SQLException | NoSuchAlgorithmException | IOException | org.bouncycastle.tsp.TSPException | RuntimeException e) {
            throw new SigningException(Reason.ARCHIVE_UNAVAILABLE, "the chain cannot be checked: " + e.getMessage(), e);
        }
        return new ArchiveProof(valid, Optional.ofNullable(valid ? first : null), lines);
    }

    static String hex(byte[] b) {
        return java.util.HexFormat.of().formatHex(b);
    }
}
