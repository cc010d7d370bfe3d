package dev.substrate.schemas.registry;

/**
 * A schema's use of a named type registered under another subject, as in the Confluent Schema
 * Registry: for Avro, {@code name} is the full name of the referenced record, enum or fixed type,
 * and {@code subject} and {@code version} say which registered version defines it. Version -1 means
 * the latest version at registration time; the registry stores the version it resolved.
 *
 * <pre>{@code
 * client.register("orders-value", Order.getClassSchema(),
 *         List.of(new SchemaReference("dev.example.Address", "address-value", 1)));
 * }</pre>
 */
public record SchemaReference(String name, String subject, int version) {

    /** The version number that asks for the subject's latest version. */
    public static final int LATEST = -1;

    public SchemaReference {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("A schema reference needs the referenced type name");
        }
        if (subject == null || subject.isEmpty()) {
            throw new IllegalArgumentException(
                    "Schema reference '" + name + "' needs the subject that defines it");
        }
        if (version != LATEST && version < 1) {
            throw new IllegalArgumentException(
                    "Schema reference '"
                            + name
                            + "' has version "
                            + version
                            + "; use a version number >= 1, or -1 for the latest");
        }
    }
}
