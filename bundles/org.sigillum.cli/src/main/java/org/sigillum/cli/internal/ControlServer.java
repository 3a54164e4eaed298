package org.sigillum.cli.internal;

import java.io.DataOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.launch.Framework;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.sigillum.api.ProfileStatus;
import org.sigillum.api.AuditTrail;
import org.sigillum.api.SigningService;
import org.sigillum.api.VerificationService;

/**
 * The command line's channel into a running server: a Unix domain socket in the home's
 * {@code run/} folder, readable by the server's own user only (the folder is 0700), so no password
 * travels and no port is open. Also says "sigillum: ready" once every configured profile is
 * loaded, and stops the framework cleanly on SIGTERM (Equinox's own hook does not stop bundles).
 */
@Component(immediate = true)
public class ControlServer {

    private final AuditTrail audit;

    private static final System.Logger LOG = System.getLogger(ControlServer.class.getName());
    private static final long READY_WAIT_MS = 10_000;

    private final BundleContext context;
    private final Commands commands;
    private final SigningService signing;
    private final RuntimeHome home;
    private final Path socket;
    private final ServerSocketChannel server;
    /**
     * Connections still sending their request, oldest first; and the bytes their buffers hold.
     * Both are touched by the select thread only.
     */
    private static final int MAX_PENDING = 64;
    private static final long MAX_BUFFERED = 4L * Protocol.MAX_REQUEST_BYTES;
    /** Quick questions that must be answered even when every worker is taken (how else to see why?). */
    private static final java.util.Set<String> ANSWERED_WHEN_BUSY = java.util.Set.of("status", "ping");

    private final ControlLimits limits;
    private final Selector selector;
    private final java.util.LinkedHashSet<Pending> pending = new java.util.LinkedHashSet<>();
    private long buffered;
    private final ByteBuffer readBuffer = ByteBuffer.allocate(64 * 1024);
    /** Runs commands; bounded, so a flood of requests is told "busy" instead of exhausting threads. */
    private final ThreadPoolExecutor workers;
    /** The slot kept for {@link #ANSWERED_WHEN_BUSY}. */
    private final ThreadPoolExecutor kept;
    /** Ends blocking steps whose peer has stopped (see {@link Connection}). */
    private final ScheduledThreadPoolExecutor timer;
    private final CountDownLatch ready = new CountDownLatch(1);
    private final java.util.List<org.sigillum.api.Channel> channels = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Thread shutdownHook;
    private volatile boolean closing;

    @Reference(cardinality = org.osgi.service.component.annotations.ReferenceCardinality.MULTIPLE,
            policy = org.osgi.service.component.annotations.ReferencePolicy.DYNAMIC,
            policyOption = org.osgi.service.component.annotations.ReferencePolicyOption.GREEDY)
    void addChannel(org.sigillum.api.Channel channel) {
        channels.add(channel);
    }

    void removeChannel(org.sigillum.api.Channel channel) {
        channels.remove(channel);
    }

    private final java.util.List<org.sigillum.api.Archive> archives = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Reference(cardinality = org.osgi.service.component.annotations.ReferenceCardinality.MULTIPLE,
            policy = org.osgi.service.component.annotations.ReferencePolicy.DYNAMIC,
            policyOption = org.osgi.service.component.annotations.ReferencePolicyOption.GREEDY)
    void addArchive(org.sigillum.api.Archive archive) {
        archives.add(archive);
    }

    void removeArchive(org.sigillum.api.Archive archive) {
        archives.remove(archive);
    }

