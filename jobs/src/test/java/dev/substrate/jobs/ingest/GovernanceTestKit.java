package dev.substrate.jobs.ingest;

import dev.substrate.embedded.kafka.EmbeddedKafkaBroker;
import dev.substrate.embedded.registry.EmbeddedSchemaRegistry;
import dev.substrate.events.AuditAction;
import dev.substrate.events.AuditEvent;
import dev.substrate.events.AuditOutcome;
import dev.substrate.events.DataClassification;
import dev.substrate.events.GpuSample;
import dev.substrate.jobs.config.SubstrateOptions;
import dev.substrate.jobs.stage.StageContext;
import dev.substrate.operators.pii.PiiMode;
import dev.substrate.schemas.EventType;
import dev.substrate.sinks.lake.LakeReader;
import dev.substrate.testkit.GpuSamples;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.iceberg.catalog.Catalog;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Shared set-up of the governed-ingest ITCases: services, job options, records, a raw producer. */
public final class GovernanceTestKit {

    private GovernanceTestKit() {}

    public static Configuration jobConfig(
            EmbeddedKafkaBroker broker, EmbeddedSchemaRegistry registry, Path dataDir) {
        Configuration config = new Configuration();
        config.set(SubstrateOptions.KAFKA_BOOTSTRAP_SERVERS, broker.bootstrapServers());
        config.set(SubstrateOptions.REGISTRY_URL, registry.url());
        config.set(SubstrateOptions.CATALOG_WAREHOUSE, dataDir.resolve("warehouse").toString());
        config.set(SubstrateOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(500));
        config.set(SubstrateOptions.PARALLELISM, 2);
        config.set(SubstrateOptions.PII_MODE, PiiMode.LOCAL);
        config.set(SubstrateOptions.PII_KEY_FILE, dataDir.resolve("pii.key").toString());
        config.set(SubstrateOptions.ALLOWED_LATENESS, Duration.ofMinutes(10));
        config.set(SubstrateOptions.LAKE_SCHEMA_REFRESH, Duration.ofSeconds(2));
        return config;
    }

    public static Catalog catalog(Configuration config) {
        return StageContext.catalog(config).catalogLoader().loadCatalog();
    }

    /** Polls until the table has at least {@code rows} committed rows. */
    public static void awaitRows(Catalog catalog, String table, long rows, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (LakeReader.countRows(catalog, table) >= rows) {
                    return;
                }
            } catch (RuntimeException notYet) {
                // table not created or not committed yet
            }
            Thread.sleep(200);
        }
        throw new AssertionError("table " + table + " did not reach " + rows + " rows");
    }

    public static String gpuUuid(int n) {
        return String.format("GPU-%08x-1111-2222-3333-%012x", 0xab_cdef, n);
    }

    public static GpuSample gpu(String id, Instant time, int device) {
        return GpuSamples.reading("itcase", "node-" + device, device % 8, time)
                .setEventId(id)
                .setGpuUuid(gpuUuid(device))
                .setUtilizationPct(42.5)
                .setMemoryUtilizationPct(12)
                .setMemoryUsedMib(20_000)
                .setTemperatureC(55)
                .setPowerDrawW(350)
                .setPowerLimitW(null)
                .build();
    }

    /** {@code record} as a record of an older (or other) {@code version}, field by field. */
    public static GenericRecord as(SpecificRecord record, Schema version) {
        Schema own = record.getSchema();
        GenericRecord copy = new GenericData.Record(version);
        for (Schema.Field field : version.getFields()) {
            copy.put(field.name(), record.get(own.getField(field.name()).pos()));
        }
        return copy;
    }

    /** {@code schema} without the named fields: what an older producer registers. */
    public static Schema without(Schema schema, String... names) {
        Set<String> dropped = Set.of(names);
        List<Schema.Field> fields = new ArrayList<>();
        for (Schema.Field field : schema.getFields()) {
            if (!dropped.contains(field.name())) {
                fields.add(new Schema.Field(field, field.schema()));
            }
        }
        return Schema.createRecord(
                schema.getName(), schema.getDoc(), schema.getNamespace(), false, fields);
    }

    public static AuditEvent audit(String id, Instant time, String principal, String address) {
        return AuditEvent.newBuilder()
                .setEventId(id)
                .setTimestamp(time)
                .setPrincipal(principal)
                .setAction(AuditAction.DATA_READ)
                .setResource("dataset/SENTINEL-visible-in-files")
                .setDataClassification(DataClassification.INTERNAL)
                .setOutcome(AuditOutcome.ALLOWED)
                .setAuthMethod("oidc")
                .setEncryptedInTransit(true)
                .setSourceAddress(address)
                .build();
    }

    /**
     * A producer that writes raw bytes to chosen partitions and counts them, so the job can stop
     * exactly at the end of what was sent (offsets are consecutive: idempotent, no transactions).
     */
    public static final class RawProducer implements AutoCloseable {
        private final KafkaProducer<byte[], byte[]> kafka;
        private final Map<TopicPartition, Long> planned = new HashMap<>();

        public RawProducer(EmbeddedKafkaBroker broker) {
            kafka =
                    new KafkaProducer<>(
                            Map.of(
                                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                    broker.bootstrapServers(),
                                    ProducerConfig.ACKS_CONFIG,
                                    "all",
                                    ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                                    true),
                            new ByteArraySerializer(),
                            new ByteArraySerializer());
        }

        /** Announces how many records partition 0 of {@code topic} will get in total. */
        public void plan(String topic, long records) {
            planned.put(new TopicPartition(topic, 0), records);
        }

        public void send(String topic, String key, byte[] value) throws Exception {
            send(topic, key, value, List.of());
        }

        /** Sends to partition 0 with these headers; returns the record's offset. */
        public long send(String topic, String key, byte[] value, List<Header> headers)
                throws Exception {
            return kafka.send(
                            new ProducerRecord<>(
                                    topic,
                                    0,
                                    key == null ? null : key.getBytes(StandardCharsets.UTF_8),
                                    value,
                                    headers))
                    .get()
                    .offset();
        }

        /** Stops every input partition after the planned records (0 for the unused ones). */
        public OffsetsInitializer stoppingOffsets() {
            Map<TopicPartition, Long> offsets = new HashMap<>();
            for (EventType type : EventType.inputs()) {
                for (int p = 0; p < 2; p++) {
                    TopicPartition tp = new TopicPartition(type.topic(), p);
                    offsets.put(tp, planned.getOrDefault(tp, 0L));
                }
            }
            return OffsetsInitializer.offsets(offsets);
        }

        @Override
        public void close() {
            kafka.close();
        }
    }
}
