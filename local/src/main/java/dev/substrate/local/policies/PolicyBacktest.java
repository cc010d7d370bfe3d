package dev.substrate.local.policies;

import dev.substrate.events.PolicyViolation;
import dev.substrate.operators.policies.ModelApproval;
import dev.substrate.operators.policies.ModelApprovalFunction;
import dev.substrate.operators.policies.Policy;
import dev.substrate.operators.policies.PolicyDetector;
import dev.substrate.operators.policies.PolicySignal;
import dev.substrate.operators.policies.PolicySignals;
import dev.substrate.operators.policies.PolicyTemplate;
import dev.substrate.schemas.EventType;
import dev.substrate.sinks.lake.LakeReader;
import dev.substrate.sinks.lake.LakeTables;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.data.Record;

/**
 * Runs a policy file over the lake's history before it goes live: the audit events and GPU samples
 * of {@code [from, to)} (Iceberg tables read as bounded inputs, in event time) through the same
 * {@link PolicyDetector} the job runs, on an in-process Flink cluster. Writes nothing: the
 * violations are collected and summed per policy ({@link BacktestReport}). Usage:
 *
 * <pre>{@code
 * BacktestReport report = PolicyBacktest.builder().catalog(catalog).policies(policies)
 *         .from(from).to(to).registry(approvals).build().run();
 * }</pre>
 *
 * <p>History has no watermark bound: the inputs carry no watermarks until their end, so every event
 * is matched in event-time order however the lake's files are laid out (CEP buffers the range in
 * memory: backtest a day at a time on a laptop).
 */
public final class PolicyBacktest {

    private final Catalog catalog;
    private final List<Policy> policies;
    private final Instant from;
    private final Instant to;
    private final List<ModelApproval> registry;
    private final int examples;

