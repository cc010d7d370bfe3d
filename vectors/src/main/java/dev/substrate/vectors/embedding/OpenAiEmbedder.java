package dev.substrate.vectors.embedding;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import javax.annotation.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Embeddings from an OpenAI-compatible HTTP endpoint ({@code POST <base-url>/embeddings}): vLLM,
 * Ollama, text-embeddings-inference, OpenAI. Texts go in requests of at most {@code batchSize};
 * what a retry may cure (connection failures, timeouts, 408, 429, 5xx) is retried with exponential
 * backoff and jitter, honouring {@code Retry-After}, up to {@code maxAttempts}; anything else fails
 * at once with the endpoint's own words. The API key comes from an environment variable and is
 * never logged.
 *
 * <pre>{@code
 * Embedder embedder = OpenAiEmbedder.builder()
 *         .baseUrl("http://vllm:8000/v1")
 *         .model("BAAI/bge-small-en-v1.5")
 *         .apiKey(System.getenv("SUBSTRATE_EMBEDDINGS_API_KEY"))
 *         .build();
 * }</pre>
 */
public final class OpenAiEmbedder implements Embedder {

    private static final Logger LOG = LoggerFactory.getLogger(OpenAiEmbedder.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI endpoint;
    private final String modelName;
    private final String modelId;
    @Nullable private final String apiKey;
    private final int batchSize;
    private final int maxAttempts;
    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final Duration requestTimeout;
    private final HttpClient http;
    private volatile int dimensions;

    private OpenAiEmbedder(Builder builder) {
        String base = builder.baseUrl.endsWith("/") ? builder.baseUrl : builder.baseUrl + "/";
        this.endpoint = URI.create(base).resolve("embeddings");
        this.modelName = builder.model;
        this.modelId = builder.model + "@" + builder.modelVersion;
        this.apiKey = builder.apiKey;
        this.batchSize = builder.batchSize;
        this.maxAttempts = builder.maxAttempts;
        this.initialBackoff = builder.initialBackoff;
        this.maxBackoff = builder.maxBackoff;
        this.requestTimeout = builder.requestTimeout;
        this.dimensions = builder.dimensions;
        this.http =
                HttpClient.newBuilder()
                        .connectTimeout(builder.requestTimeout)
                        .version(HttpClient.Version.HTTP_1_1)
                        .build();
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String model() {
        return modelId;
    }

    /**
     * The vectors' dimension: as configured, or learned from the endpoint's first answer (a probe
     * request when nothing was embedded yet).
     */
    @Override
    public int dimensions() {
        if (dimensions == 0) {
            try {
                embed(List.of("dimension probe"));
            } catch (EmbeddingException e) {
                throw new IllegalStateException(
                        "Cannot learn the dimension of " + modelId + ": " + e.getMessage(), e);
            }
        }
        return dimensions;
    }

    public URI endpoint() {
        return endpoint;
    }

    @Override
    public List<float[]> embed(List<String> texts) throws EmbeddingException {
        List<float[]> vectors = new ArrayList<>(texts.size());
        for (int from = 0; from < texts.size(); from += batchSize) {
            vectors.addAll(request(texts.subList(from, Math.min(texts.size(), from + batchSize))));
        }
        return vectors;
    }

    private List<float[]> request(List<String> texts) throws EmbeddingException {
        ObjectNode body = JSON.createObjectNode();
        body.put("model", modelName);
        ArrayNode input = body.putArray("input");
        texts.forEach(input::add);
        body.put("encoding_format", "float");
        HttpRequest.Builder request =
                HttpRequest.newBuilder(endpoint)
                        .timeout(requestTimeout)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
        if (apiKey != null && !apiKey.isEmpty()) {
            request.header("Authorization", "Bearer " + apiKey);
        }
        HttpRequest built = request.build();

        Duration backoff = initialBackoff;
        String lastProblem = null;
        for (int attempt = 1; attempt <= maxAttempts; attempt++) {
            Duration wait = backoff;
            try {
                HttpResponse<String> response =
                        http.send(built, HttpResponse.BodyHandlers.ofString());
                int status = response.statusCode();
                if (status == 200) {
                    return parse(response.body(), texts.size());
                }
                lastProblem = "HTTP " + status + ": " + errorMessage(response.body());
                if (!retryable(status)) {
                    throw new EmbeddingException(
                            endpoint + " refused the request (" + lastProblem + ")" + hint(status),
                            status == 400 || status == 413 || status == 422);
                }
                Duration retryAfter = retryAfter(response);
                if (retryAfter != null) {
                    wait = retryAfter.compareTo(maxBackoff) > 0 ? maxBackoff : retryAfter;
                }
            } catch (IOException e) {
                lastProblem = e.getClass().getSimpleName() + ": " + e.getMessage();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new EmbeddingException("Interrupted while calling " + endpoint, false, e);
            }
            if (attempt < maxAttempts) {
                LOG.warn(
                        "Embedding request to {} failed (attempt {} of {}): {}; retrying in {} ms",
                        endpoint,
                        attempt,
                        maxAttempts,
                        lastProblem,
                        wait.toMillis());
                sleep(jitter(wait));
                backoff = backoff.multipliedBy(2);
                if (backoff.compareTo(maxBackoff) > 0) {
                    backoff = maxBackoff;
                }
            }
        }
        throw new EmbeddingException(
                endpoint + " failed " + maxAttempts + " attempts; the last: " + lastProblem, false);
    }

    private List<float[]> parse(String body, int expected) throws EmbeddingException {
        JsonNode data;
        try {
            data = JSON.readTree(body).path("data");
        } catch (IOException e) {
            throw new EmbeddingException(endpoint + " answered with invalid JSON", false, e);
        }
        if (!data.isArray() || data.size() != expected) {
            throw new EmbeddingException(
                    endpoint
                            + " answered "
                            + (data.isArray() ? data.size() : 0)
                            + " embeddings for "
                            + expected
                            + " texts",
                    false);
        }
        float[][] vectors = new float[expected][];
        for (JsonNode item : data) {
            int index = item.path("index").asInt(-1);
            JsonNode embedding = item.path("embedding");
            if (index < 0 || index >= expected || !embedding.isArray()) {
                throw new EmbeddingException(
                        endpoint + " answered an embedding without a valid index", false);
            }
            float[] vector = new float[embedding.size()];
            for (int i = 0; i < vector.length; i++) {
                vector[i] = (float) embedding.get(i).asDouble();
            }
            if (dimensions == 0) {
                dimensions = vector.length;
            } else if (vector.length != dimensions) {
                throw new EmbeddingException(
                        endpoint
                                + " answered a "
                                + vector.length
                                + "-dimensional embedding, expected "
                                + dimensions,
                        false);
            }
            vectors[index] = vector;
        }
        for (float[] vector : vectors) {
            if (vector == null) {
                throw new EmbeddingException(
                        endpoint + " answered the same index twice and left one out", false);
            }
        }
        return List.of(vectors);
    }

    private static boolean retryable(int status) {
        return status == 408 || status == 429 || status >= 500;
    }

    private static String hint(int status) {
        return switch (status) {
            case 401, 403 ->
                    ": check the API key in "
                            + EmbedderConfig.API_KEY_ENV
                            + " (never put it in a config file)";
            case 404 -> ": check the base URL (it ends before /embeddings, e.g. .../v1) and model";
            default -> "";
        };
    }

    private static String errorMessage(String body) {
        try {
            JsonNode error = JSON.readTree(body).path("error");
            String message = error.isTextual() ? error.asText() : error.path("message").asText("");
            if (!message.isEmpty()) {
                return message;
            }
        } catch (IOException e) {
            // not JSON: show the start of the body
        }
        return body.length() > 200 ? body.substring(0, 200) + "..." : body;
    }

    @Nullable
    private static Duration retryAfter(HttpResponse<?> response) {
        return response.headers()
                .firstValue("Retry-After")
                .map(
                        value -> {
                            try {
                                return Duration.ofMillis(
                                        (long) (Double.parseDouble(value.trim()) * 1000));
                            } catch (NumberFormatException e) {
                                return null; // an HTTP date: use our own backoff
                            }
                        })
                .orElse(null);
    }

    private static Duration jitter(Duration wait) {
        long millis = wait.toMillis();
        return Duration.ofMillis(millis + ThreadLocalRandom.current().nextLong(millis / 5 + 1));
    }

    private static void sleep(Duration wait) throws EmbeddingException {
        try {
            Thread.sleep(wait.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EmbeddingException("Interrupted while waiting to retry", false, e);
        }
    }

    @Override
    public void close() {
        // java.net.http.HttpClient (Java 17) has nothing to close; its threads are daemons.
    }

    /** Builds an {@link OpenAiEmbedder}; base URL and model are required. */
    public static final class Builder {
        private String baseUrl;
        private String model;
        private String modelVersion = "1";
        @Nullable private String apiKey;
        private int batchSize = 64;
        private int maxAttempts = 5;
        private Duration initialBackoff = Duration.ofMillis(200);
        private Duration maxBackoff = Duration.ofSeconds(5);
        private Duration requestTimeout = Duration.ofSeconds(30);
        private int dimensions;

        private Builder() {}

        /** Up to and without {@code /embeddings}, for example {@code http://ollama:11434/v1}. */
        public Builder baseUrl(String baseUrl) {
            this.baseUrl = baseUrl;
            return this;
        }

        /** The model name the endpoint knows. */
        public Builder model(String model) {
            this.model = model;
            return this;
        }

        /** Stored with the model name, so vectors of an older version can be re-embedded. */
        public Builder modelVersion(String modelVersion) {
            this.modelVersion = modelVersion;
            return this;
        }

        /** The bearer token, or null for endpoints without authentication. */
        public Builder apiKey(@Nullable String apiKey) {
            this.apiKey = apiKey;
            return this;
        }

        public Builder batchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        public Builder maxAttempts(int maxAttempts) {
            this.maxAttempts = maxAttempts;
            return this;
        }

        public Builder backoff(Duration initial, Duration max) {
            this.initialBackoff = initial;
            this.maxBackoff = max;
            return this;
        }

        public Builder requestTimeout(Duration requestTimeout) {
            this.requestTimeout = requestTimeout;
            return this;
        }

        /** The expected dimension; 0 (default) learns it from the first answer. */
        public Builder dimensions(int dimensions) {
            this.dimensions = dimensions;
            return this;
        }

        public OpenAiEmbedder build() {
            Objects.requireNonNull(baseUrl, "baseUrl");
            Objects.requireNonNull(model, "model");
            try {
                URI uri = URI.create(baseUrl);
                if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
                    throw new IllegalArgumentException("not http(s)");
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "Bad embeddings URL '"
                                + baseUrl
                                + "': expected http(s)://host:port/v1 ("
                                + e.getMessage()
                                + ")");
            }
            if (batchSize < 1 || maxAttempts < 1 || dimensions < 0) {
                throw new IllegalArgumentException(
                        "batchSize and maxAttempts must be at least 1, dimensions at least 0");
            }
            if (initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0) {
                throw new IllegalArgumentException("backoff: 0 <= initial <= max");
            }
            return new OpenAiEmbedder(this);
        }
    }
}
