package dev.substrate.dashboard.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running Flink jobs' own metrics, read from Flink's REST API and exported with the Prometheus
 * Java client: records in and out per stage (job vertex), quality-rule failures, dead letters of
 * the decoder, the Kafka sources' pending records (consumer lag), checkpoint duration, age and
 * counts. {@link #poll()} reads them (the dashboard calls it every few seconds, off any request
 * thread); a scrape returns the last poll, so {@code /metrics} never waits on Flink.
 *
 * <pre>
 * substrate_flink_records_in_total{job="substrate (local)",vertex="Telemetry windows"} 12345.0
 * substrate_flink_quality_failed_total{job="substrate (local)",rule="power_draw_within_limit"} 12.0
 * substrate_flink_checkpoint_age_seconds{job="substrate (local)"} 3.2
 * </pre>
 */
public final class FlinkRestMetrics implements MultiCollector {

    private static final Logger LOG = LoggerFactory.getLogger(FlinkRestMetrics.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Metric ids of a vertex's operators: {@code <operator>.quality.<rule>.failed}. */
    private static final Pattern QUALITY_FAILED = Pattern.compile("^.*\\.quality\\.(.+)\\.failed$");

    private static final Pattern DEAD_LETTERS = Pattern.compile("^(?:.*\\.)?deadLetters$");
    private static final Pattern PENDING_RECORDS = Pattern.compile("^(?:.*\\.)?pendingRecords$");

    /**
     * Operator-level record counts ({@code <operator>.numRecordsIn}): a source reads from Kafka,
     * which its task's {@code numRecordsIn} does not count, and a chain ending in a sink emits
     * nothing its task's {@code numRecordsOut} counts.
     */
    private static final Pattern SOURCE_RECORDS_IN = Pattern.compile("^Source.*\\.numRecordsIn$");

    private static final Pattern OPERATOR_RECORDS_OUT = Pattern.compile("^.+\\.numRecordsOut$");

    /** Every metric family it exports, for the Grafana dashboard's test and the docs. */
    public static final List<String> METRIC_NAMES =
            List.of(
                    "substrate_flink_job_running",
                    "substrate_flink_records_in_total",
                    "substrate_flink_records_out_total",
                    "substrate_flink_quality_failed_total",
                    "substrate_flink_decoder_dead_letters_total",
                    "substrate_flink_source_pending_records",
                    "substrate_flink_checkpoints_completed_total",
                    "substrate_flink_checkpoints_failed_total",
                    "substrate_flink_checkpoint_duration_seconds",
                    "substrate_flink_checkpoint_age_seconds",
                    "substrate_flink_rest_up");

    private final URI rest;
    private final HttpClient http;
    private final Clock clock;
    private volatile MetricSnapshots last = new MetricSnapshots(List.of());

    /**
     * @param rest Flink's REST address, e.g. {@code http://127.0.0.1:8081}
     */
    public FlinkRestMetrics(URI rest, Clock clock) {
        this.rest = Objects.requireNonNull(rest, "rest");
        this.clock = clock;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    }

    @Override
    public MetricSnapshots collect() {
        return last;
    }

    /**
     * Reads every running job's metrics from Flink, keeps them for the next scrape and returns them
     * by job. When Flink cannot be reached, {@code substrate_flink_rest_up} is 0 and the error is
     * logged once per poll at debug (the dashboard outlives restarts of the job).
     */
    public List<JobMetrics> poll() {
        Families families = new Families();
        List<JobMetrics> jobs = new ArrayList<>();
        boolean up;
        try {
            for (JsonNode job : get("/jobs/overview").path("jobs")) {
                if (!"RUNNING".equals(job.path("state").asText())) {
                    continue;
                }
                jobs.add(readJob(job.path("jid").asText(), job.path("name").asText(), families));
            }
            up = true;
        } catch (IOException e) {
            LOG.debug("Flink REST API at {} not reachable: {}", rest, e.toString());
            up = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        }
        families.gauge(
                "substrate_flink_rest_up",
                "1 when Flink's REST API answered the last poll",
                Labels.EMPTY,
                up ? 1 : 0);
        last = families.build();
        return jobs;
    }

    private JobMetrics readJob(String jid, String name, Families families)
            throws IOException, InterruptedException {
        Labels job = Labels.of("job", name);
        families.gauge("substrate_flink_job_running", "1 for each running job", job, 1);
        Map<String, long[]> recordsPerStage = new LinkedHashMap<>();
        for (JsonNode vertex : get("/jobs/" + jid).path("vertices")) {
            String vid = vertex.path("id").asText();
            String vertexName = vertex.path("name").asText();
            Labels labels = Labels.of("job", name, "vertex", vertexName);
            List<String> wanted = new ArrayList<>(List.of("numRecordsIn", "numRecordsOut"));
            for (JsonNode metric : get("/jobs/" + jid + "/vertices/" + vid + "/subtasks/metrics")) {
                String id = metric.path("id").asText();
                if (QUALITY_FAILED.matcher(id).matches()
                        || SOURCE_RECORDS_IN.matcher(id).matches()
                        || OPERATOR_RECORDS_OUT.matcher(id).matches()
                        || DEAD_LETTERS.matcher(id).matches()
                        || PENDING_RECORDS.matcher(id).matches()) {
                    wanted.add(id);
                }
            }
            String query = URLEncoder.encode(String.join(",", wanted), StandardCharsets.UTF_8);
            double taskIn = 0;
            double taskOut = 0;
            double sourceIn = 0;
            double operatorOut = 0;
            for (JsonNode metric :
                    get(
                            "/jobs/"
                                    + jid
                                    + "/vertices/"
                                    + vid
                                    + "/subtasks/metrics?agg=sum&get="
                                    + query)) {
                String id = metric.path("id").asText();
                double sum = metric.path("sum").asDouble();
                Matcher quality = QUALITY_FAILED.matcher(id);
                if (id.equals("numRecordsIn")) {
                    taskIn = sum;
                } else if (id.equals("numRecordsOut")) {
                    taskOut = sum;
                } else if (SOURCE_RECORDS_IN.matcher(id).matches()) {
                    sourceIn += sum;
                } else if (OPERATOR_RECORDS_OUT.matcher(id).matches()) {
                    operatorOut = Math.max(operatorOut, sum);
                } else if (quality.matches()) {
                    families.counter(
                            "substrate_flink_quality_failed",
                            "Records that failed each quality rule",
                            Labels.of("job", name, "vertex", vertexName, "rule", quality.group(1)),
                            sum);
                } else if (DEAD_LETTERS.matcher(id).matches()) {
                    families.counter(
                            "substrate_flink_decoder_dead_letters",
                            "Records the decoder turned into dead letters",
                            labels,
                            sum);
                } else if (PENDING_RECORDS.matcher(id).matches()) {
                    families.gauge(
                            "substrate_flink_source_pending_records",
                            "Records in Kafka the sources have not read yet (consumer lag)",
                            labels,
                            sum);
                }
            }
            long in = (long) Math.max(taskIn, sourceIn);
            long out = (long) Math.max(taskOut, operatorOut);
            families.counter(
                    "substrate_flink_records_in",
                    "Records each stage (job vertex) read: from Kafka for a source, else from the"
                            + " stages before it",
                    labels,
                    in);
            families.counter(
                    "substrate_flink_records_out",
                    "Records each stage (job vertex) emitted (its busiest operator's output)",
                    labels,
                    out);
            recordsPerStage.put(vertexName, new long[] {in, out});
        }
        JsonNode checkpoints = get("/jobs/" + jid + "/checkpoints");
        families.counter(
                "substrate_flink_checkpoints_completed",
                "Checkpoints completed",
                job,
                checkpoints.path("counts").path("completed").asDouble());
        families.counter(
                "substrate_flink_checkpoints_failed",
                "Checkpoints failed",
                job,
                checkpoints.path("counts").path("failed").asDouble());
        JsonNode latest = checkpoints.path("latest").path("completed");
        Double durationSeconds = null;
        Double ageSeconds = null;
        if (latest.isObject()) {
            durationSeconds = latest.path("end_to_end_duration").asDouble() / 1000.0;
            ageSeconds =
                    Math.max(0, clock.millis() - latest.path("latest_ack_timestamp").asLong())
                            / 1000.0;
            families.gauge(
                    "substrate_flink_checkpoint_duration_seconds",
                    "End-to-end duration of the latest completed checkpoint",
                    job,
                    durationSeconds);
            families.gauge(
                    "substrate_flink_checkpoint_age_seconds",
                    "Time since the latest completed checkpoint (how stale the lake can be)",
                    job,
                    ageSeconds);
        }
        return new JobMetrics(name, recordsPerStage, durationSeconds, ageSeconds);
    }

    private JsonNode get(String path) throws IOException, InterruptedException {
        HttpRequest request =
                HttpRequest.newBuilder(rest.resolve(path))
                        .timeout(Duration.ofSeconds(5))
                        .GET()
                        .build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("HTTP " + response.statusCode() + " from " + request.uri());
        }
        return JSON.readTree(response.body());
    }

