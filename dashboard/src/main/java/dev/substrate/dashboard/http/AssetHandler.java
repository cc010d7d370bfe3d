package dev.substrate.dashboard.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Map;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The page, its script and style, and ECharts, all from the jar: the dashboard needs no network
 * beyond its own server. A fixed list of paths, so nothing else on the classpath is ever served.
 */
public final class AssetHandler extends Handler.Abstract {

    /** The ECharts webjar's version (the root pom's, checked when the server starts). */
    public static final String ECHARTS_VERSION = "5.3.1";

    private static final String STATIC = "dev/substrate/dashboard/static/";

    private final Map<String, Asset> assets;

    public AssetHandler() {
        this.assets =
                Map.of(
                        "/",
                        load(STATIC + "index.html", "text/html; charset=utf-8"),
                        "/app.js",
                        load(STATIC + "app.js", "text/javascript; charset=utf-8"),
                        "/app.css",
                        load(STATIC + "app.css", "text/css; charset=utf-8"),
                        "/vendor/echarts.min.js",
                        load(
                                "META-INF/resources/webjars/echarts/"
                                        + ECHARTS_VERSION
                                        + "/dist/echarts.min.js",
                                "text/javascript; charset=utf-8"));
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        Asset asset = assets.get(Request.getPathInContext(request));
        if (asset == null) {
            return false;
        }
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, asset.contentType());
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
        response.write(true, ByteBuffer.wrap(asset.bytes()), callback);
        return true;
    }

    private static Asset load(String resource, String contentType) {
        try (InputStream in = AssetHandler.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(
                        "The dashboard asset "
                                + resource
                                + " is not on the classpath: rebuild the dashboard module (its"
                                + " ECharts webjar must be version "
                                + ECHARTS_VERSION
                                + ")");
            }
            return new Asset(in.readAllBytes(), contentType);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the dashboard asset " + resource, e);
        }
    }

    private record Asset(byte[] bytes, String contentType) {}
}
