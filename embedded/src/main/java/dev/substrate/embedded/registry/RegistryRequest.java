package dev.substrate.embedded.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One request to the embedded registry: method, percent-decoded path segments, query parameters,
 * and a JSON body that is never read past the registry's size limit.
 */
final class RegistryRequest {

    private final HttpExchange exchange;
    private final String method;
    private final List<String> path;
    private final Map<String, String> query;
    private final long maxBodyBytes;
    private final String limitProperty;

    private RegistryRequest(
            HttpExchange exchange,
            List<String> path,
            Map<String, String> query,
            long maxBodyBytes,
            String limitProperty) {
        this.exchange = exchange;
        this.method = exchange.getRequestMethod();
        this.path = path;
        this.query = query;
        this.maxBodyBytes = maxBodyBytes;
        this.limitProperty = limitProperty;
    }

    /**
     * Parses the request line; a declared body over {@code maxBodyBytes} is refused here, before
     * any of it is read.
     *
     * @param limitProperty the system property that raises the limit, for the error message
     */
    static RegistryRequest of(HttpExchange exchange, long maxBodyBytes, String limitProperty) {
        List<String> path = new ArrayList<>();
        // Split the raw path so an encoded '/' (%2F) inside a subject stays inside it.
        for (String segment : exchange.getRequestURI().getRawPath().split("/")) {
            if (!segment.isEmpty()) {
                path.add(decode(segment));
            }
        }
        Map<String, String> query = new HashMap<>();
        String rawQuery = exchange.getRequestURI().getRawQuery();
        if (rawQuery != null) {
            for (String pair : rawQuery.split("&")) {
                int eq = pair.indexOf('=');
                String key = decode(eq < 0 ? pair : pair.substring(0, eq));
                String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
                query.put(key, value);
            }
        }
        String length = exchange.getRequestHeaders().getFirst("Content-Length");
        if (length != null) {
            long declared;
            try {
                declared = Long.parseLong(length.trim());
            } catch (NumberFormatException e) {
                throw new RegistryError(400, 400, "Malformed Content-Length '" + length + "'");
            }
            if (declared > maxBodyBytes) {
                throw RegistryError.requestTooLarge(maxBodyBytes, limitProperty);
            }
        }
        return new RegistryRequest(exchange, path, query, maxBodyBytes, limitProperty);
    }

    String method() {
        return method;
    }

    List<String> path() {
        return path;
    }

    String segment(int index) {
        return path.get(index);
    }

    /** A boolean query parameter; absent is false. */
    boolean flag(String name) {
        return Boolean.parseBoolean(query.getOrDefault(name, "false"));
    }

    /** The path with the segments at {@code parameters} (subject, version, id) replaced by *. */
    String shape(Set<Integer> parameters) {
        List<String> shape = new ArrayList<>(path.size());
        for (int i = 0; i < path.size(); i++) {
            shape.add(parameters.contains(i) ? "*" : path.get(i));
        }
        return String.join("/", shape);
    }

    /** 405 when {@code shape} is served with other methods, else 404. */
    RegistryError unrouted(String shape, Set<String> servedShapes) {
        if (servedShapes.contains(shape)) {
            return new RegistryError(
                    405, 405, "HTTP 405 Method Not Allowed: " + method + " /" + shape);
        }
        return new RegistryError(
                404, 404, "HTTP 404 Not Found: " + method + " /" + String.join("/", path));
    }

    /**
     * The body as a JSON object: 413 once it passes the size limit (also for bodies without a
     * declared length), 400 when it is not a JSON object.
     */
    JsonNode body() {
        byte[] bytes;
        try {
            // Not closed here: the registry discards what follows a refused body (see
            // EmbeddedSchemaRegistry), and closing the exchange closes the stream.
            bytes = readAtMost(exchange.getRequestBody());
        } catch (IOException e) {
            throw new RegistryError(400, 400, "Could not read the request body: " + e);
        }
        try {
            JsonNode node = bytes.length == 0 ? null : RegistryJson.MAPPER.readTree(bytes);
            if (node == null || !node.isObject()) {
                throw new RegistryError(400, 400, "The request body must be a JSON object");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new RegistryError(
                    400, 400, "The request body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new RegistryError(400, 400, "Could not read the request body: " + e);
        }
    }

    private byte[] readAtMost(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] chunk = new byte[8192];
        int read;
        while ((read = in.read(chunk)) != -1) {
            if (out.size() + (long) read > maxBodyBytes) {
                throw RegistryError.requestTooLarge(maxBodyBytes, limitProperty);
            }
            out.write(chunk, 0, read);
        }
        return out.toByteArray();
    }

    /** Percent-decodes; a literal '+' in a path is a plus, not a space. */
    private static String decode(String raw) {
        try {
            return URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new RegistryError(400, 400, "Malformed percent-encoding in '" + raw + "'");
        }
    }
}
