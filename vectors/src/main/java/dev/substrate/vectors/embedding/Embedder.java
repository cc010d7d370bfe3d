package dev.substrate.vectors.embedding;

import java.util.List;

/**
 * Turns texts into vectors. Two implementations: {@link MiniLmEmbedder} (in process, the default)
 * and {@link OpenAiEmbedder} (any OpenAI-compatible {@code /v1/embeddings} endpoint: vLLM, Ollama,
 * OpenAI). Implementations are thread-safe.
 */
public interface Embedder extends AutoCloseable {

    /**
     * The model as {@code name@version}: stored with every vector, so vectors of an older model can
     * be found and embedded again.
     */
    String model();

    /** The vectors' dimension. */
    int dimensions();

    /**
     * The vectors of {@code texts}, in their order. Implementations batch as their backend likes
     * and retry what a retry may cure.
     *
     * @throws EmbeddingException when a vector cannot be made, with the reason; {@link
     *     EmbeddingException#isPerText()} says whether the texts (not the backend) were at fault
     */
    List<float[]> embed(List<String> texts) throws EmbeddingException;

    @Override
    void close();
}
