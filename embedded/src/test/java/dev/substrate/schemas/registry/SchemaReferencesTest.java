package dev.substrate.schemas.registry;

import static dev.substrate.schemas.registry.RegistryTestSupport.failure;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.substrate.embedded.registry.EmbeddedSchemaRegistry;
import dev.substrate.events.AuditAction;
import dev.substrate.events.AuditEvent;
import dev.substrate.events.AuditOutcome;
import dev.substrate.events.DataClassification;
import dev.substrate.schemas.wire.AvroWireDecoder;
import dev.substrate.schemas.wire.AvroWireEncoder;
import dev.substrate.schemas.wire.DecodeResult;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Avro schema references (a named type registered under another subject) through the embedded
 * registry and the project's client: stored and served with their references, resolved for
 * compatibility, protected from deletion while used, and resolved again by the client so the wire
 * decoder reads records written with such schemas.
 */
class SchemaReferencesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ADDRESS_NAME = "dev.substrate.test.Address";
    private static final String ADDRESS_V1 =
            "{\"type\":\"record\",\"name\":\"Address\",\"namespace\":\"dev.substrate.test\","
                    + "\"fields\":[{\"name\":\"street\",\"type\":\"string\"}]}";
    private static final String ADDRESS_V2 =
            "{\"type\":\"record\",\"name\":\"Address\",\"namespace\":\"dev.substrate.test\","
                    + "\"fields\":[{\"name\":\"street\",\"type\":\"string\"},"
                    + "{\"name\":\"zip\",\"type\":\"string\"}]}";

    /** Uses Address by name only: it needs a reference to parse. */
    private static final String ORDER =
            "{\"type\":\"record\",\"name\":\"Order\",\"namespace\":\"dev.substrate.test\","
                    + "\"fields\":[{\"name\":\"id\",\"type\":\"string\"},"
                    + "{\"name\":\"ship_to\",\"type\":\"Address\"}]}";

    @TempDir Path stateDir;
    private EmbeddedSchemaRegistry registry;
    private SchemaRegistryClient client;

    @BeforeEach
    void startRegistry() throws Exception {
        registry = EmbeddedSchemaRegistry.start(stateDir, "127.0.0.1", 0);
        client = new SchemaRegistryClient(SchemaRegistryConfig.of(registry.url()));
        client.setCompatibility("address-value", CompatibilityLevel.NONE);
        client.register("address-value", new Schema.Parser().parse(ADDRESS_V1));
        client.register("address-value", new Schema.Parser().parse(ADDRESS_V2));
    }

    @AfterEach
    void stopRegistry() {
        client.close();
        registry.close();
    }

    @Test
    void aSchemaWithReferencesIsStoredAndServedWithThem() throws Exception {
        int id = registerOrder("order-value", 1);

        JsonNode byId = client.send("GET", "/schemas/ids/" + id, null);
        assertThat(byId.get("schema").asText())
                .contains("\"type\":\"Address\"")
                .doesNotContain("street");
        assertThat(byId.get("references").toString())
                .isEqualTo(
                        "[{\"name\":\"dev.substrate.test.Address\",\"subject\":\"address-value\","
                                + "\"version\":1}]");
        JsonNode version = client.send("GET", "/subjects/order-value/versions/1", null);
        assertThat(version.get("references")).isEqualTo(byId.get("references"));
        assertThat(version.get("id").asInt()).isEqualTo(id);

        // Looked up with its references, or sent whole as a producer has it: the same version.
        assertThat(client.send("POST", "/subjects/order-value", orderBody(1)).get("id").asInt())
                .isEqualTo(id);
        try (SchemaRegistryClient fresh = freshClient()) {
            assertThat(fresh.getSchemaById(id)).isEqualTo(orderWithAddress(ADDRESS_V1));
            assertThat(fresh.getVersion("order-value", 1).schema())
                    .isEqualTo(orderWithAddress(ADDRESS_V1));
            assertThat(fresh.getId("order-value", orderWithAddress(ADDRESS_V1))).isEqualTo(id);
            assertThat(fresh.register("order-value", orderWithAddress(ADDRESS_V1))).isEqualTo(id);
            assertThat(fresh.getVersions("order-value")).containsExactly(1);
        }
    }

    @Test
    void aReferenceToTheLatestVersionIsStoredWithTheVersionItResolvedTo() throws Exception {
        int id = registerOrder("order-value", -1);
        assertThat(
                        client.send("GET", "/schemas/ids/" + id, null)
                                .at("/references/0/version")
                                .asInt())
                .isEqualTo(2);
        try (SchemaRegistryClient fresh = freshClient()) {
            assertThat(fresh.getSchemaById(id)).isEqualTo(orderWithAddress(ADDRESS_V2));
        }
    }

    @Test
    void referencesThatDoNotResolveAre42201() {
        SchemaRegistryException missingVersion =
                failure(() -> register("order-value", ORDER, reference("address-value", 9)));
        assertThat(missingVersion.errorCode()).isEqualTo(42201);
        assertThat(missingVersion.getMessage())
                .contains("No schema reference found")
                .contains("address-value")
                .contains("9");
        assertThat(
                        failure(() -> register("order-value", ORDER, reference("nowhere-value", 1)))
                                .errorCode())
                .isEqualTo(42201);
        assertThat(
                        failure(() -> register("order-value", ORDER, JSON.createArrayNode()))
                                .errorCode())
                .as("Address is unknown without its reference")
                .isEqualTo(42201);
        ArrayNode nameless = JSON.createArrayNode();
        nameless.addObject().put("subject", "address-value").put("version", 1);
        assertThat(failure(() -> register("order-value", ORDER, nameless)).errorCode())
                .isEqualTo(42201);
    }

    @Test
    void compatibilityIsCheckedWithTheReferencedTypesResolved() throws Exception {
        registerOrder("order-value", 1);

        ObjectNode toV2 = orderBody(2);
        assertThat(
                        client.send(
                                        "POST",
                                        "/compatibility/subjects/order-value/versions/latest",
                                        toV2)
                                .get("is_compatible")
                                .asBoolean())
                .isFalse();
        SchemaRegistryException incompatible = failure(() -> registerOrder("order-value", 2));
        assertThat(incompatible.errorCode()).isEqualTo(409);
        assertThat(incompatible.getMessage()).contains("zip");

        client.setCompatibility("order-value", CompatibilityLevel.FORWARD);
        assertThat(registerOrder("order-value", 2)).isPositive();
        assertThat(client.getVersions("order-value")).containsExactly(1, 2);
    }

    @Test
    void aReferencedVersionCannotBeDeletedWhileAVersionUsesIt() throws Exception {
        int orderId = registerOrder("order-value", 1);
        String addressV1 = "/subjects/address-value/versions/1";
        assertThat(client.send("GET", addressV1 + "/referencedby", null).toString())
                .isEqualTo("[" + orderId + "]");

        SchemaRegistryException version = failure(() -> client.send("DELETE", addressV1, null));
        assertThat(version.httpStatus()).isEqualTo(422);
        assertThat(version.errorCode()).isEqualTo(42206);
        assertThat(version.getMessage())
                .contains("address-value")
                .contains(String.valueOf(orderId));
        assertThat(
                        failure(() -> client.send("DELETE", "/subjects/address-value", null))
                                .errorCode())
                .isEqualTo(42206);

        // A soft-deleted referrer no longer blocks a soft delete, but still blocks a permanent one:
        // registering it again would need the referenced version.
        client.send("DELETE", "/subjects/order-value", null);
        assertThat(client.send("GET", addressV1 + "/referencedby", null).toString())
                .isEqualTo("[]");
        assertThat(client.send("GET", addressV1 + "/referencedby?deleted=true", null).toString())
                .isEqualTo("[" + orderId + "]");
        assertThat(client.send("DELETE", addressV1, null).asInt()).isEqualTo(1);
        assertThat(
                        failure(() -> client.send("DELETE", addressV1 + "?permanent=true", null))
                                .errorCode())
                .isEqualTo(42206);
        try (SchemaRegistryClient fresh = freshClient()) {
            assertThat(fresh.getSchemaById(orderId))
                    .as("data written with a soft-deleted schema still decodes")
                    .isEqualTo(orderWithAddress(ADDRESS_V1));
        }

        client.send("DELETE", "/subjects/order-value?permanent=true", null);
        assertThat(client.send("DELETE", addressV1 + "?permanent=true", null).asInt()).isEqualTo(1);
    }

    @Test
    void recordsWrittenWithAReferencingSchemaDecodeThroughTheWireDecoder() throws Exception {
        Schema action = AuditEvent.getClassSchema().getField("action").schema();
        client.register("audit-action-value", action);
        int id =
                client.register(
                        "substrate.audit-events-value",
                        AuditEvent.getClassSchema(),
                        List.of(
                                new SchemaReference(
                                        action.getFullName(), "audit-action-value", 1)));
        JsonNode stored = client.send("GET", "/schemas/ids/" + id, null);
        // The enum is referenced, not inlined: its definition (its symbols) is not in the text.
        // (Field docs may name a symbol: AuditEvent v2's do.)
        assertThat(stored.get("schema").asText()).doesNotContain("\"ROLE_CHANGE\",");
        assertThat(stored.at("/references/0/name").asText())
                .isEqualTo("dev.substrate.events.AuditAction");

        AuditEvent event =
                AuditEvent.newBuilder()
                        .setEventId("evt-1")
                        .setTimestamp(Instant.parse("2026-11-26T10:15:30Z"))
                        .setPrincipal("alice@example.com")
                        .setAction(AuditAction.MODEL_DEPLOY)
                        .setResource("model/llama")
                        .setDataClassification(DataClassification.RESTRICTED)
                        .setOutcome(AuditOutcome.DENIED)
                        .setAuthMethod("mfa")
                        .setEncryptedInTransit(true)
                        .setSourceAddress("10.0.0.7")
                        .build();
        byte[] frame = AvroWireEncoder.forSchemaId(id, AuditEvent.getClassSchema()).encode(event);

        try (SchemaRegistryClient fresh = freshClient()) {
            DecodeResult<AuditEvent> decoded =
                    new AvroWireDecoder<>(fresh, AuditEvent.class).decode(frame);
            assertThat(decoded.ok()).as(String.valueOf(decoded.message())).isTrue();
            assertThat(decoded.record()).isEqualTo(event);
            assertThat(decoded.schemaId()).isEqualTo(id);
        }
    }

    @Test
    void registeringWithAReferenceToADifferentDefinitionIsRefused() {
        assertThatThrownBy(
                        () ->
                                client.register(
                                        "order-value",
                                        orderWithAddress(ADDRESS_V2),
                                        List.of(
                                                new SchemaReference(
                                                        ADDRESS_NAME, "address-value", 1))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("order-value")
                .hasMessageContaining("address-value");
    }

    private int registerOrder(String subject, int addressVersion) throws SchemaRegistryException {
        return register(subject, ORDER, reference("address-value", addressVersion))
                .get("id")
                .asInt();
    }

    private JsonNode register(String subject, String schema, ArrayNode references)
            throws SchemaRegistryException {
        ObjectNode body = JSON.createObjectNode().put("schema", schema);
        body.set("references", references);
        return client.send("POST", "/subjects/" + subject + "/versions", body);
    }

    private static ObjectNode orderBody(int addressVersion) {
        ObjectNode body = JSON.createObjectNode().put("schema", ORDER);
        body.set("references", reference("address-value", addressVersion));
        return body;
    }

    private static ArrayNode reference(String subject, int version) {
        ArrayNode references = JSON.createArrayNode();
        references
                .addObject()
                .put("name", ADDRESS_NAME)
                .put("subject", subject)
                .put("version", version);
        return references;
    }

    /** The order schema as a producer has it: the address type inlined. */
    private static Schema orderWithAddress(String address) {
        Schema.Parser parser = new Schema.Parser();
        parser.parse(address);
        return parser.parse(ORDER);
    }

    private SchemaRegistryClient freshClient() {
        return new SchemaRegistryClient(SchemaRegistryConfig.of(registry.url()));
    }
}
