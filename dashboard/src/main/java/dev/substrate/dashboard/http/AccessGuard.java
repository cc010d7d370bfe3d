package dev.substrate.dashboard.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import javax.annotation.Nullable;
import org.eclipse.jetty.http.HttpCookie;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The dashboard's front door: security headers on every response (a Content-Security-Policy that
 * allows scripts from the server only, so nothing inline ever runs), and, when the dashboard has a
 * token, the token on every request.
 *
 * <p>A request carries the token as {@code Authorization: Bearer <token>} (Prometheus, curl) or as
 * the cookie a browser gets by opening {@code /?token=<token>} once; {@code EventSource} cannot set
 * headers, but sends the cookie.
 */
public final class AccessGuard extends Handler.Wrapper {

    /** The policy: scripts, connections, fonts and images from this server only. */
    public static final String CONTENT_SECURITY_POLICY =
            "default-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self' data:;"
                    // ECharts positions its canvas through element styles.
                    + " style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none';"
                    + " form-action 'self'; frame-ancestors 'none'";

    static final String COOKIE = "substrate_dashboard_token";

    @Nullable private final byte[] token;

    /**
     * @param token the token every request must carry, or null for none (loopback only)
     */
    public AccessGuard(@Nullable String token, Handler next) {
        super(next);
        this.token = token == null ? null : token.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        response.getHeaders().put("Content-Security-Policy", CONTENT_SECURITY_POLICY);
        response.getHeaders().put("X-Content-Type-Options", "nosniff");
        response.getHeaders().put("Referrer-Policy", "no-referrer");
        response.getHeaders().put("X-Frame-Options", "DENY");
        if (token != null) {
            String offered =
                    Request.extractQueryParameters(request, StandardCharsets.UTF_8)
                            .getValue("token");
            if (offered != null && matches(offered)) {
                // Trade the token in the address for a cookie, and drop it from the address bar.
                Response.addCookie(
                        response,
                        HttpCookie.build(COOKIE, offered)
                                .path("/")
                                .httpOnly(true)
                                .sameSite(HttpCookie.SameSite.STRICT)
                                .build());
                response.setStatus(303);
                response.getHeaders().put(HttpHeader.LOCATION, Request.getPathInContext(request));
                callback.succeeded();
                return true;
            }
            if (!authorized(request)) {
                response.setStatus(401);
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
                Content.Sink.write(
                        response,
                        true,
                        "Missing or wrong token: open /?token=<SUBSTRATE_DASHBOARD_TOKEN> once in"
                                + " the browser, or send Authorization: Bearer <token>\n",
                        callback);
                return true;
            }
        }
        return super.handle(request, response, callback);
    }

    private boolean authorized(Request request) {
        String header = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        if (header != null && header.startsWith("Bearer ")) {
            return matches(header.substring("Bearer ".length()));
        }
        for (HttpCookie cookie : Request.getCookies(request)) {
            if (COOKIE.equals(cookie.getName()) && matches(cookie.getValue())) {
                return true;
            }
        }
        return false;
    }

    private boolean matches(String offered) {
        return MessageDigest.isEqual(token, offered.getBytes(StandardCharsets.UTF_8));
    }
}
