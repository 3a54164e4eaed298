package org.sigillum.tsa.internal;

import java.io.IOException;
import java.io.InputStream;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * RFC 3161 over HTTP at {@code /tsa} on the runtime's HTTP service: application/timestamp-query in,
 * application/timestamp-reply out. Bodies above a few KB are refused before they are read: a
 * time-stamp query is a few hundred bytes.
 */
@Component(service = Servlet.class, property = { "osgi.http.whiteboard.servlet.pattern=/tsa",
        "osgi.http.whiteboard.servlet.name=sigillum-tsa" })
public class TsaServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    static final int MAX_QUERY = 16 * 1024;

    private final transient TsaComponent tsa;

    @Activate
    public TsaServlet(@Reference TsaComponent tsa) {
        this.tsa = tsa;
    }

    @Override
    protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String type = req.getContentType();
        if (type == null || !type.toLowerCase(java.util.Locale.ROOT).startsWith("application/timestamp-query")) {
            resp.sendError(HttpServletResponse.SC_UNSUPPORTED_MEDIA_TYPE, "send application/timestamp-query");
            return;
        }
        if (req.getContentLengthLong() > MAX_QUERY) {
            resp.sendError(HttpServletResponse.SC_REQUEST_ENTITY_TOO_LARGE, "a time-stamp query is at most " + MAX_QUERY + " bytes");
            return;
        }
        byte[] query;
        try (InputStream in = req.getInputStream()) {
            query = in.readNBytes(MAX_QUERY + 1);
        }
        if (query.length > MAX_QUERY) {
            resp.sendError(HttpServletResponse.SC_REQUEST_ENTITY_TOO_LARGE, "a time-stamp query is at most " + MAX_QUERY + " bytes");
            return;
        }
        byte[] answer = tsa.respond(query);
        resp.setContentType("application/timestamp-reply");
        resp.setContentLength(answer.length);
        resp.getOutputStream().write(answer);
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        resp.setHeader("Allow", "POST");
        resp.sendError(HttpServletResponse.SC_METHOD_NOT_ALLOWED, "RFC 3161: POST an application/timestamp-query");
    }
}
