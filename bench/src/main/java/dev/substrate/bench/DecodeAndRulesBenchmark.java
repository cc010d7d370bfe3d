package dev.substrate.bench;

import dev.substrate.embedded.registry.EmbeddedSchemaRegistry;
import dev.substrate.events.GpuSample;
import dev.substrate.operators.quality.RuleEvaluator;
import dev.substrate.operators.quality.RuleSet;
import dev.substrate.schemas.EventType;
import dev.substrate.schemas.SchemaHistory;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.schemas.wire.AvroWireDecoder;
import dev.substrate.schemas.wire.AvroWireEncoder;
import dev.substrate.schemas.wire.DecodeResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Per-record cost of the ingest's hot paths: decoding a GpuSample from the wire format (magic byte,
 * schema id, Avro body) against a real registry whose schema cache is warm, written with the
 * current schema and with v1 (resolved to v2); and evaluating the GpuSample quality rules, with
 * {@code now} as an {@link Instant} and as epoch millis (the allocation-free entry point).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xmx1g", "-XX:+UseParallelGC"})
public class DecodeAndRulesBenchmark {

    private Path stateDir;
    private EmbeddedSchemaRegistry registry;
    private SchemaRegistryClient client;
    private AvroWireDecoder<GpuSample> decoder;
    private byte[] currentBytes;
    private byte[] v1Bytes;
    private GpuSample sample;
    private RuleEvaluator rules;
    private Instant now;
    private long nowMillis;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        stateDir = Files.createTempDirectory("substrate-jmh-registry-");
        registry = EmbeddedSchemaRegistry.start(stateDir, "127.0.0.1", 0);
        client = new SchemaRegistryClient(SchemaRegistryConfig.of(registry.url()));
        Schema v1 = SchemaHistory.versions("GpuSample").get(0);
        AvroWireEncoder v1Encoder =
                AvroWireEncoder.register(client, EventType.GPU_SAMPLE.subject(), v1);
        AvroWireEncoder encoder =
                AvroWireEncoder.register(
                        client, EventType.GPU_SAMPLE.subject(), GpuSample.getClassSchema());

        SampleGenerator generator = new SampleGenerator(10_000);
        generator.open(null);
        sample = generator.map(12_345L);
        currentBytes = encoder.encode(sample);
        v1Bytes = v1Encoder.encode(asV1(sample, v1));

        decoder = new AvroWireDecoder<>(client, GpuSample.class);
        // Warm the schema cache and the resolution for both writer schemas before measuring.
        check(decoder.decode(currentBytes));
        check(decoder.decode(v1Bytes));

        rules = RuleSet.load("GpuSample").newEvaluator();
        now = sample.getTimestamp().plusSeconds(1);
        nowMillis = now.toEpochMilli();
        int failures = rules.evaluate(sample, now);
        // The generated sample need not pass every rule; say which fail, the cost is measured
        // alike.
        for (int i = 0; failures != 0 && i < rules.rules().size(); i++) {
            if (!rules.passed(i)) {
                System.err.println("rule failing on the sample: " + rules.rules().get(i));
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        client.close();
        registry.close();
    }

    @Benchmark
    public Object decodeCurrentSchema() throws Exception {
        return decoder.decode(currentBytes);
    }

    @Benchmark
    public Object decodeV1ResolvedToCurrent() throws Exception {
        return decoder.decode(v1Bytes);
    }

    @Benchmark
    public int qualityRules() {
        return rules.evaluate(sample, now);
    }

    @Benchmark
    public int qualityRulesEpochMillis() {
        return rules.evaluate(sample, nowMillis);
    }

    private static void check(DecodeResult<GpuSample> result) {
        if (result.record() == null) {
            throw new IllegalStateException("decode failed: " + result);
        }
    }

    /** The sample as a v1 record: the fields v1 has, by name. */
    private static GenericRecord asV1(GpuSample sample, Schema v1) {
        GenericRecord record = new GenericData.Record(v1);
        for (Schema.Field field : v1.getFields()) {
            Schema.Field current = GpuSample.getClassSchema().getField(field.name());
            Object value = sample.get(current.pos());
            if (value instanceof Instant instant) {
                value = instant.toEpochMilli();
            }
            record.put(field.pos(), value);
        }
        return record;
    }
}
