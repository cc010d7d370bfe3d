package dev.substrate.dashboard;

import dev.substrate.events.DeadLetter;
import dev.substrate.events.DeadLetterReason;
import dev.substrate.events.DecisionTarget;
import dev.substrate.events.GpuMetrics;
import dev.substrate.events.MetricsLevel;
import dev.substrate.events.NodeHealth;
import dev.substrate.events.NodeStatus;
import dev.substrate.events.PolicySeverity;
import dev.substrate.events.PolicyViolation;
import dev.substrate.events.SchedulingAction;
import dev.substrate.events.SchedulingDecision;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.wire.AvroWireEncoder;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Writes records to the job's Kafka output topics the way its {@code KafkaOutputSink} does (the
 * Confluent wire format, schemas registered under the topic's value subject), for tests that need
 * outputs without running the job.
 */
final class OutputTopics implements AutoCloseable {

    static final List<String> ALL =
            List.of(
                    Dashboard.Topics.GPU_METRICS.defaultName(),
                    Dashboard.Topics.CLUSTER_CAPACITY.defaultName(),
                    Dashboard.Topics.NODE_HEALTH.defaultName(),
                    Dashboard.Topics.GPU_ANOMALIES.defaultName(),
                    Dashboard.Topics.DEAD_LETTERS.defaultName(),
                    Dashboard.Topics.SCHEDULING_DECISIONS.defaultName(),
                    Dashboard.Topics.POLICY_VIOLATIONS.defaultName());

    private final KafkaProducer<byte[], byte[]> producer;
    private final SchemaRegistryClient registry;

    OutputTopics(String bootstrapServers, SchemaRegistryClient registry) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        this.producer = new KafkaProducer<>(props);
        this.registry = registry;
    }

    void send(Dashboard.Topics topic, SpecificRecord record) throws Exception {
        String name = topic.defaultName();
        byte[] value =
                AvroWireEncoder.register(registry, name + "-value", record.getSchema())
                        .encode(record);
        producer.send(new ProducerRecord<>(name, value)).get();
    }

    void sendRaw(Dashboard.Topics topic, byte[] value) throws Exception {
        producer.send(new ProducerRecord<>(topic.defaultName(), value)).get();
    }

    @Override
    public void close() {
        producer.close();
    }

    static GpuMetrics clusterWindow(String cluster, Instant start, long samples, double util) {
        return GpuMetrics.newBuilder()
                .setWindowStart(start)
                .setWindowEnd(start.plusSeconds(60))
                .setWindowSizeS(60)
                .setLevel(MetricsLevel.CLUSTER)
                .setRegion("eu-west")
                .setCluster(cluster)
                .setGpuCount(8)
                .setSampleCount(samples)
                .setUtilizationPctMean(util)
                .setPowerDrawWMean(400.0)
                .setTemperatureCMean(61.0)
                .setEnergyJoules(8 * 400.0 * 60)
                .setGpuIdleFraction(0.1)
                .setApplicationsClocksSettingFraction(0)
                .setSwPowerCapFraction(0.2)
                .setHwSlowdownFraction(0)
                .setSyncBoostFraction(0)
                .setSwThermalSlowdownFraction(0.05)
                .setHwThermalSlowdownFraction(0)
                .setHwPowerBrakeSlowdownFraction(0)
                .setEccCorrectedDelta(0)
                .setEccUncorrectedDelta(0)
                .build();
    }

    /** A 1-minute node window of {@code gpus} GPUs that used {@code joules}. */
    static GpuMetrics nodeWindow(
            String cluster, String node, Instant start, int gpus, double joules) {
        GpuMetrics row = clusterWindow(cluster, start, gpus * 60L, 50.0);
        row.setLevel(MetricsLevel.NODE);
        row.setNode(node);
        row.setGpuCount(gpus);
        row.setEnergyJoules(joules);
        return row;
    }

    static NodeHealth nodeHealth(String cluster, String node, NodeStatus status, String reason) {
        Instant at = Instant.parse("2026-12-01T10:00:00Z");
        return NodeHealth.newBuilder()
                .setRegion("eu-west")
                .setCluster(cluster)
                .setNode(node)
                .setStatus(status)
                .setScore(status == NodeStatus.UP ? 100 : 20)
                .setReasons(reason == null ? List.of() : List.of(reason))
                .setSince(at)
                .setChangedAt(at)
                .build();
    }

    static DeadLetter deadLetter(
            long offset, DeadLetterReason reason, String rule, String message) {
        return DeadLetter.newBuilder()
                .setSourceTopic("substrate.gpu-samples")
                .setSourcePartition(0)
                .setSourceOffset(offset)
                .setSourceTimestamp(Instant.parse("2026-12-01T10:00:00Z"))
                .setDeadLetteredAt(Instant.parse("2026-12-01T10:00:01Z"))
                .setReason(reason)
                .setRule(rule)
                .setMessage(message)
                .setOriginalValue(ByteBuffer.wrap("secret@example.com".getBytes()))
                .build();
    }

    /** A decision placing {@code gpus} GPUs of {@code node} at {@code at}, 2 s after it. */
    static SchedulingDecision placement(
            String tenant, String request, String node, Instant at, int gpus, String reason) {
        List<Integer> indices = new java.util.ArrayList<>();
        for (int i = 0; i < gpus; i++) {
            indices.add(i);
        }
        return SchedulingDecision.newBuilder()
                .setDecisionId(request + "#1")
                .setRequestId(request)
                .setSequence(1)
                .setTenant(tenant)
                .setAction(SchedulingAction.ASSIGN)
                .setDecidedAt(at)
                .setKind("TRAINING")
                .setAcceleratorType("H100")
                .setGpus(gpus)
                .setPriority(5)
                .setEffectivePriority(5)
                .setRegion("eu-west")
                .setCluster("h100-a")
                .setNode(node)
                .setTargets(
                        List.of(
                                DecisionTarget.newBuilder()
                                        .setRegion("eu-west")
                                        .setCluster("h100-a")
                                        .setNode(node)
                                        .setGpuIndices(indices)
                                        .build()))
                .setReason(reason)
                .setHealthVersion(0)
                .setCapacityVersion(0)
                .setProcessingLatencyMs(5)
                .setEmittedAt(at.plusSeconds(2))
                .build();
    }

    static PolicyViolation violation(
            String policy, PolicySeverity severity, String key, int revision, String narrative) {
        Instant last = Instant.parse("2026-12-01T10:00:05Z");
        return PolicyViolation.newBuilder()
                .setViolationId(policy + "-v1:" + key + "@2026-12-01T10:00:00Z")
                .setRevision(revision)
                .setPolicyId(policy)
                .setPolicyVersion(1)
                .setSeverity(severity)
                .setKey(key)
                .setKeyKind("principal")
                .setFirstEventAt(Instant.parse("2026-12-01T10:00:00Z"))
                .setLastEventAt(last)
                .setEvidence(List.of("audit-1", "audit-2"))
                .setNarrative(narrative)
                .setSuppressedCount(revision == 1 ? 0 : 3)
                .setDetectedAt(last.plusMillis(1_500))
                .setDetectionLatencyMs(1_500)
                .build();
    }
}
