package org.sigillum.tsa.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;
import org.sigillum.api.AuditTrail;
import org.sigillum.tsa.internal.Refusals.Cause;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ReadListener;
import jakarta.servlet.Servlet;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * RFC 3161 over HTTP at {@code /tsa} on the runtime's HTTP service: application/timestamp-query in,
 * application/timestamp-reply out.
 *
 * <p>The body is read asynchronously, so a client that sends it one byte at a time holds a
 * connection but no thread, and it has {@code httpBodyTimeoutMillis} in all to finish it (408 and a
 * closed connection after that). Requests in hand are capped overall and per client address (503
 * beyond), bodies above {@code httpMaxQueryBytes} are refused (413) before or while they are read.
 * Only POST and OPTIONS are served; everything else, TRACE included, gets 405 with that Allow.
 * Refusals and aborted bodies are counted and summarised in one log line per interval, never with
 * a stack trace.
 */
@Component(service = Servlet.class, configurationPid = "org.sigillum.tsa", configurationPolicy = ConfigurationPolicy.REQUIRE,
        property = { "osgi.http.whiteboard.servlet.pattern=/tsa", "osgi.http.whiteboard.servlet.name=sigillum-tsa",
                "osgi.http.whiteboard.servlet.asyncSupported=true" })
public class TsaServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private static final System.Logger LOG = System.getLogger(TsaServlet.class.getName());
    static final String ALLOW = "OPTIONS, POST";

    private final transient TsaComponent tsa;
    private final int bodyTimeoutMillis;
    private final int maxQuery;
    private final transient Admission admission;
    private final transient Refusals refusals;

    @Activate
    public TsaServlet(@Reference TsaComponent tsa, @Reference AuditTrail audit, TsaConfig config) {
        this.tsa = tsa;
        this.bodyTimeoutMillis = Math.max(1, config.httpBodyTimeoutMillis());
        this.maxQuery = Math.max(1, config.httpMaxQueryBytes());
        this.admission = new Admission(Math.max(1, config.httpMaxRequests()), Math.max(1, config.httpMaxRequestsPerAddress()));
        // The audit log gets the same summary as the server log: one record per interval with the
        // counts by cause, so that an attack making thousands of refusals a second cannot flood it.
        this.refusals = new Refusals(Math.max(1, config.httpRefusalLogSeconds()) * 1000L, System::nanoTime, line -> {
            LOG.log(System.Logger.Level.WARNING, line);
            audit.refused("tsa", "http requests", "refused", line);
        });
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        // HttpServlet's own dispatch would answer TRACE by echoing the request and list GET, HEAD
        // and TRACE in OPTIONS; this endpoint serves POST only.
        switch (req.getMethod()) {
            case "POST" -> post(req, resp);
            case "OPTIONS" -> {
                resp.setHeader("Allow", ALLOW);
                resp.setContentLength(0);
            }
            default -> {
                refusals.count(Cause.METHOD, req.getRemoteAddr());
                resp.setHeader("Allow", ALLOW);
                answer(resp, HttpServletResponse.SC_METHOD_NOT_ALLOWED, "RFC 3161: POST an application/timestamp-query", false);
            }
        }
    }

    private void post(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String client = req.getRemoteAddr();
        String type = req.getContentType();
        if (type == null || !type.toLowerCase(Locale.ROOT).startsWith("application/timestamp-query")) {
            refusals.count(Cause.MEDIA_TYPE, client);
            answer(resp, HttpServletResponse.SC_UNSUPPORTED_MEDIA_TYPE, "send application/timestamp-query", true);
            return;
        }
        long length = req.getContentLengthLong();
        if (length > maxQuery) {
            refusals.count(Cause.TOO_LARGE, client);
            answer(resp, HttpServletResponse.SC_REQUEST_ENTITY_TOO_LARGE, "a time-stamp query is at most " + maxQuery + " bytes", true);
            return;
        }
        Admission.Verdict verdict = admission.enter(client);
        if (verdict != Admission.Verdict.ADMITTED) {
            refusals.count(verdict == Admission.Verdict.BUSY ? Cause.BUSY : Cause.ADDRESS_BUSY, client);
            resp.setHeader("Retry-After", "1");
            answer(resp, HttpServletResponse.SC_SERVICE_UNAVAILABLE, "too many requests at once, try again", true);
            return;
        }
        Exchange x = new Exchange(client, resp, (int) Math.max(0, Math.min(length, maxQuery)));
        try {
            AsyncContext async = req.startAsync();
            async.setTimeout(bodyTimeoutMillis);
            async.addListener(x);
            x.async = async;
            req.getInputStream().setReadListener(x);
        } catch (IOException | RuntimeException e) {
            x.release();
            throw e;
        }
    }

    /** A short plain-text answer; {@code close} for refusals whose unread body must not be waited for. */
    private static void answer(HttpServletResponse resp, int status, String text, boolean close) throws IOException {
        byte[] body = (text + "\n").getBytes(StandardCharsets.US_ASCII);
        resp.setStatus(status);
        if (close) {
            resp.setHeader("Connection", "close");
        }
        resp.setContentType("text/plain; charset=us-ascii");
        resp.setContentLength(body.length);
        resp.getOutputStream().write(body);
    }

    /**
     * One request whose body is being read. The container calls these methods one at a time for a
     * request, but the timeout and the end of the body may still both arrive: {@code answered}
     * lets only the first of them answer, {@code released} frees the admission once.
     */
    private final class Exchange implements ReadListener, AsyncListener {
        private final String client;
        private final HttpServletResponse resp;
        private final ByteArrayOutputStream body;
        private final byte[] chunk = new byte[2048];
        private final AtomicBoolean answered = new AtomicBoolean();
        private final AtomicBoolean released = new AtomicBoolean();
        private volatile AsyncContext async;

        Exchange(String client, HttpServletResponse resp, int expected) {
            this.client = client;
            this.resp = resp;
            this.body = new ByteArrayOutputStream(expected > 0 ? expected : 512);
        }

        @Override
        public void onDataAvailable() throws IOException {
            ServletInputStream in = async.getRequest().getInputStream();
            while (!answered.get() && in.isReady()) {
                int n = in.read(chunk);
                if (n < 0) {
                    return;
                }
                body.write(chunk, 0, n);
                if (body.size() > maxQuery) {
                    refuse(Cause.TOO_LARGE, HttpServletResponse.SC_REQUEST_ENTITY_TOO_LARGE,
                            "a time-stamp query is at most " + maxQuery + " bytes");
                }
            }
        }

        @Override
        public void onAllDataRead() throws IOException {
            if (!answered.compareAndSet(false, true)) {
                return;
            }
            try {
                // Signing takes a millisecond or so: done here rather than handed to another pool.
                byte[] reply = tsa.respond(body.toByteArray());
                resp.setContentType("application/timestamp-reply");
                resp.setContentLength(reply.length);
                resp.getOutputStream().write(reply);
            } finally {
                async.complete();
            }
        }

        /** The body broke off (client gone, connection reset): counted, nothing to answer. */
        @Override
        public void onError(Throwable t) {
            if (answered.compareAndSet(false, true)) {
                refusals.count(Cause.ABORTED, client);
            }
            completeQuietly();
        }

        @Override
        public void onTimeout(AsyncEvent event) throws IOException {
            refuse(Cause.SLOW_BODY, HttpServletResponse.SC_REQUEST_TIMEOUT, "the query took too long to arrive");
        }

        @Override
        public void onError(AsyncEvent event) {
            onError(event.getThrowable());
        }

        @Override
        public void onComplete(AsyncEvent event) {
            release();
        }

        @Override
        public void onStartAsync(AsyncEvent event) {
            // Not dispatched again: nothing to do.
        }

        private void refuse(Cause cause, int status, String text) throws IOException {
            if (!answered.compareAndSet(false, true)) {
                return;
            }
            refusals.count(cause, client);
            try {
                answer(resp, status, text, true);
            } catch (IOException | RuntimeException e) {
                // The client is gone already; the count above is all there is to say.
            } finally {
                completeQuietly();
            }
        }

        private void completeQuietly() {
            try {
                async.complete();
            } catch (IllegalStateException e) {
                // Completed already (the container may end an errored request itself).
            }
            release();
        }

        void release() {
            if (released.compareAndSet(false, true)) {
                admission.leave(client);
            }
        }
    }
}
