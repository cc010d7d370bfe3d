package dev.substrate.bench;

import dev.substrate.embedded.kafka.EmbeddedKafkaBroker;
import dev.substrate.embedded.registry.EmbeddedSchemaRegistry;
import dev.substrate.events.GpuSample;
import dev.substrate.events.SchedulingDecision;
import dev.substrate.events.WorkloadRequest;
import dev.substrate.jobs.config.EventTimeOptions;
import dev.substrate.jobs.config.SubstrateOptions;
import dev.substrate.jobs.scheduling.SchedulingStage;
import dev.substrate.jobs.telemetry.FleetHealthOptions;
import dev.substrate.jobs.telemetry.FleetHealthStage;
import dev.substrate.operators.scheduling.FleetSignal;
import dev.substrate.operators.scheduling.SchedulerFunction;
import dev.substrate.operators.scheduling.config.OverQuotaAction;
import dev.substrate.operators.scheduling.config.SchedulerConfig;
import dev.substrate.operators.scheduling.config.SchedulerPolicy;
import dev.substrate.operators.scheduling.config.TenantQuota;
import dev.substrate.schemas.EventType;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.annotation.Nullable;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExecutionOptions;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.runtime.jobmaster.JobResult;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.TopicPartition;

/**
 * Scheduling decisions end to end: decisions per second and the latency from a workload request's
 * Kafka append to its decision leaving the scheduler operator, at a fixed request rate over a fleet
 * of 1,000 nodes, in one process: the embedded KRaft broker and schema registry, and for each phase
 * a fresh MiniCluster (parallelism 2) running
 *
 * <pre>
 *  substrate.gpu-samples ──► decode (ingest watermarks) ─┬─► FleetHealthStage ─► node health, capacity ─┐
 *                                                        └─► GPU readings ─────────────────────────────┤
 *  substrate.workload-requests ─► decode (ingest watermarks) ──────────────────────────────────────────┴─► SchedulingStage ─► probe
 *  (LogAppendTime)                                                                                          (the job's own,    (chained to
 *                                                                                                           one scheduler)     the scheduler)
 * </pre>
 *
 * The stages are the job's own ({@link FleetHealthStage#addTo}, {@link SchedulingStage#addTo}),
 * built from their settings without their sinks; the sources read and decode as the ingest does,
 * with its per-partition watermarks ({@link IngestSources}). {@link SchedulingLoad} makes the fleet
 * known first (every GPU read once, so every node is UP in event time before the first request) and
 * then produces requests at the rate, half submissions and half completions. {@link ProbeSink}
 * notes each decision's {@code emitted_at} against the request's broker append time ({@link
 * DecisionLedger}).
 *
 * <p>Phases, each on a fresh MiniCluster: {@code defaults} (the job's event-time settings and
 * Flink's watermark interval and buffer timeout), {@code low} (the lowest sensible ones, {@code
 * --low-*}), and {@code baseline}: the low settings and the same sources and fleet stage, with the
 * scheduler's two keyed inputs going into a {@link WatermarkProbe} instead of the scheduler (when
 * each request arrives, and when the watermark passes its event time). Not a test: see {@code
 * bench/README.md} and {@code docs/BENCHMARKS.md}.
 */
public final class SchedulingLatencyBenchmark {

    /** The phases, in the order they run. */
    static final List<String> PHASES = List.of("defaults", "low", "baseline");

    private SchedulingLatencyBenchmark() {}

