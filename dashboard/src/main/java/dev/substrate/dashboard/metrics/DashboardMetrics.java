package dev.substrate.dashboard.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;

/**
 * What the dashboard itself counts from the Kafka output topics, beside Flink's own metrics ({@link
 * FlinkRestMetrics}): records read per topic, undecodable ones, dead letters per reason and per
 * quality rule, node-health changes per status, GPU anomalies per metric, browsers connected.
 * Records are counted once by their record id (the outputs are at-least-once), within a memory of
 * the last {@value #REMEMBERED_IDS} ids per topic; a dashboard counts from the records it read
 * (from its look-back on), so Flink's counters are the totals.
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
                    "substrate_dashboard_browsers");

    private final PrometheusRegistry registry;
    private final Counter records;
    private final Counter undecodable;
    private final Counter deadLetters;
    private final Counter ruleDeadLetters;
    private final Counter healthChanges;
    private final Counter anomalies;
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
}