    @Activate
    public ControlServer(BundleContext context, @Reference SigningService signing,
            @Reference VerificationService verification, @Reference HomeComponent homeComponent, @Reference AuditTrail audit)
            throws IOException {
        this.audit = audit;
        this.context = context;
        this.signing = signing;
        this.commands = new Commands(signing, verification, channels, archives, Boolean.parseBoolean(context.getProperty("sigillum.oneshot")));
        this.home = homeComponent.home();
        this.socket = home.home().resolve(Protocol.socket(context.getProperty(Protocol.SOCKET_PROPERTY)));
        Files.createDirectories(socket.getParent());
        Files.setPosixFilePermissions(socket.getParent(), PosixFilePermissions.fromString("rwx------"));
        if (Files.exists(socket)) {
            if (answers(socket)) {
                throw new IOException("another Sigillum server is running on " + home.home() + "; stop it first");
            }
            Files.delete(socket);
        }
        this.limits = ControlLimits.from(context::getProperty);
        this.workers = pool(limits.workers(), "sigillum-control");
        this.kept = pool(1, "sigillum-control-status");
        this.timer = new ScheduledThreadPoolExecutor(1, daemon("sigillum-control-timer"));
        timer.setRemoveOnCancelPolicy(true); // one deadline per blocking step: cancelled ones must not pile up
        selector = Selector.open();
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
        server.configureBlocking(false);
        server.register(selector, SelectionKey.OP_ACCEPT);
        daemon("sigillum-control-select").newThread(this::selectLoop).start();
        daemon("sigillum-ready").newThread(this::announceReady).start();
        shutdownHook = new Thread(this::stopFramework, "sigillum-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    @Deactivate
    void deactivate() {
        closing = true;
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // the JVM is already shutting down: the hook is what stops us
        }
        try {
            selector.close(); // ends the select loop; the connections still sending go with it
            server.close();
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "control socket not removed: " + e.getMessage());
        }
        // Not shutdownNow(): interrupting a signing thread must not cut its work short.
        workers.shutdown();
        kept.shutdown();
        timer.shutdown();
    }

