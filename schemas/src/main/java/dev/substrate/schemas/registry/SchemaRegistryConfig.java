package dev.substrate.schemas.registry;

import java.io.Serializable;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Objects;

/**
 * Where the schema registry is and how to authenticate to it. Serializable so Flink operators can
 * carry it to task managers and build their own {@link SchemaRegistryClient} in {@code open()}.
 * Secrets never appear in {@link #toString()}.
 *
 * <pre>{@code
 * SchemaRegistryConfig registry =
 *         SchemaRegistryConfig.fromEnvironment("https://registry.example.com")
 *                 .withTimeout(Duration.ofSeconds(5));
 * }</pre>
 */
public final class SchemaRegistryConfig implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Environment variable holding {@code user:password} for HTTP basic authentication. */
    public static final String ENV_BASIC_AUTH = "SUBSTRATE_REGISTRY_BASIC_AUTH";

    /** Environment variable holding a bearer token (OAuth access token). */
    public static final String ENV_BEARER_TOKEN = "SUBSTRATE_REGISTRY_BEARER_TOKEN";

    /** Request timeout when none is configured. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    private final String url;
    private final String basicAuthUserInfo; // nullable; a secret
    private final String bearerToken; // nullable; a secret
    private final Duration timeout;

    private SchemaRegistryConfig(
            String url, String basicAuthUserInfo, String bearerToken, Duration timeout) {
        this.url = url;
        this.basicAuthUserInfo = basicAuthUserInfo;
        this.bearerToken = bearerToken;
        this.timeout = timeout;
    }

    /**
     * A registry at {@code url} (http or https) without authentication. Credentials embedded in the
     * URL ({@code https://user:password@host}) are moved into basic authentication so they never
     * show up in the URL.
     */
    public static SchemaRegistryConfig of(String url) {
        Objects.requireNonNull(url, "url");
        URI uri;
        try {
            uri = new URI(url.trim());
        } catch (URISyntaxException e) {
            // The input may contain credentials: do not echo it.
            throw new IllegalArgumentException("Schema registry URL is not a valid URI", e);
        }
        String scheme = uri.getScheme();
        if (scheme == null
                || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
                || uri.getHost() == null) {
            throw new IllegalArgumentException(
                    "Schema registry URL must be http://host[:port] or https://host[:port], got "
                            + redact(uri));
        }
        String userInfo = uri.getUserInfo();
        String base;
        try {
            base =
                    new URI(
                                    scheme.toLowerCase(java.util.Locale.ROOT),
                                    null,
                                    uri.getHost(),
                                    uri.getPort(),
                                    uri.getPath(),
                                    null,
                                    null)
                            .toString();
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("Schema registry URL is not valid", e);
        }
        while (base.endsWith("/")) {
            base = base.substring(0, base.length() - 1);
        }
        SchemaRegistryConfig config = new SchemaRegistryConfig(base, null, null, DEFAULT_TIMEOUT);
        return userInfo == null ? config : config.withBasicAuth(userInfo);
    }

    /**
     * A registry at {@code url} with credentials from the environment: {@value #ENV_BASIC_AUTH}
     * ({@code user:password}) or {@value #ENV_BEARER_TOKEN}. Setting both is an error.
     */
    public static SchemaRegistryConfig fromEnvironment(String url) {
        return fromEnvironment(url, System.getenv());
    }

    static SchemaRegistryConfig fromEnvironment(String url, Map<String, String> env) {
        SchemaRegistryConfig config = of(url);
        String basic = blankToNull(env.get(ENV_BASIC_AUTH));
        String bearer = blankToNull(env.get(ENV_BEARER_TOKEN));
        if (basic != null && bearer != null) {
            throw new IllegalArgumentException(
                    "Set only one of "
                            + ENV_BASIC_AUTH
                            + " and "
                            + ENV_BEARER_TOKEN
                            + " for the schema registry, not both");
        }
        if (basic != null) {
            return config.withBasicAuth(basic);
        }
        if (bearer != null) {
            return config.withBearerToken(bearer);
        }
        return config;
    }

    /**
     * A copy that authenticates with HTTP basic authentication; replaces any bearer token.
     *
     * @param userInfo {@code user:password}
     */
    public SchemaRegistryConfig withBasicAuth(String userInfo) {
        if (userInfo == null || userInfo.indexOf(':') <= 0) {
            throw new IllegalArgumentException(
                    "Basic auth credentials must have the form user:password");
        }
        return new SchemaRegistryConfig(url, userInfo, null, timeout);
    }

    /** A copy that sends {@code Authorization: Bearer <token>}; replaces any basic auth. */
    public SchemaRegistryConfig withBearerToken(String token) {
        if (token == null || token.isBlank()) {
            throw new IllegalArgumentException("Bearer token must not be blank");
        }
        return new SchemaRegistryConfig(url, null, token.trim(), timeout);
    }

    /** A copy whose connect and request timeout is {@code timeout}. */
    public SchemaRegistryConfig withTimeout(Duration timeout) {
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("Timeout must be positive, got " + timeout);
        }
        return new SchemaRegistryConfig(url, basicAuthUserInfo, bearerToken, timeout);
    }

    /** Base URL without credentials or trailing slash, e.g. {@code http://127.0.0.1:8081}. */
    public String url() {
        return url;
    }

    /** Connect and request timeout. */
    public Duration timeout() {
        return timeout;
    }

    /** Which authentication is configured: {@code none}, {@code basic} or {@code bearer}. */
    public String authMethod() {
        return basicAuthUserInfo != null ? "basic" : bearerToken != null ? "bearer" : "none";
    }

    /** The {@code Authorization} header value, or null without authentication. */
    String authorizationHeader() {
        if (basicAuthUserInfo != null) {
            return "Basic "
                    + Base64.getEncoder()
                            .encodeToString(basicAuthUserInfo.getBytes(StandardCharsets.UTF_8));
        }
        if (bearerToken != null) {
            return "Bearer " + bearerToken;
        }
        return null;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof SchemaRegistryConfig)) {
            return false;
        }
        SchemaRegistryConfig that = (SchemaRegistryConfig) o;
        return url.equals(that.url)
                && Objects.equals(basicAuthUserInfo, that.basicAuthUserInfo)
                && Objects.equals(bearerToken, that.bearerToken)
                && timeout.equals(that.timeout);
    }

    @Override
    public int hashCode() {
        return Objects.hash(url, basicAuthUserInfo, bearerToken, timeout);
    }

    @Override
    public String toString() {
        return "SchemaRegistryConfig{url="
                + url
                + ", auth="
                + authMethod()
                + ", timeout="
                + timeout
                + '}';
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.trim();
    }

    private static String redact(URI uri) {
        return uri.getUserInfo() == null
                ? uri.toString()
                : uri.toString().replace(uri.getRawUserInfo() + "@", "***@");
    }
}
