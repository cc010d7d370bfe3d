package dev.substrate.vectors.embedding;

import java.io.Serializable;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import javax.annotation.Nullable;

/**
 * Which embedder to open, as a serializable value (a Flink job ships it to its tasks, which open
 * the embedder there). Secrets are not in it: the API key is read from the environment variable
 * {@value #API_KEY_ENV} where the embedder is opened.
 *
 * <pre>{@code
 * EmbedderConfig minilm = EmbedderConfig.miniLm(Path.of(".substrate/vectors-work"));
 * EmbedderConfig vllm = EmbedderConfig.openAi("http://vllm:8000/v1", "BAAI/bge-small-en-v1.5", "1");
 * try (Embedder embedder = vllm.open(System.getenv())) { ... }
 * }</pre>
 */
public final class EmbedderConfig implements Serializable {

    private static final long serialVersionUID = 1L;

    /** The environment variable holding the API key of an OpenAI-compatible endpoint. */
    public static final String API_KEY_ENV = "SUBSTRATE_EMBEDDINGS_API_KEY";

    /** Which implementation. */
    public enum Provider {
        /** all-MiniLM-L6-v2 (quantized) in this process. */
        MINILM,
        /** An OpenAI-compatible {@code /v1/embeddings} endpoint. */
        OPENAI
    }

    private final Provider provider;
    @Nullable private final String workDir;
    @Nullable private final String baseUrl;
    @Nullable private final String model;
    @Nullable private final String modelVersion;
    private final int requestBatchSize;
    private final int maxAttempts;
    private final Duration requestTimeout;

    private EmbedderConfig(
            Provider provider,
            @Nullable String workDir,
            @Nullable String baseUrl,
            @Nullable String model,
            @Nullable String modelVersion,
            int requestBatchSize,
            int maxAttempts,
            Duration requestTimeout) {
        this.provider = provider;
        this.workDir = workDir;
        this.baseUrl = baseUrl;
        this.model = model;
        this.modelVersion = modelVersion;
        this.requestBatchSize = requestBatchSize;
        this.maxAttempts = maxAttempts;
        this.requestTimeout = requestTimeout;
    }

    /** MiniLM in process, unpacking its native libraries under {@code workDir}. */
    public static EmbedderConfig miniLm(Path workDir) {
        return new EmbedderConfig(
                Provider.MINILM,
                workDir.toString(),
                null,
                null,
                null,
                64,
                1,
                Duration.ofSeconds(30));
    }

    /**
     * The OpenAI-compatible endpoint at {@code baseUrl} (up to {@code /v1}) serving {@code model}.
     */
    public static EmbedderConfig openAi(String baseUrl, String model, String modelVersion) {
        return new EmbedderConfig(
                Provider.OPENAI, null, baseUrl, model, modelVersion, 64, 5, Duration.ofSeconds(30));
    }

    /** This endpoint with requests of at most {@code size} texts, {@code attempts} tries each. */
    public EmbedderConfig withRequests(int size, int attempts, Duration timeout) {
        return new EmbedderConfig(
                provider, workDir, baseUrl, model, modelVersion, size, attempts, timeout);
    }

    public Provider provider() {
        return provider;
    }

    /**
     * Opens the embedder, reading the API key (if any) from {@code environment}.
     *
     * @throws IllegalArgumentException when the configuration is incomplete
     */
    public Embedder open(Map<String, String> environment) {
        return switch (provider) {
            case MINILM -> MiniLmEmbedder.open(Path.of(Objects.requireNonNull(workDir)));
            case OPENAI ->
                    OpenAiEmbedder.builder()
                            .baseUrl(baseUrl)
                            .model(model)
                            .modelVersion(modelVersion)
                            .apiKey(environment.get(API_KEY_ENV))
                            .batchSize(requestBatchSize)
                            .maxAttempts(maxAttempts)
                            .requestTimeout(requestTimeout)
                            .build();
        };
    }

    /**
     * The longest one embedding call may take before a document is given up on (all attempts and
     * backoffs), for timeouts around it.
     */
    public Duration worstCase() {
        // attempts x timeout plus backoffs (at most 5 s each).
        return requestTimeout.multipliedBy(maxAttempts).plusSeconds(5L * (maxAttempts - 1));
    }

    /** The model as stored with vectors, without opening anything where that is possible. */
    @Nullable
    public String modelId() {
        return provider == Provider.MINILM ? MiniLmEmbedder.modelId() : model + "@" + modelVersion;
    }

    @Override
    public String toString() {
        return provider == Provider.MINILM
                ? "MiniLM in process (" + MiniLmEmbedder.modelId() + ")"
                : model + "@" + modelVersion + " at " + baseUrl;
    }
}
