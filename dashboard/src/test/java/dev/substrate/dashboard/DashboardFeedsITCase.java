package dev.substrate.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.substrate.dashboard.feeds.DeadLetterFeed;
import dev.substrate.dashboard.feeds.GpuMetricsFeed;
import dev.substrate.dashboard.feeds.NodeHealthFeed;
import dev.substrate.dashboard.feeds.PolicyViolationFeed;
import dev.substrate.dashboard.feeds.SchedulingDecisionFeed;
import dev.substrate.dashboard.live.Update;
import dev.substrate.dashboard.live.UpdateHub;
import dev.substrate.dashboard.tenants.TenantUsage;
import dev.substrate.events.DeadLetterReason;
import dev.substrate.events.NodeStatus;
import dev.substrate.events.PolicySeverity;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.testkit.EmbeddedServicesExtension;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The feeds read real output topics (wire format, real registry) into the dashboard. */
class DashboardFeedsITCase {

    @RegisterExtension
    static final EmbeddedServicesExtension SERVICES =
            new EmbeddedServicesExtension(OutputTopics.ALL);

    @Test
    void feedsShowTheOutputsOnceWithLateRevisionsAndWithoutTheOriginalBytes() throws Exception {
        Instant window = Instant.parse("2026-12-01T10:00:00Z");
        try (SchemaRegistryClient registry =
                        new SchemaRegistryClient(
                                SchemaRegistryConfig.of(SERVICES.registry().url()));
                OutputTopics outputs =
                        new OutputTopics(SERVICES.broker().bootstrapServers(), registry);
                Dashboard dashboard =
                        Dashboard.builder()
                                .kafka(SERVICES.broker().bootstrapServers())
                                .registry(registry)
                                .port(0)
                                .lookBack(Duration.ofDays(3650))
                                .build()
                                .start()) {
            outputs.send(
                    Dashboard.Topics.GPU_METRICS,
                    OutputTopics.clusterWindow("h100-a", window, 100, 40.0));
            // A late revision of the same window: more samples, another mean.
            outputs.send(
                    Dashboard.Topics.GPU_METRICS,
                    OutputTopics.clusterWindow("h100-a", window, 120, 45.0));
            outputs.send(
                    Dashboard.Topics.GPU_METRICS,
                    OutputTopics.clusterWindow("h100-a", window.plusSeconds(60), 100, 50.0));
            for (int repeat = 0; repeat < 2; repeat++) { // at-least-once: a repeat
                outputs.send(
                        Dashboard.Topics.NODE_HEALTH,
                        OutputTopics.nodeHealth(
                                "h100-a", "node-7", NodeStatus.DRAIN, "xid 79: fell off the bus"));
                outputs.send(
                        Dashboard.Topics.DEAD_LETTERS,
                        OutputTopics.deadLetter(
                                41, DeadLetterReason.QUALITY_RULE_FAILED, "util_in_range", "bad"));
            }
            outputs.send(
                    Dashboard.Topics.DEAD_LETTERS,
                    OutputTopics.deadLetter(42, DeadLetterReason.NOT_WIRE_FORMAT, null, "short"));
            outputs.sendRaw(Dashboard.Topics.NODE_HEALTH, new byte[] {1, 2, 3});
            // Two GPUs of node-1 placed for acme at the window's start, then its node window.
            for (int repeat = 0; repeat < 2; repeat++) {
                outputs.send(
                        Dashboard.Topics.SCHEDULING_DECISIONS,
                        OutputTopics.placement(
                                "acme", "req-1", "node-1", window, 2, "fits <b>node-1</b>"));
            }
            for (int revision = 1; revision <= 2; revision++) {
                outputs.send(
                        Dashboard.Topics.POLICY_VIOLATIONS,
                        OutputTopics.violation(
                                "credential-stuffing",
                                PolicySeverity.HIGH,
                                "tok-1",
                                revision,
                                "7 denied logins, then a success"));
            }

            UpdateHub hub = dashboard.hub();
            // The window after the placement is read (topics are read in no set order).
            awaitPanel(hub, SchedulingDecisionFeed.PANEL, u -> u.size() == 1);
            outputs.send(
                    Dashboard.Topics.GPU_METRICS,
                    OutputTopics.nodeWindow("h100-a", "node-1", window, 4, 24_000));
            awaitPanel(
                    hub,
                    GpuMetricsFeed.PANEL,
                    u -> u.size() == 2 && u.get(0).json().contains("\"sample_count\":120"));
            awaitPanel(hub, DeadLetterFeed.REASONS_PANEL, u -> u.size() == 2);
            awaitPanel(
                    hub,
                    PolicyViolationFeed.PANEL,
                    u -> u.size() == 1 && u.get(0).json().contains("\"revision\":2"));
            awaitPanel(
                    hub,
                    TenantUsage.PANEL,
                    u -> u.size() == 1 && !u.get(0).json().contains("\"energy_kwh\":0.0,"));

            assertThat(hub.panel(SchedulingDecisionFeed.PANEL))
                    .singleElement()
                    .satisfies(u -> assertThat(u.json()).contains("fits <b>node-1</b>"));
            assertThat(hub.panel(SchedulingDecisionFeed.TIMELINE_PANEL))
                    .extracting(Update::json)
                    .containsExactly(
                            "{\"action\":\"ASSIGN\",\"minute\":"
                                    + window.toEpochMilli()
                                    + ",\"count\":1}");
            assertThat(hub.panel(PolicyViolationFeed.PANEL).get(0).json())
                    .contains("\"evidence\":[\"audit-1\",\"audit-2\"]")
                    .contains("7 denied logins, then a success");
            assertThat(hub.panel(PolicyViolationFeed.SEVERITIES_PANEL))
                    .extracting(Update::json)
                    .containsExactly("{\"severity\":\"HIGH\",\"count\":1}");
            // 2 of the node's 4 GPUs for the whole window: half of its 24 kJ; 2 GPUs × 1 minute.
            JsonNode acme = new ObjectMapper().readTree(hub.panel(TenantUsage.PANEL).get(0).json());
            assertThat(acme.path("tenant").asText()).isEqualTo("acme");
            assertThat(acme.path("energy_kwh").asDouble()).isCloseTo(12_000 / 3.6e6, within(1e-12));
            assertThat(acme.path("gpu_hours").asDouble()).isCloseTo(2 / 60.0, within(1e-12));

            List<Update> windows = hub.panel(GpuMetricsFeed.PANEL);
            assertThat(windows.get(0).key()).isEqualTo("h100-a|" + window.toEpochMilli());
            assertThat(windows.get(0).json()).contains("\"utilization_pct_mean\":45.0");
            assertThat(hub.panel(NodeHealthFeed.PANEL)).hasSize(1);
            assertThat(hub.panel(NodeHealthFeed.PANEL).get(0).json())
                    .contains("xid 79: fell off the bus")
                    .contains("\"status\":\"DRAIN\"");
            assertThat(hub.panel(DeadLetterFeed.PANEL)).hasSize(2);
            assertThat(hub.panel(DeadLetterFeed.PANEL))
                    .allSatisfy(
                            u ->
                                    assertThat(u.json())
                                            .doesNotContain("\"original_value\"")
                                            .doesNotContain("secret"));
            assertThat(hub.panel(DeadLetterFeed.REASONS_PANEL))
                    .extracting(Update::json)
                    .containsExactlyInAnyOrder(
                            "{\"reason\":\"QUALITY_RULE_FAILED\",\"count\":1}",
                            "{\"reason\":\"NOT_WIRE_FORMAT\",\"count\":1}");
            assertThat(hub.panel(DeadLetterFeed.RULES_PANEL))
                    .extracting(Update::json)
                    .containsExactly("{\"rule\":\"util_in_range\",\"count\":1}");

            String metrics =
                    HttpClient.newHttpClient()
                            .send(
                                    HttpRequest.newBuilder(dashboard.url().resolve("/metrics"))
                                            .build(),
                                    HttpResponse.BodyHandlers.ofString())
                            .body();
            assertThat(metrics)
                    .contains(
                            "substrate_dashboard_dead_letters_total{reason=\"QUALITY_RULE_FAILED\"}"
                                    + " 1.0")
                    .contains("substrate_dashboard_node_health_changes_total{status=\"DRAIN\"} 1.0")
                    .contains(
                            "substrate_dashboard_undecodable_records_total{topic=\"substrate.node-health\"}"
                                + " 1.0")
                    .contains(
                            "substrate_dashboard_scheduling_decisions_total{action=\"ASSIGN\"}"
                                    + " 1.0")
                    .contains(
                            "substrate_dashboard_policy_violations_total"
                                    + "{policy=\"credential-stuffing\",severity=\"HIGH\"} 1.0")
                    .contains("substrate_dashboard_decision_latency_seconds_bucket{le=\"2.5\"} 1")
                    .contains("substrate_dashboard_detection_latency_seconds_bucket{le=\"1.0\"} 0")
                    .contains("substrate_dashboard_detection_latency_seconds_bucket{le=\"2.5\"} 1");
        }
    }

    private static void awaitPanel(UpdateHub hub, String panel, Predicate<List<Update>> done)
            throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!done.test(hub.panel(panel))) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(
                        "Panel " + panel + " never got there: " + hub.panel(panel));
            }
            Thread.sleep(100);
        }
    }
}