    /**
     * The command line.
     *
     * @param rate workload-request records per second (submissions and completions: each triggers
     *     one decision)
     * @param holdMs how long (event time) a request holds its GPUs before its completion
     * @param readEveryMs how often every GPU is read
     * @param lowOutOfOrderness {@code event-time.out-of-orderness} of the low phase
     * @param lowIdleness {@code event-time.idleness} of the low phase
     * @param lowWatermarkInterval {@code pipeline.auto-watermark-interval} of the low phase
     * @param lowBufferTimeout {@code execution.buffer-timeout} of the low phase
     */
    record Options(
            int rate,
            int nodes,
            int parallelism,
            int warmupSeconds,
            int seconds,
            int drainSeconds,
            long holdMs,
            long readEveryMs,
            Duration lowOutOfOrderness,
            Duration lowIdleness,
            Duration lowWatermarkInterval,
            Duration lowBufferTimeout,
            Duration checkpointInterval,
            List<String> phases) {

        static Options parse(String[] args) {
            Map<String, String> given = new LinkedHashMap<>();
            for (int i = 0; i < args.length; i += 2) {
                if (!args[i].startsWith("--") || i + 1 >= args.length) {
                    throw new IllegalArgumentException(
                            "options come as --name value pairs; got: " + args[i]);
                }
                given.put(args[i].substring(2), args[i + 1]);
            }
            Options options =
                    new Options(
                            integer(given, "rate", 10_000),
                            integer(given, "nodes", 1_000),
                            integer(given, "parallelism", 2),
                            integer(given, "warmup-seconds", 10),
                            integer(given, "seconds", 30),
                            integer(given, "drain-seconds", 15),
                            integer(given, "hold-ms", 500),
                            integer(given, "read-every-ms", 10_000),
                            millis(given, "low-out-of-orderness-ms", 0),
                            millis(given, "low-idleness-ms", 1_000),
                            millis(given, "low-watermark-interval-ms", 10),
                            millis(given, "low-buffer-timeout-ms", 5),
                            millis(
                                    given,
                                    "checkpoint-interval-ms",
                                    SubstrateOptions.CHECKPOINT_INTERVAL.defaultValue().toMillis()),
                            List.of(
                                    Objects.requireNonNullElse(
                                                    given.remove("phases"),
                                                    String.join(",", PHASES))
                                            .split(",")));
            if (!given.isEmpty()) {
                throw new IllegalArgumentException(
                        "unknown option(s) " + given.keySet() + "; see bench/README.md");
            }
            if (!PHASES.containsAll(options.phases())) {
                throw new IllegalArgumentException(
                        "--phases takes some of " + PHASES + ", not " + options.phases());
            }
            if (options.rate() < 2 || options.nodes() < 1 || options.seconds() < 1) {
                throw new IllegalArgumentException(
                        "--rate must be at least 2, --nodes and --seconds at least 1");
            }
            return options;
        }

        private static int integer(Map<String, String> given, String name, int fallback) {
            String value = given.remove(name);
            return value == null ? fallback : Integer.parseInt(value.replace("_", ""));
        }

        private static Duration millis(Map<String, String> given, String name, long fallback) {
            return Duration.ofMillis(integer(given, name, (int) fallback));
        }

        /** Requests in flight: completions follow their submissions by this many submissions. */
        int lag() {
            return (int) Math.max(1, holdMs * rate / 2 / 1000);
        }

        /** Record slots of one phase: enough for warm-up, measurement and drain at the rate. */
        int slots() {
            return (int) ((long) rate * (warmupSeconds + seconds + drainSeconds + 10));
        }
    }

    /** What one phase measured. */
    record PhaseResult(
            String phase,
            String settings,
            double offeredPerSecond,
            double answeredPerSecond,
            long maxBehindMillis,
            DecisionLedger.Summary summary,
            DecisionLedger.Summary decidedInWindow,
            @Nullable String actions) {}

