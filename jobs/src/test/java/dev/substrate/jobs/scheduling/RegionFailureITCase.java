package dev.substrate.jobs.scheduling;

import static dev.substrate.jobs.scheduling.SchedulingScenario.EAST;
import static dev.substrate.jobs.scheduling.SchedulingScenario.T0;
import static dev.substrate.jobs.scheduling.SchedulingScenario.WEST;
import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.events.GpuSample;
import dev.substrate.events.RequestLifecycle;
import dev.substrate.events.SchedulingDecision;
import dev.substrate.events.WorkloadRequest;
import dev.substrate.jobs.telemetry.FleetHealthStage;
import dev.substrate.sinks.lake.LakeCatalogConfig;
import dev.substrate.sinks.lake.LakeReader;
import dev.substrate.testkit.MiniClusters;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.apache.iceberg.data.Record;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fleet of two regions in which the east region stops reporting four minutes in: fleet health
 * marks its nodes DOWN, and the scheduler moves all of the work it held to the west. Runs the fleet
 * health and scheduling stages on a MiniCluster at parallelism 2 and reads the decisions back from
 * the Iceberg table: nothing is lost, nothing is placed in the east after it failed, and every
 * request is accounted for.
 */
class RegionFailureITCase {

    @RegisterExtension static final MiniClusterExtension FLINK = MiniClusters.twoSlots();

    @TempDir Path dataDir;

    @Test
    void allWorkOfAFailedRegionMovesAndTheDecisionsAddUp() throws Exception {
        Instant eastDown = T0.plus(Duration.ofMinutes(4));
        List<GpuSample> samples = SchedulingScenario.fleet(Duration.ofMinutes(10), eastDown);
        List<WorkloadRequest> requests =
                SchedulingScenario.requests(30, Duration.ofSeconds(10), Duration.ofMinutes(3));

        Configuration config = new Configuration();
        config.set(PipelineOptions.GENERIC_TYPES, false);
        config.set(PipelineOptions.OBJECT_REUSE, true);
        config.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, Duration.ofSeconds(1));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        env.setParallelism(2);
        LakeCatalogConfig catalog = LakeCatalogConfig.hadoop(dataDir.resolve("warehouse"));

        DataStream<GpuSample> sampleStream = SchedulingScenario.samples(env, samples);
        FleetHealthStage.Output fleet = SchedulingScenario.fleetHealth(sampleStream);
        SchedulingStage.Output scheduling =
                new SchedulingStage(
                                new SchedulingStage.Settings(
                                        SchedulingScenario.config(), catalog, null))
                        .addTo(
                                SchedulingScenario.requests(env, requests),
                                fleet.nodeHealth(),
                                fleet.capacity(),
                                sampleStream);
        CloseableIterator<SchedulingDecision> collected = scheduling.decisions().collectAsync();
        env.execute("region-failure-itcase");
        List<SchedulingDecision> streamed = new ArrayList<>();
        collected.forEachRemaining(streamed::add);

        List<Record> rows =
                LakeReader.readAll(catalog.catalogLoader().loadCatalog(), "scheduling_decisions");
        Map<String, List<Record>> byRequest =
                rows.stream()
                        .sorted(
                                Comparator.comparing(
                                        (Record r) -> (Integer) r.getField("sequence")))
                        .collect(
                                Collectors.groupingBy(
                                        r -> (String) r.getField("request_id"),
                                        TreeMap::new,
                                        Collectors.toList()));

        // Nothing lost, nothing twice: the lake holds exactly the decisions that left the
        // operator, each once, numbered 1, 2, ... per request.
        assertThat(rows.stream().map(r -> (String) r.getField("decision_id")))
                .doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(
                        streamed.stream().map(SchedulingDecision::getDecisionId).toList());
        byRequest.forEach(
                (id, decisions) -> {
                    for (int i = 0; i < decisions.size(); i++) {
                        assertThat(decisions.get(i).getField("sequence")).isEqualTo(i + 1);
                    }
                });