    /** Up to {@code max} threads, none kept idle long, and no queue: a request either starts or is refused. */
    private static ThreadPoolExecutor pool(int max, String name) {
        return new ThreadPoolExecutor(0, max, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), daemon(name));
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    private static boolean answers(Path socket) {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private void stopFramework() {
        try {
            Framework fw = (Framework) context.getBundle(0);
            fw.stop();
            fw.waitForStop(15_000);
        } catch (BundleException | InterruptedException | IllegalStateException e) {
            // nothing more to do while the JVM goes down
        }
    }

    private void announceReady() {
        long deadline = System.currentTimeMillis() + READY_WAIT_MS;
        try {
            while (true) {
                List<String> problems = problems();
                if (problems.isEmpty() || System.currentTimeMillis() > deadline) {
                    String names = String.join(", ", signing.profiles().stream().map(ProfileStatus::name).toList());
                    System.out.println("sigillum: ready (home " + home.home() + "; profiles: " + (names.isEmpty() ? "none" : names) + ")"
                            + (problems.isEmpty() ? "" : "; not ready: " + String.join("; ", problems)));
                    System.out.flush();
                    ready.countDown();
                    return;
                }
                Thread.sleep(50);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** What still keeps a configured profile from signing; empty when all can. */
    private List<String> problems() {
        List<String> out = new ArrayList<>();
        long expected;
        try (Stream<Path> s = Files.list(home.etc())) {
            expected = s.filter(p -> p.getFileName().toString().startsWith("org.sigillum.profile-")
                    && p.getFileName().toString().endsWith(".cfg")).count();
        } catch (IOException e) {
            expected = 0;
        }
        // A deployed archive must be up before the first document is signed, or that document
        // would never enter a tree.
        if (archives.isEmpty() && Files.exists(home.home().resolve("deploy/org.sigillum.archive.jar"))) {
            out.add("the archive has not started yet");
        }
        List<ProfileStatus> profiles = signing.profiles();
        if (profiles.size() < expected) {
            out.add((expected - profiles.size()) + " profile configuration(s) not loaded yet");
        }
        for (ProfileStatus p : profiles) {
            if (!p.ready()) {
                out.add("profile " + p.name() + ": " + String.join(", ", p.problems()));
            }
        }
        return out;
    }

    /**
     * Takes requests in on one thread, without blocking on any peer: a connection holds no worker
     * until its whole request is here, so peers that connect and say nothing (or drip) cost a
     * socket and a buffer, not a thread, and are dropped at their deadline. Complete requests go
     * to a worker; a failed accept is logged and retried.
     */
    private void selectLoop() {
        try {
            selectUntilClosed();
        } catch (java.nio.channels.ClosedSelectorException e) {
            // deactivated while selecting: nothing more to take in
        } finally {
            for (Pending p : pending) {
                closeQuietly(p.channel);
            }
        }
    }

    private void selectUntilClosed() {
        List<SelectionKey> handoff = new ArrayList<>();
        while (!closing) {
            try {
                if (handoff.isEmpty()) {
                    selector.select(expireStalled());
                } else {
                    // Cancelled keys leave the selector only in a select; then the channel may block.
                    selector.selectNow();
                    for (SelectionKey k : handoff) {
                        dispatch((Pending) k.attachment());
                    }
                    handoff.clear();
                }
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "control socket select failed, retrying: " + e.getMessage());
                sleepQuietly(200);
                continue;
            }
            var it = selector.selectedKeys().iterator();
            while (it.hasNext()) {
                SelectionKey k = it.next();
                it.remove();
                if (!k.isValid()) {
                    continue;
                }
                if (k.isAcceptable()) {
                    acceptOne();
                } else if (k.isReadable()) {
                    Pending p = (Pending) k.attachment();
                    if (readSome(p)) {
                        k.cancel();
                        pending.remove(p);
                        buffered -= p.reader.capacity();
                        handoff.add(k);
                    }
                }
            }
        }
    }

    /** A connection whose request is still arriving. */
    private static final class Pending {
        final SocketChannel channel;
        final SelectionKey key;
        final long deadline;
        final RequestReader reader = new RequestReader();
        RequestReader.Request request;

        Pending(SocketChannel channel, SelectionKey key, long deadline) {
            this.channel = channel;
            this.key = key;
            this.deadline = deadline;
        }
    }

    private void acceptOne() {
        SocketChannel ch;
        try {
            ch = server.accept();
            if (ch == null) {
                return;
            }
            ch.configureBlocking(false);
        } catch (IOException e) {
            if (!closing) {
                LOG.log(System.Logger.Level.WARNING, "control socket accept failed, retrying: " + e.getMessage());
            }
            return;
        }
        if (pending.size() >= MAX_PENDING) {
            // The oldest has been silent longest; a real client sends its request at once, so
            // making room at that end keeps the socket open to it through any number of stalled peers.
            Pending oldest = pending.iterator().next();
            refuse(oldest, new Refusal(Refusal.Kind.BUSY, MAX_PENDING + " connections waiting for their request; dropped the oldest"));
        }
        try {
            SelectionKey key = ch.register(selector, SelectionKey.OP_READ);
            Pending p = new Pending(ch, key, System.nanoTime() + limits.requestTimeoutMs() * 1_000_000);
            key.attach(p);
            pending.add(p);
            buffered += p.reader.capacity();
        } catch (IOException e) {
            closeQuietly(ch);
        }
    }

    /** Reads what the peer has sent; true once the request is whole (it is then decoded and checked). */
    private boolean readSome(Pending p) {
        readBuffer.clear();
        int n;
        try {
            n = p.channel.read(readBuffer);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "control client went away: " + e.getMessage());
            drop(p);
            return false;
        }
        if (n < 0) {
            if (p.reader.received() == 0) {
                drop(p); // connected and left: a probe for a running server, not a request
            } else {
                refuse(p, new Refusal(Refusal.Kind.MALFORMED, "the peer closed after " + p.reader.received() + " bytes of its request"));
            }
            return false;
        }
        readBuffer.flip();
        int before = p.reader.capacity();
        try {
            p.reader.append(readBuffer);
            buffered += p.reader.capacity() - before;
            if (buffered > MAX_BUFFERED) {
                refuse(p, new Refusal(Refusal.Kind.BUSY, "requests being received hold more than " + MAX_BUFFERED + " bytes"));
                return false;
            }
            if (!p.reader.complete()) {
                return false;
            }
            p.request = p.reader.request();
            return true;
        } catch (RequestReader.Refused e) {
            refuse(p, new Refusal(e.kind(), e.getMessage()));
            return false;
        }
    }

    /** Drops the peers whose request has not arrived in time; returns how long select may wait. */
    private long expireStalled() {
        long now = System.nanoTime();
        // Deadlines grow in accept order, so only the head can have passed.
        while (!pending.isEmpty()) {
            Pending p = pending.iterator().next();
            long left = p.deadline - now;
            if (left > 0) {
                return Math.max(1, left / 1_000_000);
            }
            refuse(p, new Refusal(Refusal.Kind.TIMED_OUT, "no complete request within " + limits.requestTimeoutMs() + " ms ("
                    + p.reader.received() + " bytes received)"));
        }
        return 0;
    }

    /** A complete request: to a worker, to the kept slot if it is a status query, or "busy". */
    private void dispatch(Pending p) {
        RequestReader.Request r = p.request;
        SocketChannel ch = p.channel;
        try {
            ch.configureBlocking(true);
        } catch (IOException e) {
            closeQuietly(ch);
            return;
        }
        Runnable job = () -> serve(ch, r, p.reader.rest());
        try {
            workers.execute(job);
            return;
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // every worker is taken
        }
        if (ANSWERED_WHEN_BUSY.contains(r.command())) {
            try {
                kept.execute(job);
                return;
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // the kept slot is taken too
            }
        }
        refuse(ch, new Refusal(Refusal.Kind.BUSY, "all " + limits.workers() + " workers are running commands; "
                + LogText.quote(r.command()) + " not started"));
    }

    private void refuse(Pending p, Refusal refusal) {
        p.key.cancel();
        pending.remove(p);
        buffered -= p.reader.capacity();
        refuse(p.channel, refusal);
    }

    /** Forgets a connection that needs no answer. */
    private void drop(Pending p) {
        p.key.cancel();
        pending.remove(p);
        buffered -= p.reader.capacity();
        closeQuietly(p.channel);
    }

    /**
     * Tells the peer in one line why, if it still reads (never waiting for it: a frame this small
     * fits the socket's buffer, and what does not fit is dropped), reports the refusal and closes.
     */
    private void refuse(SocketChannel ch, Refusal refusal) {
        try {
            java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(b);
            out.writeByte(Protocol.ERR);
            out.writeUTF(refusal.kind().message());
            out.writeByte(Protocol.EXIT);
            out.writeInt(refusal.kind().exit());
            ByteBuffer frames = ByteBuffer.wrap(b.toByteArray());
            if (ch.isBlocking()) {
                ch.configureBlocking(false);
            }
            ch.write(frames);
        } catch (IOException e) {
            // the peer is gone or not reading: it gets no reason, the log still does
        } finally {
            closeQuietly(ch);
        }
        reportRefusal(refusal);
    }

    /**
     * The one place every refusal on the control socket is reported: oversize, timed out,
     * malformed, busy. Today that is one line in the server log; whatever else should learn of
     * refusals (an audit trail, a counter) is to be called from here, and only from here.
     */
    private void reportRefusal(Refusal refusal) {
        LOG.log(System.Logger.Level.WARNING, refusal.line());
        audit.refused("cli", "control request", refusal.kind().label(), refusal.detail());
    }

    private static void closeQuietly(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            // closed is closed
        }
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void serve(SocketChannel ch, RequestReader.Request r, byte[] rest) {
        Connection c = new Connection(ch, rest, timer, limits.writeTimeoutMs());
        try (ch) {
            List<String> args = new ArrayList<>(r.args().size() + 1);
            args.add(r.command());
            args.addAll(r.args());
            Session s = new Session(r.cwd(), args, c, limits.secretTimeoutMs());
            int code;
            try {
                code = run(s, r.command(), r.args());
            } catch (IOException e) {
                if (c.timedOut()) {
                    throw e;
                }
                // A command's own I/O failure (an unwritable --out, say): tell the user, then exit 1.
                s.err("sigillum: " + e.getClass().getSimpleName() + ": " + e.getMessage());
                code = 1;
            } catch (RuntimeException | LinkageError e) {
                // The client gets a clear line; the details (never a secret) go to the server log.
                LOG.log(System.Logger.Level.ERROR, "control command " + LogText.quote(r.command()) + " failed", e);
                s.err("sigillum: internal error (" + e.getClass().getSimpleName() + "); the server log has the details");
                code = 1;
            }
            s.exit(code);
            if (r.command().equals("stop")) {
                new Thread(this::stopFramework, "sigillum-stop").start();
            }
        } catch (IOException e) {
            if (c.timedOut()) {
                reportRefusal(new Refusal(Refusal.Kind.TIMED_OUT, "the client of " + LogText.quote(r.command())
                        + " stopped reading its answer or answering its prompt"));
            } else {
                LOG.log(System.Logger.Level.DEBUG, "control client went away: " + e.getMessage());
            }
        }
    }

    private int run(Session s, String command, List<String> args) throws IOException {
        switch (command) {
            case "ping":
                s.out("pong");
                return 0;
            case "wait-ready":
                try {
                    ready.await(READY_WAIT_MS + 5_000, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return ready.getCount() == 0 ? 0 : 1;
            case "stop":
                s.out("stopping");
                return 0;
            case "sign":
                return commands.sign(s, args);
            case "verify":
                return commands.verify(s, args);
            case "status":
                return commands.status(s);
            case "token":
                return commands.token(s, args);
            case "capacity":
                return commands.capacity(s, args);
            case "archive":
                return commands.archive(s, args);
            case "timestamp":
                return commands.timestamp(s, args);
            default:
                s.err("sigillum: unknown command " + command);
                return 2;
        }
    }
}