    private PolicyBacktest(Builder b) {
        this.catalog = b.catalog;
        this.policies = b.policies;
        this.from = b.from;
        this.to = b.to;
        this.registry = b.registry;
        this.examples = b.examples;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Reads the range, runs the policies, and returns what would have fired. */
    public BacktestReport run() throws Exception {
        List<PolicySignal> signals = new ArrayList<>();
        long lo = from.toEpochMilli();
        long hi = to.toEpochMilli();
        long audits = read(EventType.AUDIT_EVENT.tableName(), lo, hi, true, signals);
        long samples = read(EventType.GPU_SAMPLE.tableName(), lo, hi, false, signals);
        signals.sort(Comparator.comparingLong(s -> s.timestamp));
        BacktestReport.Builder report =
                BacktestReport.builder(policies, from, to, audits, samples, examples);
        if (signals.isEmpty()) {
            return report.build();
        }

        Configuration config = new Configuration();
        config.set(PipelineOptions.GENERIC_TYPES, false);
        // In-process when run from the command line; the test's cluster in tests.
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        env.setParallelism(2);
        DataStream<PolicySignal> input =
                env.fromData(signals, TypeInformation.of(PolicySignal.class))
                        .assignTimestampsAndWatermarks(
                                WatermarkStrategy.<PolicySignal>noWatermarks()
                                        .withTimestampAssigner((s, previous) -> s.timestamp));
        DataStream<ModelApproval> approvals = null;
        if (needsRegistry()) {
            List<ModelApproval> changes =
                    registry.isEmpty()
                            ? List.of(new ModelApproval("", "", false, Long.MIN_VALUE))
                            : registry;
            approvals =
                    env.fromData(changes, TypeInformation.of(ModelApproval.class))
                            .assignTimestampsAndWatermarks(
                                    ModelApprovalFunction.registryWatermarks());
        }
        DataStream<PolicyViolation> violations =
                PolicyDetector.builder()
                        .policies(policies)
                        .registry(approvals)
                        .build()
                        .addTo(input)
                        .violations();
        try (CloseableIterator<PolicyViolation> it = violations.executeAndCollect("backtest")) {
            it.forEachRemaining(report::add);
        }
        return report.build();
    }

    private boolean needsRegistry() {
        return policies.stream().anyMatch(p -> p.template() == PolicyTemplate.UNAPPROVED_MODEL);
    }

    private long read(String table, long lo, long hi, boolean audit, List<PolicySignal> out) {
        if (!catalog.tableExists(LakeTables.identifier(table))) {
            return 0;
        }
        long[] count = {0};
        for (Record row : LakeReader.readAll(catalog, table)) {
            long at = millis(row.getField("timestamp"));
            if (at < lo || at >= hi) {
                continue;
            }
            count[0]++;
            out.add(audit ? audit(row, at) : sample(row, at));
        }
        return count[0];
    }

    private static PolicySignal audit(Record row, long at) {
        PolicySignal s = new PolicySignal();
        s.source = PolicySignal.Source.AUDIT;
        s.eventId = text(row, "event_id");
        s.timestamp = at;
        s.principal = text(row, "principal");
        s.action = text(row, "action");
        s.outcome = text(row, "outcome");
        s.resource = text(row, "resource");
        s.classification = text(row, "data_classification");
        s.encrypted = Boolean.TRUE.equals(field(row, "encrypted_in_transit"));
        s.authMethod = text(row, "auth_method");
        s.destination = text(row, "destination");
        s.region = text(row, "region");
        s.modelVersion = text(row, "model_version");
        if (s.resource != null && s.resource.startsWith(PolicySignals.MODEL_RESOURCE_PREFIX)) {
            s.model = s.resource.substring(PolicySignals.MODEL_RESOURCE_PREFIX.length());
        }
        Object tokens = field(row, "tokens");
        s.tokens = tokens instanceof Number n ? n.longValue() : 0;
        return s;
    }

    private static PolicySignal sample(Record row, long at) {
        PolicySignal s = new PolicySignal();
        s.source = PolicySignal.Source.GPU;
        s.eventId = text(row, "event_id");
        s.timestamp = at;
        s.node = text(row, "cluster") + "/" + text(row, "node");
        s.gpu = text(row, "gpu_uuid");
        s.region = text(row, "region");
        Object temperature = field(row, "temperature_c");
        s.temperature = temperature instanceof Number n ? n.doubleValue() : 0;
        Object xid = field(row, "xid");
        s.xid = xid instanceof Number n ? n.intValue() : 0;
        return s;
    }

    /** A column's value, or null when the table has no such column (an older schema). */
    private static Object field(Record row, String name) {
        return row.struct().field(name) == null ? null : row.getField(name);
    }

    private static String text(Record row, String name) {
        Object value = field(row, name);
        return value == null ? null : value.toString();
    }

    static long millis(Object timestamp) {
        if (timestamp instanceof OffsetDateTime time) {
            return time.toInstant().toEpochMilli();
        }
        if (timestamp instanceof LocalDateTime time) {
            return time.toInstant(ZoneOffset.UTC).toEpochMilli();
        }
        if (timestamp instanceof Number n) {
            return n.longValue();
        }
        throw new IllegalArgumentException("Not a timestamp: " + timestamp);
    }

    /** Builds a {@link PolicyBacktest}; catalog, policies, from and to are required. */
    public static final class Builder {
        private Catalog catalog;
        private List<Policy> policies;
        private Instant from;
        private Instant to;
        private List<ModelApproval> registry = List.of();
        private int examples = 2;

        private Builder() {}

        public Builder catalog(Catalog catalog) {
            this.catalog = catalog;
            return this;
        }

        public Builder policies(List<Policy> policies) {
            this.policies = List.copyOf(policies);
            return this;
        }

        public Builder from(Instant from) {
            this.from = from;
            return this;
        }

        public Builder to(Instant to) {
            this.to = to;
            return this;
        }

        /** The model registry's changes; empty judges every invocation unapproved. */
        public Builder registry(List<ModelApproval> registry) {
            this.registry = List.copyOf(registry);
            return this;
        }

        /** Narratives shown per policy. */
        public Builder examples(int examples) {
            this.examples = examples;
            return this;
        }

        public PolicyBacktest build() {
            Objects.requireNonNull(catalog, "catalog");
            Objects.requireNonNull(policies, "policies");
            Objects.requireNonNull(from, "from");
            Objects.requireNonNull(to, "to");
            if (!from.isBefore(to)) {
                throw new IllegalArgumentException(
                        "--from (" + from + ") must be before --to (" + to + ")");
            }
            if (policies.isEmpty()) {
                throw new IllegalArgumentException("the policy file has no policy");
            }
            return new PolicyBacktest(this);
        }
    }
}