        // Every request is accounted for: it ended (RELEASE) if it completed, else it runs.
        Set<String> submitted =
                requests.stream().map(WorkloadRequest::getRequestId).collect(Collectors.toSet());
        Set<String> completed =
                requests.stream()
                        .filter(r -> r.getLifecycle() == RequestLifecycle.COMPLETED)
                        .map(WorkloadRequest::getRequestId)
                        .collect(Collectors.toSet());
        assertThat(byRequest.keySet()).isEqualTo(submitted);
        Map<String, Integer> last = new TreeMap<>();
        byRequest.forEach(
                (id, decisions) -> {
                    String action = (String) decisions.get(decisions.size() - 1).getField("action");
                    last.merge(action, 1, Integer::sum);
                    if (completed.contains(id)) {
                        assertThat(action).as(id).isEqualTo("RELEASE");
                    } else {
                        assertThat(action).as(id).isIn("ASSIGN", "REROUTE", "RESCHEDULE");
                    }
                });
        assertThat(last.values().stream().mapToInt(Integer::intValue).sum())
                .isEqualTo(submitted.size());
        assertThat(rows).noneMatch(r -> "REJECT".equals(r.getField("action")));

        // The east failed: everything it held moved west at once.
        List<Record> moved =
                rows.stream().filter(r -> "RESCHEDULE".equals(r.getField("action"))).toList();
        assertThat(moved).isNotEmpty();
        assertThat(moved).allSatisfy(r -> assertThat(r.getField("region")).isEqualTo(WEST));
        assertThat(moved)
                .allSatisfy(r -> assertThat((String) r.getField("reason")).contains("went DOWN"));
        Instant firstDown =
                moved.stream()
                        .map(r -> instant(r.getField("decided_at")))
                        .min(Instant::compareTo)
                        .orElseThrow();
        assertThat(firstDown).isAfter(eastDown).isBefore(eastDown.plusSeconds(60));
        Map<String, Instant> heldEastAtFailure = heldInEastBefore(byRequest, firstDown);
        assertThat(heldEastAtFailure).isNotEmpty();
        heldEastAtFailure.forEach(
                (id, since) -> {
                    Record next =
                            byRequest.get(id).stream()
                                    .filter(
                                            r ->
                                                    !instant(r.getField("decided_at"))
                                                            .isBefore(firstDown))
                                    .findFirst()
                                    .orElseThrow();
                    assertThat(next.getField("action")).as(id).isEqualTo("RESCHEDULE");
                });
        // The gang moved together.
        assertThat(byRequest.get("req-003"))
                .anySatisfy(r -> assertThat(r.getField("action")).isEqualTo("RESCHEDULE"));
        assertThat(lastCluster(byRequest.get("req-003")))
                .isEqualTo(lastCluster(byRequest.get("req-004")));

        // Nothing is placed in the east once it failed.
        assertThat(rows)
                .filteredOn(r -> !instant(r.getField("decided_at")).isBefore(firstDown))
                .noneMatch(r -> EAST.equals(r.getField("region")));
    }

    private static Map<String, Instant> heldInEastBefore(
            Map<String, List<Record>> byRequest, Instant failure) {
        Map<String, Instant> held = new HashMap<>();
        byRequest.forEach(
                (id, decisions) -> {
                    Record latest = null;
                    for (Record r : decisions) {
                        if (instant(r.getField("decided_at")).isBefore(failure)) {
                            latest = r;
                        }
                    }
                    if (latest != null
                            && List.of("ASSIGN", "REROUTE", "RESCHEDULE")
                                    .contains(latest.getField("action"))
                            && EAST.equals(latest.getField("region"))) {
                        held.put(id, instant(latest.getField("decided_at")));
                    }
                });
        return held;
    }

    private static Object lastCluster(List<Record> decisions) {
        return decisions.get(decisions.size() - 1).getField("cluster");
    }

    private static Instant instant(Object value) {
        return ((OffsetDateTime) value).toInstant();
    }
}
