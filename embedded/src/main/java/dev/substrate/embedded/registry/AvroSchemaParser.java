package dev.substrate.embedded.registry;

import dev.substrate.schemas.registry.SchemaReference;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.Schema;

/**
 * Parses an Avro schema whose named types may come from other subjects (schema references), the way
 * Confluent's registry does: every referenced version's own references first, then the referenced
 * version, all into one {@link Schema.Parser}, then the schema itself.
 */
final class AvroSchemaParser {

    /** Finds the version a reference points to: version -1 is the latest live version. */
    interface ReferenceLookup {
        /** The referenced version, or null when the subject has no such version. */
        ReferencedVersion find(String subject, int version);
    }

    /** A registered version a reference resolved to. */
    record ReferencedVersion(int version, StoredSchema schema) {}

    /** A parsed schema: canonical text, references with versions resolved, resolved schema. */
    record Parsed(String canonical, List<SchemaReference> references, Schema schema) {}

    private AvroSchemaParser() {}

    /**
     * Parses {@code text} with the types its {@code references} define.
     *
     * @throws RegistryError 42201 when a reference does not resolve or the text is not a valid Avro
     *     schema with those types
     */
    static Parsed parse(String text, List<SchemaReference> references, ReferenceLookup lookup) {
        Map<String, String> definitions = new LinkedHashMap<>();
        Set<String> visited = new HashSet<>();
        List<SchemaReference> resolved = new ArrayList<>(references.size());
        for (SchemaReference reference : references) {
            ReferencedVersion target = find(lookup, reference.subject(), reference.version());
            resolved.add(
                    new SchemaReference(reference.name(), reference.subject(), target.version()));
            collect(reference.name(), target.schema(), lookup, definitions, visited);
        }
        try {
            Schema.Parser parser = new Schema.Parser();
            for (String definition : definitions.values()) {
                parser.parse(definition);
            }
            Collection<Schema> referencedTypes = new ArrayList<>(parser.getTypes().values());
            Schema schema = parser.parse(text);
            String canonical =
                    referencedTypes.isEmpty() ? schema.toString() : byName(schema, referencedTypes);
            return new Parsed(canonical, List.copyOf(resolved), schema);
        } catch (RuntimeException e) {
            // Avro reports bad JSON, unknown types, bad names and bad defaults with different
            // runtime exceptions; all of them mean the same thing to the caller.
            throw RegistryError.invalidSchema(e.getMessage());
        }
    }

    /** Adds the definition of {@code name} after those of its own references, once per name. */
    private static void collect(
            String name,
            StoredSchema schema,
            ReferenceLookup lookup,
            Map<String, String> definitions,
            Set<String> visited) {
        if (!visited.add(name)) {
            return;
        }
        for (SchemaReference nested : schema.references()) {
            ReferencedVersion target = find(lookup, nested.subject(), nested.version());
            collect(nested.name(), target.schema(), lookup, definitions, visited);
        }
        definitions.put(name, schema.canonical());
    }

    private static ReferencedVersion find(ReferenceLookup lookup, String subject, int version) {
        ReferencedVersion target = lookup.find(subject, version);
        if (target == null) {
            throw RegistryError.invalidSchema(
                    "No schema reference found for subject \""
                            + subject
                            + "\" and version "
                            + version
                            + "; register the referenced schema first");
        }
        return target;
    }

    /**
     * The schema's JSON with the referenced types by name only, as Confluent stores it. Avro 1.12
     * deprecates this printer but offers no other that leaves known types out.
     */
    @SuppressWarnings("deprecation")
    private static String byName(Schema schema, Collection<Schema> referencedTypes) {
        return schema.toString(referencedTypes, false);
    }
}
