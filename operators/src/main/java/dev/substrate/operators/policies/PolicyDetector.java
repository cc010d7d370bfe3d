package dev.substrate.operators.policies;

import dev.substrate.events.PolicyViolation;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import javax.annotation.Nullable;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.cep.CEP;
import org.apache.flink.cep.PatternStream;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.BroadcastStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.util.OutputTag;

/**
 * Adds the detection of every policy of a catalogue to a stream of {@link PolicySignal}s in event
 * time: one chain per policy, so each policy's state lives under uids that carry its id and
 * version.
 *
 * <pre>
 *                 ┌─ filter(reads) ─[registry broadcast | token baseline]─ keyBy(key) ─► CEP ─► match ─ keyBy(key) ─► cool-down ─┐
 *  PolicySignal ──┼─ ... one chain per policy ...                                                                                 ├─► PolicyViolation
 *  (event time)   └─ ...                                                               late signals ─► side output (counted) ──────┘
 * </pre>
 *
 * <p>Uids: {@code policy-<id>-v<version>} (the CEP operator: its partial matches), {@code
 * …-cooldown} (the reported violation per key), {@code …-registry} and {@code …-baseline} where the
 * template needs them, {@code …-reads} (stateless). After stop-with-savepoint, a restart with a
 * policy's version raised starts that policy from scratch (its old uids are left behind: restore
 * with {@code --allowNonRestoredState}) and every other policy keeps its state. Usage:
 *
 * <pre>{@code
 * PolicyDetector.Detection detection =
 *         PolicyDetector.builder().policies(PolicyFile.load(PolicyFile.DEFAULT))
 *                 .registry(approvals).build().addTo(signals);
 * }</pre>
 */
public final class PolicyDetector {

    private final List<Policy> policies;
    @Nullable private final DataStream<ModelApproval> registry;
    private final TokenBaseline baseline;

    private PolicyDetector(Builder builder) {
        this.policies = List.copyOf(builder.policies);
        this.registry = builder.registry;
        this.baseline = builder.baseline;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The baseline of {@link PolicyTemplate#TOKEN_SPIKE}: EWMA weight, warm-up and cap. */
    public record TokenBaseline(double alpha, int warmUp, double cap) {
        public static TokenBaseline defaults() {
            return new TokenBaseline(0.05, 20, 3.0);
        }
    }

    /** The violations of all policies, and the signals each policy's CEP operator found late. */
    public record Detection(
            DataStream<PolicyViolation> violations, DataStream<PolicySignal> late) {}

    /** Adds every policy's chain behind {@code signals}, which carry the job's event time. */
    public Detection addTo(DataStream<PolicySignal> signals) {
        BroadcastStream<ModelApproval> approvals =
                registry == null ? null : registry.broadcast(ModelApprovalFunction.REGISTRY);
        List<DataStream<PolicyViolation>> violations = new ArrayList<>();
        List<DataStream<PolicySignal>> late = new ArrayList<>();
        TypeInformation<PolicySignal> signalType = TypeInformation.of(PolicySignal.class);
        AvroTypeInfo<PolicyViolation> violationType = new AvroTypeInfo<>(PolicyViolation.class);
        for (Policy policy : policies) {
            String uid = policy.uid();
            DataStream<PolicySignal> read =
                    signals.filter(PolicyPatterns.reads(policy))
                            .uid(uid + "-reads")
                            .name(policy.id() + " reads");
            if (policy.template() == PolicyTemplate.UNAPPROVED_MODEL) {
                if (approvals == null) {
                    throw new IllegalStateException(
                            "Policy "
                                    + policy.id()
                                    + " needs the model registry: give the detector its stream");
                }
                // Keyed as the CEP operator is: held invocations live in keyed state with timers.
                read =
                        read.keyBy(policy.key()::of, Types.STRING)
                                .connect(approvals)
                                .process(new ModelApprovalFunction())
                                .returns(signalType)
                                .uid(uid + "-registry")
                                .name(policy.id() + " model registry");
            } else if (policy.template() == PolicyTemplate.TOKEN_SPIKE) {
                read =
                        read.keyBy(policy.key()::of, Types.STRING)
                                .process(
                                        new TokenBaselineFunction(
                                                baseline.alpha(),
                                                baseline.warmUp(),
                                                baseline.cap()))
                                .returns(signalType)
                                .uid(uid + "-baseline")
                                .name(policy.id() + " token baseline");
            }
            OutputTag<PolicySignal> lateTag = new OutputTag<>("late-" + uid, signalType);
            PatternStream<PolicySignal> patterns =
                    CEP.pattern(
                                    read.keyBy(policy.key()::of, Types.STRING),
                                    PolicyPatterns.compile(policy))
                            .inEventTime()
                            .sideOutputLateData(lateTag);
            SingleOutputStreamOperator<PolicyViolation> matches =
                    patterns.process(new PolicyMatchFunction(policy), violationType)
                            .uid(uid)
                            .name("policy " + policy.id() + " v" + policy.version());
            late.add(
                    matches.getSideOutput(lateTag)
                            .map(new LateSignalCounter())
                            .returns(signalType)
                            .uid(uid + "-late")
                            .name(policy.id() + " late signals"));
            violations.add(
                    matches.keyBy(PolicyViolation::getKey, Types.STRING)
                            .process(new ViolationCoolDownFunction(policy.coolDown()))
                            .returns(violationType)
                            .uid(uid + "-cooldown")
                            .name(policy.id() + " cool-down"));
        }
        return new Detection(union(violations), union(late));
    }

    private static <T> DataStream<T> union(List<DataStream<T>> streams) {
        DataStream<T> first = streams.get(0);
        if (streams.size() == 1) {
            return first;
        }
        @SuppressWarnings("unchecked")
        DataStream<T>[] rest = streams.subList(1, streams.size()).toArray(new DataStream[0]);
        return first.union(rest);
    }

    /** Builds a {@link PolicyDetector}; {@link #policies} is required. */
    public static final class Builder {
        private List<Policy> policies = List.of();
        @Nullable private DataStream<ModelApproval> registry;
        private TokenBaseline baseline = TokenBaseline.defaults();

        private Builder() {}

        /** The policies to detect (a policy file's). */
        public Builder policies(List<Policy> policies) {
            this.policies = Objects.requireNonNull(policies, "policies");
            return this;
        }

        /**
         * The approved-model registry's changes, in event time; required when a policy uses {@link
         * PolicyTemplate#UNAPPROVED_MODEL}. Its watermark must stay back until the registry as it
         * stood at start is in ({@link ModelApprovalFunction#registryWatermarks()}): invocations
         * are judged only when the watermark passes their time.
         */
        public Builder registry(@Nullable DataStream<ModelApproval> registry) {
            this.registry = registry;
            return this;
        }

        public Builder tokenBaseline(TokenBaseline baseline) {
            this.baseline = Objects.requireNonNull(baseline, "baseline");
            return this;
        }

        public PolicyDetector build() {
            if (policies.isEmpty()) {
                throw new IllegalArgumentException("A policy detector needs at least one policy");
            }
            return new PolicyDetector(this);
        }
    }
}
