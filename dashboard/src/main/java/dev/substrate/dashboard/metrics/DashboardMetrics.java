package dev.substrate.dashboard.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;

/**
 * What the dashboard itself counts from the Kafka output topics, beside Flink's own metrics ({@link
 * FlinkRestMetrics}): records read per topic, undecodable ones, dead letters per reason and per
 * quality rule, node-health changes per status, GPU anomalies per metric, scheduling decisions per
 * action, policy violations per policy and severity, decision and detection latency (histograms),
 * browsers connected. Records are counted once by their record id (the outputs are at-least-once),
 * within a memory of the last {@value #REMEMBERED_IDS} ids per topic; a dashboard counts from the
 * records it read (from its look-back on), so Flink's counters are the totals.
 */
public final class DashboardMetrics {

    static final int REMEMBERED_IDS = 100_000;

    /** Every metric family it exports, for the Grafana dashboard's test and the docs. */
    public static final List<String> METRIC_NAMES =
            List.of(
                    "substrate_dashboard_records_total",
                    "substrate_dashboard_undecodable_records_total",
                    "substrate_dashboard_dead_letters_total",
                    "substrate_dashboard_quality_rule_dead_letters_total",
                    "substrate_dashboard_node_health_changes_total",
                    "substrate_dashboard_gpu_anomalies_total",
                    "substrate_dashboard_scheduling_decisions_total",
                    "substrate_dashboard_policy_violations_total",
                    "substrate_dashboard_decision_latency_seconds",
                    "substrate_dashboard_detection_latency_seconds",
                    "substrate_dashboard_browsers");

    /**
     * Latency buckets, in seconds: from a decision in the same second as its input to one held back
     * minutes by event time (the watermark, a timer).
     */
    private static final double[] LATENCY_BUCKETS = {
        0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900
    };

    private final PrometheusRegistry registry;
    private final Counter records;
    private final Counter undecodable;
    private final Counter deadLetters;
    private final Counter ruleDeadLetters;
    private final Counter healthChanges;
    private final Counter anomalies;
    private final Counter decisions;
    private final Counter violations;
    private final Histogram decisionLatency;
    private final Histogram detectionLatency;
    private final Map<String, LinkedHashMap<String, Boolean>> seen = new HashMap<>();

    /**
     * @param browsers how many browsers are connected now
     */
    public DashboardMetrics(PrometheusRegistry registry, IntSupplier browsers) {
        this.registry = registry;
        this.records =
                Counter.builder()
                        .name("substrate_dashboard_records")
                        .help("Records the dashboard read from each Kafka output topic")
                        .labelNames("topic")
                        .register(registry);
        this.undecodable =
                Counter.builder()
                        .name("substrate_dashboard_undecodable_records")
                        .help("Records of an output topic the dashboard could not decode")
                        .labelNames("topic")
                        .register(registry);
        this.deadLetters =
                Counter.builder()
                        .name("substrate_dashboard_dead_letters")
                        .help("Dead letters per reason, each counted once")
                        .labelNames("reason")
                        .register(registry);
        this.ruleDeadLetters =
                Counter.builder()
                        .name("substrate_dashboard_quality_rule_dead_letters")
                        .help("Dead letters per quality rule that refused the record")
                        .labelNames("rule")
                        .register(registry);
        this.healthChanges =
                Counter.builder()
                        .name("substrate_dashboard_node_health_changes")
                        .help("Node-health changes per new status")
                        .labelNames("status")
                        .register(registry);
        this.anomalies =
                Counter.builder()
                        .name("substrate_dashboard_gpu_anomalies")
                        .help("GPU anomalies per metric")
                        .labelNames("metric")
                        .register(registry);
        this.decisions =
                Counter.builder()
                        .name("substrate_dashboard_scheduling_decisions")
                        .help("Scheduling decisions per action, each decision counted once")
                        .labelNames("action")
                        .register(registry);
        this.violations =
                Counter.builder()
                        .name("substrate_dashboard_policy_violations")
                        .help("Policy violations (incidents) per policy and severity")
                        .labelNames("policy", "severity")
                        .register(registry);
        this.decisionLatency =
                Histogram.builder()
                        .name("substrate_dashboard_decision_latency_seconds")
                        .help(
                                "From the event time of the input that caused a scheduling"
                                        + " decision (decided_at) to the decision leaving the"
                                        + " scheduler (emitted_at)")
                        .classicOnly()
                        .classicUpperBounds(LATENCY_BUCKETS)
                        .register(registry);
        this.detectionLatency =
                Histogram.builder()
                        .name("substrate_dashboard_detection_latency_seconds")
                        .help(
                                "From the event time of a policy violation's last evidence event"
                                        + " to its detection (detection_latency_ms)")
                        .classicOnly()
                        .classicUpperBounds(LATENCY_BUCKETS)
                        .register(registry);
        GaugeWithCallback.builder()
                .name("substrate_dashboard_browsers")
                .help("Browsers connected to the live event stream")
                .callback(callback -> callback.call(browsers.getAsInt()))
                .register(registry);
    }

    /** The registry {@code /metrics} writes. */
    public PrometheusRegistry registry() {
        return registry;
    }

    /** True the first time {@code id} is seen on {@code topic} (within the memory of ids). */
    public synchronized boolean firstSeen(String topic, String id) {
        LinkedHashMap<String, Boolean> ids =
                seen.computeIfAbsent(
                        topic,
                        t ->
                                new LinkedHashMap<>() {
                                    @Override
                                    protected boolean removeEldestEntry(
                                            Map.Entry<String, Boolean> eldest) {
                                        return size() > REMEMBERED_IDS;
                                    }
                                });
        return ids.put(id, Boolean.TRUE) == null;
    }

    public void record(String topic) {
        records.labelValues(topic).inc();
    }

    public void undecodable(String topic) {
        undecodable.labelValues(topic).inc();
    }

    /** Counts a dead letter; returns the count for its reason. */
    public long deadLetter(String reason) {
        var point = deadLetters.labelValues(reason);
        point.inc();
        return point.getLongValue();
    }

    /** Counts a dead letter a quality rule refused; returns the count for the rule. */
    public long qualityRuleDeadLetter(String rule) {
        var point = ruleDeadLetters.labelValues(rule);
        point.inc();
        return point.getLongValue();
    }

    public void nodeHealthChange(String status) {
        healthChanges.labelValues(status).inc();
    }

    public void gpuAnomaly(String metric) {
        anomalies.labelValues(metric).inc();
    }

    /**
     * Counts a scheduling decision and observes its latency.
     *
     * @param latencyMillis wall clock of the decision minus the event time that caused it; a
     *     negative one (a producer clock ahead of the job's) is observed as 0
     */
    public void schedulingDecision(String action, long latencyMillis) {
        decisions.labelValues(action).inc();
        decisionLatency.observe(Math.max(0, latencyMillis) / 1000.0);
    }

    /** Counts a policy violation (an incident, once whatever its revisions). */
    public void policyViolation(String policy, String severity) {
        violations.labelValues(policy, severity).inc();
    }

    /** Observes how long a violation took to detect after its last evidence event. */
    public void detectionLatency(long millis) {
        detectionLatency.observe(Math.max(0, millis) / 1000.0);
    }
}