    public static void main(String[] args) throws Exception {
        Options options = Options.parse(args);
        Path dataDir = Files.createTempDirectory("substrate-bench-scheduling-");
        System.out.println(TelemetryAggregationBenchmark.machine());
        System.out.printf(
                Locale.ROOT,
                "SchedulingLatencyBenchmark: %,d request records/s (half submissions, half"
                        + " completions; %,d requests in flight, each holding its GPUs %,d ms),"
                        + " %,d nodes × %d H100 (each GPU read every %,d ms), parallelism %d;"
                        + " per phase %d s warm-up, %d s measured, up to %d s drain; checkpoints"
                        + " every %,d ms; phases %s; data in %s%n",
                options.rate(),
                options.lag(),
                options.holdMs(),
                options.nodes(),
                BenchFleet.GPUS_PER_NODE,
                options.readEveryMs(),
                options.parallelism(),
                options.warmupSeconds(),
                options.seconds(),
                options.drainSeconds(),
                options.checkpointInterval().toMillis(),
                options.phases(),
                dataDir);
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dataDir.resolve("kafka"), 0);
                EmbeddedSchemaRegistry registry =
                        EmbeddedSchemaRegistry.start(dataDir.resolve("registry"), "127.0.0.1", 0)) {
            String bootstrap = broker.bootstrapServers();
            // The request topic stamps records with the broker's append time: the producer's
            // acknowledgement brings it back, and latency counts from it.
            broker.createTopics(
                    Map.of(EventType.WORKLOAD_REQUEST.topic(), options.parallelism()),
                    Map.of("message.timestamp.type", "LogAppendTime"));
            broker.createTopics(Map.of(EventType.GPU_SAMPLE.topic(), options.parallelism()));
            List<PhaseResult> results = new ArrayList<>();
            for (String phase : options.phases()) {
                PhaseResult result =
                        runPhase(phase, options, bootstrap, registry.url(), dataDir.resolve(phase));
                print(result);
                results.add(result);
            }
            printRatios(results);
        }
    }

    /** The phase's configuration: the job's runtime settings plus its event-time settings. */
    static Configuration phaseConfig(String phase, Options options, Path dir) {
        Configuration config = PipelineBenchmark.withoutKryoOrRestarts(new Configuration());
        config.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, options.checkpointInterval());
        config.set(
                CheckpointingOptions.CHECKPOINTS_DIRECTORY,
                dir.resolve("checkpoints").toUri().toString());
        config.set(StateBackendOptions.STATE_BACKEND, "hashmap");
        if (!phase.equals("defaults")) {
            config.set(EventTimeOptions.OUT_OF_ORDERNESS, options.lowOutOfOrderness());
            config.set(EventTimeOptions.IDLENESS, options.lowIdleness());
            config.set(PipelineOptions.AUTO_WATERMARK_INTERVAL, options.lowWatermarkInterval());
            config.set(ExecutionOptions.BUFFER_TIMEOUT, options.lowBufferTimeout());
        }
        return config;
    }

    /** The settings that set how long a decision waits, as the phase has them. */
    static String waitSettings(Configuration config) {
        return String.format(
                Locale.ROOT,
                "%s %,d ms, %s %,d ms, %s %,d ms, %s %,d ms",
                EventTimeOptions.OUT_OF_ORDERNESS.key(),
                config.get(EventTimeOptions.OUT_OF_ORDERNESS).toMillis(),
                EventTimeOptions.IDLENESS.key(),
                config.get(EventTimeOptions.IDLENESS).toMillis(),
                PipelineOptions.AUTO_WATERMARK_INTERVAL.key(),
                config.get(PipelineOptions.AUTO_WATERMARK_INTERVAL).toMillis(),
                ExecutionOptions.BUFFER_TIMEOUT.key(),
                config.get(ExecutionOptions.BUFFER_TIMEOUT).toMillis());
    }

    /**
     * The quotas and policy of the run: the stage's default policy (forgetting ended requests after
     * a minute instead of an hour, so the scheduler's state stays the size of a steady state), 8
     * tenants with a quarter of the fleet each, so that placement, not quota, decides.
     */
    static SchedulerConfig schedulerConfig(int nodes) {
        SchedulerPolicy policy =
                SchedulerPolicy.defaults().toBuilder()
                        .finishedRetention(Duration.ofMinutes(1))
                        .build();
        int share = Math.max(1, nodes * BenchFleet.GPUS_PER_NODE / 4);
        Map<String, TenantQuota> tenants = new TreeMap<>();
        for (int t = 0; t < SchedulingLoad.TENANTS; t++) {
            tenants.put(
                    "tenant-" + t,
                    new TenantQuota(
                            new TreeMap<>(Map.of(BenchFleet.H100, share)),
                            new TreeMap<>(),
                            OverQuotaAction.QUEUE,
                            null));
        }
        return SchedulerConfig.of(policy, Map.of(), tenants, null);
    }

    /**
     * Builds the phase's job: the two sources from the topics' current end, the fleet-health stage,
     * and either the scheduling stage with the probe chained behind it, or (baseline) the
     * scheduler's two keyed inputs into the {@link WatermarkProbe}.
     */
    static void buildJob(
            StreamExecutionEnvironment env,
            Configuration config,
            boolean withScheduler,
            Options options,
            String bootstrap,
            String registryUrl,
            String groupId,
            Map<TopicPartition, Long> startAt) {
        env.setParallelism(options.parallelism());
        OffsetsInitializer start = OffsetsInitializer.offsets(startAt);
        DataStream<GpuSample> samples =
                IngestSources.decoded(
                        env,
                        EventType.GPU_SAMPLE,
                        GpuSample.class,
                        bootstrap,
                        registryUrl,
                        groupId,
                        config,
                        start,
                        null);
        DataStream<WorkloadRequest> requests =
                IngestSources.decoded(
                        env,
                        EventType.WORKLOAD_REQUEST,
                        WorkloadRequest.class,
                        bootstrap,
                        registryUrl,
                        groupId,
                        config,
                        start,
                        null);
        FleetHealthStage.Output fleet =
                new FleetHealthStage(
                                new FleetHealthStage.Settings(
                                        FleetHealthOptions.health(config),
                                        FleetHealthOptions.anomalies(config),
                                        FleetHealthOptions.capacity(config),
                                        null,
                                        null,
                                        null,
                                        null))
                        .addTo(samples);
        if (withScheduler) {
            DataStream<SchedulingDecision> decisions =
                    new SchedulingStage(
                                    new SchedulingStage.Settings(
                                            schedulerConfig(options.nodes()), null, null))
                            .addTo(requests, fleet.nodeHealth(), fleet.capacity(), samples)
                            .decisions();
            decisions
                    .sinkTo(
                            new ProbeSink<SchedulingDecision>(
                                    (d, now) -> DecisionLedger.current().decided(d)))
                    .setParallelism(1)
                    .name("probe: decisions leaving the scheduler");
        } else {
            // The scheduler's two keyed inputs, into a probe that only waits for the watermark.
            requests.keyBy((WorkloadRequest r) -> SchedulerFunction.domainOf(r), Types.STRING)
                    .connect(
                            SchedulingStage.signals(samples, fleet.nodeHealth(), fleet.capacity())
                                    .keyBy(
                                            (FleetSignal s) -> SchedulerFunction.domainOf(s),
                                            Types.STRING))
                    .process(new WatermarkProbe())
                    .returns(Types.BOOLEAN)
                    .setParallelism(1)
                    .name("probe: when the scheduler could decide each request")
                    .sinkTo(new DiscardingSink<>())
                    .setParallelism(1);
        }
    }

    /**
     * Runs one phase: the job on a fresh MiniCluster; once every task runs, the fleet announced,
     * then the load for warm-up and measurement; then, while the load goes on (the watermark needs
     * it), until every record of the measured window has its decision or the drain time is up.
     */
    static PhaseResult runPhase(
            String phase, Options options, String bootstrap, String registryUrl, Path dir)
            throws Exception {
        Files.createDirectories(dir);
        Configuration config = phaseConfig(phase, options, dir);
        boolean withScheduler = !phase.equals("baseline");
        Map<TopicPartition, Long> startAt;
        try (Admin admin = PipelineBenchmark.admin(bootstrap)) {
            startAt =
                    PipelineBenchmark.latestOffsets(
                            admin,
                            List.of(
                                    EventType.GPU_SAMPLE.topic(),
                                    EventType.WORKLOAD_REQUEST.topic()));
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        buildJob(
                env,
                config,
                withScheduler,
                options,
                bootstrap,
                registryUrl,
                "bench-scheduling-" + phase,
                startAt);
        DecisionLedger ledger = DecisionLedger.open(options.slots(), options.lag());
        try (MiniCluster cluster =
                        new MiniCluster(
                                PipelineBenchmark.miniCluster(config, options.parallelism()));
                SchemaRegistryClient client =
                        new SchemaRegistryClient(SchemaRegistryConfig.of(registryUrl));
                SchedulingLoad load =
                        new SchedulingLoad(
                                bootstrap,
                                client,
                                new BenchFleet(options.nodes()),
                                options.rate(),
                                options.readEveryMs(),
                                ledger)) {
            cluster.start();
            JobID jobId = cluster.submitJob(env.getStreamGraph()).get().getJobID();
            CompletableFuture<JobResult> result = cluster.requestJobResult(jobId);
            PipelineBenchmark.awaitAllTasksRunning(cluster, jobId, result, Duration.ofMinutes(3));
            load.announceFleet();
            load.start();

            sleep(options.warmupSeconds(), load, result);
            int from = load.nextSlot();
            long answeredBefore = ledger.decisions();
            long startNanos = System.nanoTime();
            long startMillis = System.currentTimeMillis();
            sleep(options.seconds(), load, result);
            int to = load.nextSlot();
            long answered = ledger.decisions() - answeredBefore;
            long endMillis = System.currentTimeMillis();
            double measuredSeconds = (System.nanoTime() - startNanos) / 1e9;

            long drainUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(options.drainSeconds());
            while (System.nanoTime() < drainUntil && ledger.unanswered(from, to) > 0) {
                PipelineBenchmark.failIfEnded(result, "the " + phase + " phase's job");
                load.throwIfFailed();
                Thread.sleep(100);
            }
            load.stop();
            load.throwIfFailed();
            PipelineBenchmark.failIfEnded(result, "the " + phase + " phase's job");
            cluster.cancelJob(jobId).get(30, TimeUnit.SECONDS);
            result.get(60, TimeUnit.SECONDS);
            DecisionLedger.Summary summary = ledger.summary(from, to);
            return new PhaseResult(
                    phase,
                    waitSettings(config) + "; load average " + loadAverage(),
                    ledger.appended(from, to) / measuredSeconds,
                    answered / measuredSeconds,
                    load.maxBehindMillis(),
                    summary,
                    ledger.decidedBetween(startMillis, endMillis),
                    withScheduler ? ledger.actions() : null);
        }
    }

    /** The 1, 5 and 15 minute load averages (others build on this machine too), or "unknown". */
    static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return fields[0] + " " + fields[1] + " " + fields[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static void sleep(int seconds, SchedulingLoad load, CompletableFuture<JobResult> job)
            throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < until) {
            PipelineBenchmark.failIfEnded(job, "the benchmark's job");
            load.throwIfFailed();
            Thread.sleep(Math.max(1, Math.min(200, (until - System.nanoTime()) / 1_000_000)));
        }
    }

    static void print(PhaseResult r) {
        DecisionLedger.Summary s = r.summary();
        boolean scheduler = r.actions() != null;
        System.out.printf(
                Locale.ROOT,
                "%n%-9s %s%n  offered %,.0f request records/s (the sender fell behind its schedule"
                        + " by at most %,d ms); %s %,.0f/s%n",
                r.phase(),
                r.settings(),
                r.offeredPerSecond(),
                r.maxBehindMillis(),
                scheduler ? "decisions left the scheduler at" : "the watermark passed requests at",
                r.answeredPerSecond());
        System.out.printf(
                Locale.ROOT,
                "  %,d records measured, %,d answered%s%n",
                s.records(),
                s.answered(),
                s.answered() < s.records()
                        ? String.format(
                                Locale.ROOT,
                                " (%,d not within the drain time: the %s fell behind)",
                                s.records() - s.answered(),
                                scheduler ? "scheduler" : "path")
                        : "");
        System.out.printf(
                Locale.ROOT,
                "  Kafka append → %s: %s%n"
                        + "    append → scheduler input (transit):       %s%n"
                        + "    held %s: %s; %.0f%% of the total latency%n",
                scheduler ? "decision leaves the scheduler" : "watermark passes it (no scheduler)",
                s.describe(s.total()),
                s.describe(s.transit()),
                scheduler
                        ? "in the scheduler (watermark wait + deciding)"
                        : "for the watermark at the scheduler's input",
                s.describe(s.held()),
                100 * s.heldShare());
        if (scheduler) {
            System.out.printf(Locale.ROOT, "  decisions: %s%n", r.actions());
            DecisionLedger.Summary w = r.decidedInWindow();
            if (s.answered() < s.records() && w.records() > 0) {
                // Behind: what did leave during the window shows how far behind it was.
                System.out.printf(
                        Locale.ROOT,
                        "  the %,d timed decisions that left during the window (of records sent"
                                + " before it): append → decision %s; transit %s; held %s%n",
                        w.records(),
                        w.describe(w.total()),
                        w.describe(w.transit()),
                        w.describe(w.held()));
            }
        }
    }

    /** p50 and p99 of each phase against the baseline and low against defaults. */
    static void printRatios(List<PhaseResult> results) {
        PhaseResult defaults = find(results, "defaults");
        PhaseResult low = find(results, "low");
        PhaseResult baseline = find(results, "baseline");
        System.out.println();
        if (low != null && baseline != null) {
            System.out.println(
                    "RATIO  low / baseline (what the scheduler adds): " + ratio(low, baseline));
        }
        if (defaults != null && baseline != null) {
            System.out.println("RATIO  defaults / baseline: " + ratio(defaults, baseline));
        }
        if (defaults != null && low != null) {
            System.out.println(
                    "RATIO  defaults / low (what the event-time settings cost): "
                            + ratio(defaults, low));
        }
        for (PhaseResult r : Arrays.asList(defaults, low)) {
            if (r == null) {
                continue;
            }
            long p99 = r.summary().p(r.summary().total(), 0.99);
            System.out.printf(
                    Locale.ROOT,
                    "TARGET %-8s p99 < 20 ms: %s; decisions/s %,.0f of %,.0f offered%n",
                    r.phase(),
                    p99 != -1 && p99 < 20 ? "met" : "NOT met",
                    r.answeredPerSecond(),
                    r.offeredPerSecond());
        }
    }

    private static String ratio(PhaseResult a, PhaseResult b) {
        return String.format(
                Locale.ROOT,
                "p50 %s, p99 %s",
                ratio(
                        a.summary().p(a.summary().total(), 0.5),
                        b.summary().p(b.summary().total(), 0.5)),
                ratio(
                        a.summary().p(a.summary().total(), 0.99),
                        b.summary().p(b.summary().total(), 0.99)));
    }

    private static String ratio(long a, long b) {
        if (a == Long.MAX_VALUE || b == Long.MAX_VALUE || a < 0 || b < 0) {
            return "n/a (undecided records)";
        }
        return String.format(
                Locale.ROOT, "%.1f× (%,d / %,d ms)", a / (double) Math.max(1, b), a, b);
    }

    @Nullable
    private static PhaseResult find(List<PhaseResult> results, String phase) {
        return results.stream().filter(r -> r.phase().equals(phase)).findFirst().orElse(null);
    }
}
