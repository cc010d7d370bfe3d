package dev.substrate.sources.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.substrate.events.AuditEvent;
import dev.substrate.events.DeadLetter;
import dev.substrate.events.GpuSample;
import dev.substrate.schemas.EventType;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.schemas.wire.Sourced;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.types.Either;
import org.junit.jupiter.api.Test;

class EventKafkaSourceTest {

    private static final SchemaRegistryConfig REGISTRY =
            SchemaRegistryConfig.of("http://127.0.0.1:8081");

    @Test
    void boundedWhenStopOffsetsAreGiven() {
        KafkaSource<Either<DeadLetter, Sourced<GpuSample>>> source =
                EventKafkaSource.build(
                        EventType.GPU_SAMPLE,
                        GpuSample.class,
                        "127.0.0.1:9092",
                        REGISTRY,
                        "substrate-test",
                        OffsetsInitializer.earliest(),
                        OffsetsInitializer.latest());

        assertThat(source.getBoundedness()).isEqualTo(Boundedness.BOUNDED);
        assertThat(source.getProducedType())
                .isEqualTo(RegistryAwareDeserializationSchema.producedType(GpuSample.class));
    }

    @Test
    void unboundedWithoutStopOffsets() {
        KafkaSource<Either<DeadLetter, Sourced<GpuSample>>> source =
                EventKafkaSource.build(
                        EventType.GPU_SAMPLE,
                        GpuSample.class,
                        "127.0.0.1:9092",
                        REGISTRY,
                        "substrate-test",
                        OffsetsInitializer.earliest(),
                        null);

        assertThat(source.getBoundedness()).isEqualTo(Boundedness.CONTINUOUS_UNBOUNDED);
    }

    @Test
    void refusesAClassThatIsNotTheEventTypes() {
        assertThatThrownBy(
                        () ->
                                EventKafkaSource.build(
                                        EventType.GPU_SAMPLE,
                                        AuditEvent.class,
                                        "127.0.0.1:9092",
                                        REGISTRY,
                                        "substrate-test",
                                        OffsetsInitializer.earliest(),
                                        null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("GpuSample");
    }
}
