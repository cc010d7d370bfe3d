package dev.substrate.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.substrate.embedded.registry.EmbeddedSchemaRegistry;
import dev.substrate.schemas.EventType;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.schemas.registry.SchemaRegistryException;
import java.nio.file.Path;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Producer-side governance: the registry's refusal of an incompatible schema is shown with why. */
class SampleEventProducerRefusalTest {

    @TempDir Path dir;

    @Test
    void anIncompatibleSchemaIsRefusedWithTheRegistrysReasonBeforeAnythingIsSent()
            throws Exception {
        // Someone already published GpuSample with gpu_index as a string: the real schema, which
        // has it as an int, can no longer be registered under BACKWARD compatibility.
        Schema conflicting =
                new Schema.Parser()
                        .parse(
                                EventType.GPU_SAMPLE
                                        .schema()
                                        .toString()
                                        .replace(
                                                "{\"name\":\"gpu_index\",\"type\":\"int\"",
                                                "{\"name\":\"gpu_index\",\"type\":\"string\""));
        assertThat(conflicting.getField("gpu_index").schema().getType())
                .isEqualTo(Schema.Type.STRING);
        try (EmbeddedSchemaRegistry registry =
                        EmbeddedSchemaRegistry.start(dir.resolve("registry"), "127.0.0.1", 0);
                SchemaRegistryClient client =
                        new SchemaRegistryClient(SchemaRegistryConfig.of(registry.url()))) {
            client.register(EventType.GPU_SAMPLE.subject(), conflicting);

            // No broker is needed: the producer refuses before it connects to Kafka.
            assertThatThrownBy(
                            () -> new SampleEventProducer("127.0.0.1:1", client, 1L, 0.0).close())
                    .isInstanceOfSatisfying(
                            SchemaRegistryException.class,
                            e -> {
                                assertThat(e.httpStatus()).isEqualTo(409);
                                assertThat(e.errorCode())
                                        .isEqualTo(SchemaRegistryException.INCOMPATIBLE_SCHEMA);
                                assertThat(e.isRetryable()).isFalse();
                            })
                    .hasMessageContaining("refused schema dev.substrate.events.GpuSample")
                    .hasMessageContaining("subject 'substrate.gpu-samples-value'")
                    .hasMessageContaining("incompatible")
                    .hasMessageContaining("gpu_index")
                    .hasMessageContaining("add a field with a default");
        }
    }
}
