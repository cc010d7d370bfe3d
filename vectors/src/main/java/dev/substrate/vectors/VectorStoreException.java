package dev.substrate.vectors;

/**
 * A store cannot do what was asked, for a reason a person can act on: the index is missing, locked
 * by another writer, of another vector dimension; a filter names a key no document has; a remote
 * store cannot be reached. The message names the store and the fix.
 */
public class VectorStoreException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public VectorStoreException(String message) {
        super(message);
    }

    public VectorStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
