package dev.substrate.sinks.lake;

/**
 * A lake table cannot follow a schema change (a rename, a narrowing or another type change): the
 * message names the table, the column, both types and what to do instead.
 */
public class LakeSchemaChangeException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    public LakeSchemaChangeException(String message) {
        super(message);
    }
}