    /** One job's numbers, for the dashboard's pipeline panel. */
    public record JobMetrics(
            String name,
            Map<String, long[]> recordsInOutPerStage,
            Double checkpointDurationSeconds,
            Double checkpointAgeSeconds) {}

    /**
     * Data points gathered per family, since a family must be written once; points with the same
     * labels (two operators of one vertex counting one rule) are added up.
     */
    private static final class Families {
        private final Map<String, Family> families = new LinkedHashMap<>();

        void counter(String name, String help, Labels labels, double value) {
            add(name, help, true, labels, value);
        }

        void gauge(String name, String help, Labels labels, double value) {
            add(name, help, false, labels, value);
        }

        private void add(String name, String help, boolean counter, Labels labels, double value) {
            families.computeIfAbsent(name, n -> new Family(help, counter, new LinkedHashMap<>()))
                    .points()
                    .merge(labels, value, Double::sum);
        }

        MetricSnapshots build() {
            List<MetricSnapshot> all = new ArrayList<>();
            families.forEach(
                    (name, family) -> {
                        if (family.counter()) {
                            CounterSnapshot.Builder builder =
                                    CounterSnapshot.builder().name(name).help(family.help());
                            family.points()
                                    .forEach(
                                            (labels, value) ->
                                                    builder.dataPoint(
                                                            CounterSnapshot.CounterDataPointSnapshot
                                                                    .builder()
                                                                    .labels(labels)
                                                                    .value(value)
                                                                    .build()));
                            all.add(builder.build());
                        } else {
                            GaugeSnapshot.Builder builder =
                                    GaugeSnapshot.builder().name(name).help(family.help());
                            family.points()
                                    .forEach(
                                            (labels, value) ->
                                                    builder.dataPoint(
                                                            GaugeSnapshot.GaugeDataPointSnapshot
                                                                    .builder()
                                                                    .labels(labels)
                                                                    .value(value)
                                                                    .build()));
                            all.add(builder.build());
                        }
                    });
            return new MetricSnapshots(all);
        }

        private record Family(String help, boolean counter, Map<Labels, Double> points) {}
    }
}
