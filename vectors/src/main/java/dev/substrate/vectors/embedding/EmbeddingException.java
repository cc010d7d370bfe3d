package dev.substrate.vectors.embedding;

/**
 * A text could not be embedded. The message says why, for a person: the endpoint that refused or
 * could not be reached, and after how many attempts.
 */
public class EmbeddingException extends Exception {

    private static final long serialVersionUID = 1L;

    private final boolean perText;

    /**
     * @param perText true when the backend refused these texts (a request a retry cannot cure, such
     *     as 400 Bad Request), so that a batch is worth splitting to find the culprit; false when
     *     the backend itself failed (unreachable, refused the key), which every text shares
     */
    public EmbeddingException(String message, boolean perText, Throwable cause) {
        super(message, cause);
        this.perText = perText;
    }

    public EmbeddingException(String message, boolean perText) {
        super(message);
        this.perText = perText;
    }

    public boolean isPerText() {
        return perText;
    }
}
