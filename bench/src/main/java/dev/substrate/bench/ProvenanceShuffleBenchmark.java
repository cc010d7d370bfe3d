package dev.substrate.bench;

import dev.substrate.events.GpuSample;
import dev.substrate.schemas.wire.AvroWireEncoder;
import dev.substrate.schemas.wire.Sourced;
import dev.substrate.schemas.wire.SourcedTypeInfo;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What carrying a record's Kafka provenance through the deduplication shuffle costs: one GpuSample
 * serialized and deserialized as Flink does it between subtasks, alone (Avro, as before) and as a
 * {@link Sourced} record (Avro plus partition, offset, timestamp, schema id, key and the original
 * frame), without headers as almost every record comes.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xmx1g", "-XX:+UseParallelGC"})
public class ProvenanceShuffleBenchmark {

    private TypeSerializer<GpuSample> recordSerializer;
    private TypeSerializer<Sourced<GpuSample>> sourcedSerializer;
    private GpuSample sample;
    private Sourced<GpuSample> sourced;
    private final DataOutputSerializer out = new DataOutputSerializer(1024);
    private final DataInputDeserializer in = new DataInputDeserializer();

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        SampleGenerator generator = new SampleGenerator(10_000);
        generator.open(null);
        sample = generator.map(12_345L);
        AvroTypeInfo<GpuSample> type = new AvroTypeInfo<>(GpuSample.class);
        recordSerializer = type.createSerializer(new SerializerConfigImpl());
        sourcedSerializer =
                new SourcedTypeInfo<>(type).createSerializer(new SerializerConfigImpl());
        sourced =
                Sourced.<GpuSample>builder()
                        .record(sample)
                        .partition(1)
                        .offset(123_456_789L)
                        .timestamp(sample.getTimestamp().toEpochMilli())
                        .schemaId(3)
                        .key(sample.getGpuUuid().getBytes(StandardCharsets.UTF_8))
                        .value(
                                AvroWireEncoder.forSchemaId(3, GpuSample.getClassSchema())
                                        .encode(sample))
                        .headers(List.of())
                        .build();
    }

    @Benchmark
    public Object recordOnly() throws Exception {
        out.clear();
        recordSerializer.serialize(sample, out);
        in.setBuffer(out.getSharedBuffer(), 0, out.length());
        return recordSerializer.deserialize(in);
    }

    @Benchmark
    public Object recordWithProvenance() throws Exception {
        out.clear();
        sourcedSerializer.serialize(sourced, out);
        in.setBuffer(out.getSharedBuffer(), 0, out.length());
        return sourcedSerializer.deserialize(in);
    }
}
