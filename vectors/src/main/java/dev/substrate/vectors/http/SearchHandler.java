package dev.substrate.vectors.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import javax.annotation.Nullable;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;

/**
 * {@link SearchApi} as a Jetty handler for {@code GET /api/search}, to mount in any Jetty 12 server
 * (the local run's {@link SearchHttpServer}, the dashboard's). Other paths are left to the next
 * handler. With a token, every request must carry {@code Authorization: Bearer <token>}.
 */
public final class SearchHandler extends Handler.Abstract {

    /** The path it answers. */
    public static final String PATH = "/api/search";

    private final SearchApi api;
    @Nullable private final byte[] token;

    /**
     * @param token the bearer token every request must carry, or null for none (loopback only)
     */
    public SearchHandler(SearchApi api, @Nullable String token) {
        this.api = Objects.requireNonNull(api, "api");
        this.token = token == null ? null : token.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        if (!PATH.equals(Request.getPathInContext(request))) {
            return false;
        }
        SearchApi.Response answer;
        if (!authorized(request)) {
            answer = SearchApi.error(401, "Missing or wrong bearer token");
        } else if (!HttpMethod.GET.is(request.getMethod())) {
            answer = SearchApi.error(405, "Only GET " + PATH + "?q=...");
            response.getHeaders().put(HttpHeader.ALLOW, "GET");
        } else {
            Fields fields = Request.extractQueryParameters(request, StandardCharsets.UTF_8);
            Map<String, List<String>> parameters = new LinkedHashMap<>();
            for (Fields.Field field : fields) {
                parameters.put(field.getName(), field.getValues());
            }
            answer = api.handle(parameters);
        }
        response.setStatus(answer.status());
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json; charset=utf-8");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        Content.Sink.write(response, true, answer.json(), callback);
        return true;
    }

    private boolean authorized(Request request) {
        if (token == null) {
            return true;
        }
        String header = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        if (header == null || !header.startsWith("Bearer ")) {
            return false;
        }
        return MessageDigest.isEqual(
                token, header.substring("Bearer ".length()).getBytes(StandardCharsets.UTF_8));
    }
}
