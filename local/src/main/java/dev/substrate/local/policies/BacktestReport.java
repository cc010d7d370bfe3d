package dev.substrate.local.policies;

import dev.substrate.events.PolicyViolation;
import dev.substrate.operators.policies.Policy;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a policy file would have reported over a range of the lake's history: per policy, the
 * incidents, the repeats its cool-down would have suppressed, and example narratives (the earliest
 * incidents).
 */
public record BacktestReport(
        Instant from, Instant to, long auditEvents, long gpuSamples, List<PolicyResult> policies) {

    /** One policy's result. */
    public record PolicyResult(
            String policyId,
            int version,
            String severity,
            long incidents,
            long suppressed,
            List<String> examples) {}

    static Builder builder(
            List<Policy> policies,
            Instant from,
            Instant to,
            long auditEvents,
            long gpuSamples,
            int examples) {
        return new Builder(policies, from, to, auditEvents, gpuSamples, examples);
    }

    /** The incidents of all policies together. */
    public long incidents() {
        return policies.stream().mapToLong(PolicyResult::incidents).sum();
    }

    public void print(PrintWriter out) {
        out.printf(
                "Backtest %s to %s: %,d audit events, %,d GPU samples. Nothing was written.%n",
                from, to, auditEvents, gpuSamples);
        out.printf("  %-32s %-8s %10s %11s%n", "policy", "severity", "incidents", "suppressed");
        for (PolicyResult p : policies) {
            out.printf(
                    "  %-32s %-8s %,10d %,11d%n",
                    p.policyId() + " v" + p.version(), p.severity(), p.incidents(), p.suppressed());
            for (String example : p.examples()) {
                out.println("      e.g. " + example);
            }
        }
        out.printf("  %,d incidents in all.%n", incidents());
        out.flush();
    }

    static final class Builder {
        private final Instant from;
        private final Instant to;
        private final long auditEvents;
        private final long gpuSamples;
        private final int examples;
        private final Map<String, Policy> byId = new LinkedHashMap<>();
        private final Map<String, long[]> counts = new LinkedHashMap<>();
        private final Map<String, List<PolicyViolation>> firsts = new LinkedHashMap<>();

        private Builder(
                List<Policy> policies,
                Instant from,
                Instant to,
                long auditEvents,
                long gpuSamples,
                int examples) {
            this.from = from;
            this.to = to;
            this.auditEvents = auditEvents;
            this.gpuSamples = gpuSamples;
            this.examples = examples;
            for (Policy policy : policies) {
                byId.put(policy.id(), policy);
                counts.put(policy.id(), new long[2]);
                firsts.put(policy.id(), new ArrayList<>());
            }
        }

        void add(PolicyViolation v) {
            long[] c = counts.get(v.getPolicyId());
            if (v.getRevision() == 1) {
                c[0]++;
                List<PolicyViolation> first = firsts.get(v.getPolicyId());
                first.add(PolicyViolation.newBuilder(v).build());
                first.sort((a, b) -> a.getFirstEventAt().compareTo(b.getFirstEventAt()));
                if (first.size() > examples) {
                    first.remove(first.size() - 1);
                }
            } else {
                c[1] += v.getSuppressedCount();
            }
        }

        BacktestReport build() {
            List<PolicyResult> results = new ArrayList<>();
            byId.forEach(
                    (id, policy) -> {
                        List<String> narratives = new ArrayList<>();
                        firsts.get(id).forEach(v -> narratives.add(v.getNarrative()));
                        results.add(
                                new PolicyResult(
                                        id,
                                        policy.version(),
                                        policy.severity().name(),
                                        counts.get(id)[0],
                                        counts.get(id)[1],
                                        List.copyOf(narratives)));
                    });
            return new BacktestReport(from, to, auditEvents, gpuSamples, List.copyOf(results));
        }
    }
}
