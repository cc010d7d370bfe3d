package dev.substrate.sinks.lake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.substrate.embedded.registry.EmbeddedSchemaRegistry;
import dev.substrate.schemas.registry.RegisteredSchema;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.schemas.registry.SchemaRegistryException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegisteredFieldUnionTest {

    private static final String SUBJECT = "readings-value";

    @TempDir Path dir;

    private EmbeddedSchemaRegistry registry;
    private CountingClient client;

    @BeforeEach
    void startRegistry() throws Exception {
        registry = EmbeddedSchemaRegistry.start(dir.resolve("registry"), "127.0.0.1", 0);
        client = new CountingClient(SchemaRegistryConfig.of(registry.url()));
    }

    @AfterEach
    void stopRegistry() {
        client.close();
        registry.close();
    }

    static Schema reading(String... fields) {
        StringBuilder json =
                new StringBuilder(
                        "{\"type\":\"record\",\"name\":\"Reading\",\"namespace\":\"t\",\"fields\":[");
        for (int i = 0; i < fields.length; i++) {
            json.append(i == 0 ? "" : ",").append(fields[i]);
        }
        return new Schema.Parser().parse(json.append("]}").toString());
    }

    static final String ID = "{\"name\":\"id\",\"type\":\"string\"}";
    static final String XID = "{\"name\":\"xid\",\"type\":\"int\",\"default\":0}";
    static final String NOTE =
            "{\"name\":\"note\",\"type\":[\"null\",\"string\"],\"default\":null}";

    @Test
    void nothingRegisteredIsEmpty() throws Exception {
        RegisteredFieldUnion union = new RegisteredFieldUnion(SUBJECT);
        assertThat(union.refresh(client)).isEmpty();
        assertThat(union.anyRegistered()).isFalse();
    }

    @Test
    void anOlderVersionRegisteredAsLatestHidesNoField() throws Exception {
        client.register(SUBJECT, reading(ID, XID));
        // An older producer registers its schema without xid: now the subject's latest version.
        client.register(SUBJECT, reading(ID));
        assertThat(client.getLatest(SUBJECT).schema().getField("xid")).isNull();

        RegisteredFieldUnion union = new RegisteredFieldUnion(SUBJECT);
        assertThat(union.refresh(client)).containsExactly("id", "xid");
        assertThat(union.anyRegistered()).isTrue();
    }

    @Test
    void eachVersionIsFetchedOnceAndNewVersionsAddTheirFields() throws Exception {
        RegisteredFieldUnion union = new RegisteredFieldUnion(SUBJECT);
        client.register(SUBJECT, reading(ID, XID));
        Set<String> first = union.refresh(client);
        assertThat(first).containsExactly("id", "xid");
        assertThat(union.refresh(client))
                .as("nothing new: the same snapshot, so callers compare by reference")
                .isSameAs(first);

        client.register(SUBJECT, reading(ID, XID, NOTE));
        assertThat(union.refresh(client)).containsExactly("id", "xid", "note");
        assertThat(client.versionsFetched).containsExactly(1, 2);
    }

    @Test
    void aDeletedSubjectKeepsItsFields() throws Exception {
        RegisteredFieldUnion union = new RegisteredFieldUnion(SUBJECT);
        client.register(SUBJECT, reading(ID, XID));
        union.refresh(client);

        HttpResponse<String> deleted =
                HttpClient.newHttpClient()
                        .send(
                                HttpRequest.newBuilder(
                                                URI.create(registry.url() + "/subjects/" + SUBJECT))
                                        .DELETE()
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
        assertThat(deleted.statusCode()).isEqualTo(200);

        assertThat(union.refresh(client))
                .as("a column, once there, is never dropped")
                .containsExactly("id", "xid");
    }

    @Test
    void anUnreachableRegistryIsAnError() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        try (SchemaRegistryClient unreachable =
                new SchemaRegistryClient(
                        SchemaRegistryConfig.of("http://127.0.0.1:" + port)
                                .withTimeout(Duration.ofSeconds(2)))) {
            assertThatThrownBy(() -> new RegisteredFieldUnion(SUBJECT).refresh(unreachable))
                    .isInstanceOf(SchemaRegistryException.class)
                    .hasMessageContaining(SUBJECT);
        }
    }

    /** A real client that records which versions it was asked for. */
    private static final class CountingClient extends SchemaRegistryClient {
        final List<Integer> versionsFetched = new ArrayList<>();

        CountingClient(SchemaRegistryConfig config) {
            super(config);
        }

        @Override
        public RegisteredSchema getVersion(String subject, int version)
                throws SchemaRegistryException {
            versionsFetched.add(version);
            return super.getVersion(subject, version);
        }
    }
}
