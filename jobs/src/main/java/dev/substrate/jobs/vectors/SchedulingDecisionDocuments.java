package dev.substrate.jobs.vectors;

import dev.substrate.events.SchedulingAction;
import dev.substrate.events.SchedulingDecision;
import dev.substrate.jobs.scheduling.SchedulingStage;
import dev.substrate.vectors.VectorDocument;
import java.util.Locale;
import javax.annotation.Nullable;

/**
 * Scheduling decisions that someone will ask about as documents: the rejected and the preempted
 * ones, with the reason the scheduler gave. Placements, queueing and releases are routine and stay
 * in the lake only ({@code substrate why} explains any of them).
 *
 * <p>Text: {@code Request r-42 of tenant acme (training, 8 x H100 GPUs, priority 5) was rejected:
 * <reason>. Cause: <cause>.}
 */
public final class SchedulingDecisionDocuments implements DocumentMapper<SchedulingDecision> {

    private static final long serialVersionUID = 1L;

    public static final String KIND = "scheduling-decision";

    @Override
    public String name() {
        return KIND;
    }

    @Override
    @Nullable
    public VectorDocument toDocument(SchedulingDecision decision) {
        SchedulingAction action = decision.getAction();
        if (action != SchedulingAction.REJECT && action != SchedulingAction.PREEMPT) {
            return null;
        }
        String text =
                String.format(
                        Locale.ROOT,
                        "Request %s of tenant %s (%s, %d x %s GPUs, priority %d) was %s: %s.%s",
                        decision.getRequestId(),
                        decision.getTenant(),
                        decision.getKind(),
                        decision.getGpus(),
                        decision.getAcceleratorType(),
                        decision.getPriority(),
                        action == SchedulingAction.REJECT ? "rejected" : "preempted",
                        decision.getReason(),
                        decision.getCause() == null
                                ? ""
                                : " Because of request " + decision.getCause() + ".");
        return VectorDocument.builder()
                .id(KIND + ":" + decision.getDecisionId())
                .kind(KIND)
                .text(text)
                .time(decision.getDecidedAt())
                .metadata("severity", action == SchedulingAction.PREEMPT ? "warning" : "info")
                .metadata("tenant", decision.getTenant())
                .metadata("action", action.name().toLowerCase(Locale.ROOT))
                .metadata("region", decision.getRegion())
                .metadata("cluster", decision.getCluster())
                .source(
                        SchedulingStage.DECISIONS_TABLE,
                        Lineage.equals("decision_id", decision.getDecisionId()))
                .build();
    }
}
