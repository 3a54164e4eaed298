package org.sigillum.cli.internal;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
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

    private static final System.Logger LOG = System.getLogger(ControlServer.class.getName());
    private static final long READY_WAIT_MS = 10_000;

    private final BundleContext context;
    private final Commands commands;
    private final SigningService signing;
    private final RuntimeHome home;
    private final Path socket;
    private final ServerSocketChannel server;
    /** Bounded: a flood of local connections is refused, not allowed to exhaust threads. */
    private final java.util.concurrent.ThreadPoolExecutor workers = new java.util.concurrent.ThreadPoolExecutor(2, 32, 30,
            TimeUnit.SECONDS, new java.util.concurrent.SynchronousQueue<>(), r -> {
                Thread t = new Thread(r, "sigillum-control");
                t.setDaemon(true);
                return t;
            });
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
            @Reference VerificationService verification, @Reference HomeComponent homeComponent) throws IOException {
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
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
        workers.execute(this::acceptLoop);
        workers.execute(this::announceReady);
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
            server.close();
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "control socket not removed: " + e.getMessage());
        }
        // Not shutdownNow(): interrupting a signing thread must not cut its work short.
        workers.shutdown();
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

    /** Keeps accepting whatever one connection does: a failed accept is logged and retried. */
    private void acceptLoop() {
        while (!closing) {
            SocketChannel ch;
            try {
                ch = server.accept();
            } catch (java.nio.channels.ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (closing) {
                    return;
                }
                LOG.log(System.Logger.Level.WARNING, "control socket accept failed, retrying: " + e.getMessage());
                sleepQuietly(200);
                continue;
            }
            try {
                workers.execute(() -> serve(ch));
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "control socket busy, connection refused: " + e);
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // nothing more to refuse
                }
            }
        }
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void serve(SocketChannel ch) {
        try (ch) {
            DataInputStream in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(ch)));
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(ch)));
            int n = in.readInt();
            if (n < 2 || n > 100_000) {
                return;
            }
            Path cwd = Path.of(in.readUTF());
            List<String> args = new ArrayList<>();
            for (int i = 1; i < n; i++) {
                args.add(in.readUTF());
            }
            Session s = new Session(cwd, args, out, in);
            int code;
            try {
                code = run(s, args.get(0), args.subList(1, args.size()));
            } catch (IOException e) {
                // A command's own I/O failure (an unwritable --out, say): tell the user, then exit 1.
                s.err("sigillum: " + e.getClass().getSimpleName() + ": " + e.getMessage());
                code = 1;
            } catch (RuntimeException | LinkageError e) {
                // The client gets a clear line; the details (never a secret) go to the server log.
                LOG.log(System.Logger.Level.ERROR, "control command " + args.get(0) + " failed", e);
                s.err("sigillum: internal error (" + e.getClass().getSimpleName() + "); the server log has the details");
                code = 1;
            }
            s.exit(code);
            if (args.get(0).equals("stop")) {
                new Thread(this::stopFramework, "sigillum-stop").start();
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "control client went away: " + e.getMessage());
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
