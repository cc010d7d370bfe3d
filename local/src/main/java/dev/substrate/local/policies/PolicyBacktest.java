package dev.substrate.local.policies;

import dev.substrate.events.AuditEvent;
import dev.substrate.events.GpuSample;
import dev.substrate.events.PolicyViolation;
import dev.substrate.local.lake.LakeHistorySource;
import dev.substrate.operators.lateness.EventTimeWatermarks;
import dev.substrate.operators.policies.ModelApproval;
import dev.substrate.operators.policies.ModelApprovalFunction;
import dev.substrate.operators.policies.Policy;
import dev.substrate.operators.policies.PolicyDetector;
import dev.substrate.operators.policies.PolicySignal;
import dev.substrate.operators.policies.PolicySignals;
import dev.substrate.operators.policies.PolicyTemplate;
import dev.substrate.schemas.EventType;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.iceberg.flink.CatalogLoader;

/**
 * Runs a policy file over the lake's history before it goes live: the audit events and GPU samples
 * of {@code [from, to)} (read by Iceberg's Flink source as bounded inputs pruned to the range, in
 * event time: {@link LakeHistorySource}) through the same {@link PolicyDetector} the job runs, on
 * an in-process Flink cluster. Writes nothing: the violations are collected and summed per policy
 * ({@link BacktestReport}). Usage:
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

    private final CatalogLoader catalog;
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
        Configuration config = new Configuration();
        config.set(PipelineOptions.GENERIC_TYPES, false);
        // In-process when run from the command line; the test's cluster in tests.
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        env.setParallelism(2);
        LakeHistorySource<AuditEvent> audits =
                history(AuditEvent.class, EventType.AUDIT_EVENT.tableName());
        LakeHistorySource<GpuSample> samples =
                history(GpuSample.class, EventType.GPU_SAMPLE.tableName());
        TypeInformation<PolicySignal> signal = TypeInformation.of(PolicySignal.class);
        DataStream<PolicySignal> input =
                audits.read(env, inEventTime(a -> a.getTimestamp().toEpochMilli()))
                        .map((AuditEvent a) -> PolicySignals.of(a), signal)
                        .name("audit events as policy signals")
                        .union(
                                samples.read(env, inEventTime(s -> s.getTimestamp().toEpochMilli()))
                                        .map((GpuSample s) -> PolicySignals.of(s), signal)
                                        .name("GPU samples as policy signals"));
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
        List<PolicyViolation> found = new ArrayList<>();
        JobExecutionResult result = LakeHistorySource.run(env, violations, "backtest", found::add);
        BacktestReport.Builder report =
                BacktestReport.builder(
                        policies,
                        from,
                        to,
                        audits.rowsRead(result),
                        samples.rowsRead(result),
                        examples);
        found.forEach(report::add);
        return report.build();
    }

    private boolean needsRegistry() {
        return policies.stream().anyMatch(p -> p.template() == PolicyTemplate.UNAPPROVED_MODEL);
    }

    private <T extends SpecificRecordBase> LakeHistorySource<T> history(
            Class<T> type, String table) {
        return LakeHistorySource.builder(type)
                .catalog(catalog)
                .table(table)
                .timeColumn("timestamp")
                .from(from)
                .to(to)
                .build();
    }

    /**
     * Event time without watermarks until the end: every event is matched in event-time order
     * however the lake's files are laid out.
     */
    private static <T> WatermarkStrategy<T> inEventTime(
            EventTimeWatermarks.EventTimeExtractor<T> time) {
        return WatermarkStrategy.<T>noWatermarks()
                .withTimestampAssigner((record, previous) -> time.eventTime(record));
    }

    /** Builds a {@link PolicyBacktest}; catalog, policies, from and to are required. */
    public static final class Builder {
        private CatalogLoader catalog;
        private List<Policy> policies;
        private Instant from;
        private Instant to;
        private List<ModelApproval> registry = List.of();
        private int examples = 2;

        private Builder() {}

        /** The lake, as a recipe the in-process cluster loads it from. */
        public Builder catalog(CatalogLoader catalog) {
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
