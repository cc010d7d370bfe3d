package dev.substrate.embedded.registry;

import dev.substrate.schemas.registry.SchemaReference;
import java.util.List;
import org.apache.avro.Schema;

/**
 * A schema under its global id: the text the registry serves ({@code canonical}, with referenced
 * types by name only), the references that define those types, and the parsed schema with every
 * referenced type resolved.
 */
record StoredSchema(int id, String canonical, List<SchemaReference> references, Schema schema) {

    StoredSchema {
        references = List.copyOf(references);
    }

    /** What makes two registrations "the same schema": its text and its references. */
    record Identity(String canonical, List<SchemaReference> references) {}

    Identity identity() {
        return new Identity(canonical, references);
    }
}
