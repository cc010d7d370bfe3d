package dev.substrate.bench;

import dev.substrate.embedded.kafka.EmbeddedKafkaBroker;
import dev.substrate.embedded.registry.EmbeddedSchemaRegistry;
import dev.substrate.events.DeadLetter;
import dev.substrate.jobs.SubstrateJob;
import dev.substrate.jobs.config.SubstrateConfig;
import dev.substrate.jobs.config.SubstrateOptions;
import dev.substrate.jobs.ingest.IngestStage;
import dev.substrate.jobs.stage.StageContext;
import dev.substrate.jobs.telemetry.FleetHealthOptions;
import dev.substrate.local.LocalFlinkCluster;
import dev.substrate.local.TopicCreator;
import dev.substrate.operators.pii.PiiMode;
import dev.substrate.samples.ProducerReport;
import dev.substrate.samples.SampleEventProducer;
import dev.substrate.samples.SyntheticFleet;
import dev.substrate.schemas.EventType;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.schemas.wire.Sourced;
import dev.substrate.schemas.wire.SourcedTypeInfo;
import dev.substrate.sinks.lake.EvolvingLakeSink;
import dev.substrate.sinks.lake.LakeCatalogConfig;
import dev.substrate.sinks.lake.LakeTableSpec;
import dev.substrate.sources.kafka.DeadLetterSplitter;
import dev.substrate.sources.kafka.EventKafkaSource;
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import jdk.jfr.Recording;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.runtime.checkpoint.CheckpointStatsSnapshot;
import org.apache.flink.runtime.checkpoint.StatsSummarySnapshot;
import org.apache.flink.runtime.execution.ExecutionState;
import org.apache.flink.runtime.executiongraph.AccessExecutionGraph;
import org.apache.flink.runtime.executiongraph.AccessExecutionVertex;
import org.apache.flink.runtime.jobmaster.JobResult;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.types.Either;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;

/**
 * End-to-end throughput and latency of the Substrate job against the limit of this machine, in one
 * process: an embedded Kafka broker and schema registry, N pre-loaded sample events (1% broken),
 * then, each on a fresh MiniCluster and bounded at the topics' end:
 *
 * <ul>
 *   <li><b>limit</b>: Kafka → registry-aware Avro decode → discard, one source per input type;
 *   <li><b>full</b>: {@link SubstrateJob#build} (governed ingest, telemetry windows, fleet health,
 *       every lake table and Kafka output), checkpointing on;
 *   <li><b>telemetry-ours</b> and <b>telemetry-sql</b>: the per-GPU 1-minute aggregation on the
 *       GPU-sample topic, as our production windows and as a Flink SQL window TVF query ({@link
 *       TelemetryPeerJobs}); their result checksums must agree;
 * </ul>
 *
 * and then a <b>latency</b> phase: the full job unbounded on a fresh MiniCluster, samples produced
 * live at a fixed rate with event time = the wall clock ({@link LiveSampleProducer}), alerts read
 * from their topics ({@link AlertLatencyProbe}). Not a test: see {@code bench/README.md} and {@code
 * docs/BENCHMARKS.md}.
 *
 * <p>Arguments: {@code --events 1000000 --parallelism 2 --rounds 1 --checkpoint-interval-ms 5000
 * --jfr full.jfr --latency-rate <events/s> --latency-seconds 60 --skip-sql --skip-latency
 * --telemetry-unsorted}. Producing is not timed. Throughput is every record on the topics read
 * (good and broken) over the job's net runtime (deployment to last record, as Flink reports it).
 */
public final class PipelineBenchmark {

    /** The jobs of a round, in the order they run. */
    static final List<String> RUNS =
            List.of(
                    "limit",
                    "full",
                    "lake-floor",
                    "telemetry-ours",
                    "telemetry-sql",
                    "telemetry-unsorted");

    /** The consumer group of the latency run, whose offsets are set to the topics' end first. */
    static final String LATENCY_GROUP = "bench-latency";

    /** The seed of the live samples (the pre-load uses 7). */
    static final long LIVE_SEED = 11L;

    private PipelineBenchmark() {}

    /** What one run measured. */
    record RunResult(
            String name,
            long records,
            long netRuntimeMillis,
            long peakHeapBytes,
            long gcMillis,
            CheckpointStatsSnapshot checkpoints,
            Map<String, Object> accumulators) {

        double eventsPerSecond() {
            return records * 1000.0 / netRuntimeMillis;
        }

        long accumulator(String name) {
            return ((Number) accumulators.get(name)).longValue();
        }

        double doubleAccumulator(String name) {
            return ((Number) accumulators.get(name)).doubleValue();
        }
    }

    /** The command line. */
    record Options(
            long events,
            int parallelism,
            int rounds,
            Duration checkpointInterval,
            Path jfr,
            Path asyncProfile,
            String profileRun,
            int latencyRate,
            int latencySeconds,
            boolean skipSql,
            boolean skipLatency,
            boolean skipFloor,
            boolean telemetryUnsorted,
            String stateBackend) {

        static Options parse(String[] args) {
            long events = 1_000_000;
            int parallelism = 2;
            int rounds = 1;
            Duration checkpointInterval = SubstrateOptions.CHECKPOINT_INTERVAL.defaultValue();
            Path jfr = null;
            Path asyncProfile = null;
            String profileRun = "full";
            int latencyRate = 0;
            int latencySeconds = 60;
            boolean skipSql = false;
            boolean skipLatency = false;
            boolean skipFloor = false;
            boolean telemetryUnsorted = false;
            String stateBackend = "hashmap";
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--skip-sql" -> skipSql = true;
                    case "--skip-latency" -> skipLatency = true;
                    case "--skip-floor" -> skipFloor = true;
                    case "--telemetry-unsorted" -> telemetryUnsorted = true;
                    default -> {
                        if (i + 1 >= args.length) {
                            throw new IllegalArgumentException(
                                    "unknown option or missing value: " + args[i]);
                        }
                        String value = args[++i];
                        switch (args[i - 1]) {
                            case "--events" -> events = Long.parseLong(value.replace("_", ""));
                            case "--parallelism" -> parallelism = Integer.parseInt(value);
                            case "--rounds" -> rounds = Integer.parseInt(value);
                            case "--checkpoint-interval-ms" ->
                                    checkpointInterval = Duration.ofMillis(Long.parseLong(value));
                            case "--jfr" -> jfr = Path.of(value);
                            case "--async-profile" -> asyncProfile = Path.of(value);
                            case "--profile-run" -> profileRun = value;
                            case "--latency-rate" -> latencyRate = Integer.parseInt(value);
                            case "--latency-seconds" -> latencySeconds = Integer.parseInt(value);
                            case "--state-backend" -> stateBackend = value;
                            default ->
                                    throw new IllegalArgumentException(
                                            "unknown option " + args[i - 1]);
                        }
                    }
                }
            }
            if (!RUNS.contains(profileRun)) {
                throw new IllegalArgumentException(
                        "--profile-run must be one of " + RUNS + ", not " + profileRun);
            }
            return new Options(
                    events,
                    parallelism,
                    rounds,
                    checkpointInterval,
                    jfr,
                    asyncProfile,
                    profileRun,
                    latencyRate,
                    latencySeconds,
                    skipSql,
                    skipLatency,
                    skipFloor,
                    telemetryUnsorted,
                    stateBackend);
        }
    }

    public static void main(String[] args) throws Exception {
        Options options = Options.parse(args);
        int parallelism = options.parallelism();
        Path dataDir = Files.createTempDirectory("substrate-bench-");
        System.out.println(TelemetryAggregationBenchmark.machine());
        System.out.printf(
                Locale.ROOT,
                "PipelineBenchmark: %,d events, parallelism %d, %d round(s), checkpoints every"
                        + " %d ms (state backend %s, incremental), data in %s%n",
                options.events(),
                parallelism,
                options.rounds(),
                options.checkpointInterval().toMillis(),
                options.stateBackend(),
                dataDir);
        Map<String, String> fromEnvironment = jobOptionsFromEnvironment();
        if (!fromEnvironment.isEmpty()) {
            System.out.println(
                    "full job options from SUBSTRATE_* variables: "
                            + new TreeMap<>(fromEnvironment));
        }
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dataDir.resolve("kafka"), 0);
                EmbeddedSchemaRegistry registry =
                        EmbeddedSchemaRegistry.start(dataDir.resolve("registry"), "127.0.0.1", 0)) {
            String bootstrap = broker.bootstrapServers();
            Configuration defaults = new Configuration();
            // The alert topics stamp records with the broker's append time: the latency phase
            // reads it back as the moment the job's alert reached Kafka.
            broker.createTopics(
                    Map.of(
                            defaults.get(FleetHealthOptions.ANOMALY_TOPIC), parallelism,
                            defaults.get(FleetHealthOptions.NODE_HEALTH_TOPIC), parallelism),
                    Map.of("message.timestamp.type", "LogAppendTime"));
            // Every topic the job reads or writes: a missing output topic fails the job.
            Map<String, Integer> topics = new LinkedHashMap<>();
            SubstrateJob.topics(defaults).forEach(topic -> topics.put(topic, parallelism));
            TopicCreator.createIfAbsent(bootstrap, topics);

            long produceStart = System.nanoTime();
            ProducerReport sent;
            try (SchemaRegistryClient client =
                            new SchemaRegistryClient(SchemaRegistryConfig.of(registry.url()));
                    SampleEventProducer producer =
                            new SampleEventProducer(bootstrap, client, 7L, 0.01)) {
                sent = producer.send(options.events());
            }
            long records = sent.good() + sent.bad();
            long gpuRecords = endOffsets(bootstrap, List.of(EventType.GPU_SAMPLE.topic()));
            System.out.printf(
                    Locale.ROOT,
                    "pre-loaded %,d records (%,d good, %,d broken; %,d on %s) in %.1f s (not"
                            + " timed)%n",
                    records,
                    sent.good(),
                    sent.bad(),
                    gpuRecords,
                    EventType.GPU_SAMPLE.topic(),
                    (System.nanoTime() - produceStart) / 1e9);

            List<RunResult> limits = new ArrayList<>();
            List<RunResult> fulls = new ArrayList<>();
            List<RunResult> floors = new ArrayList<>();
            List<RunResult> ours = new ArrayList<>();
            List<RunResult> sqls = new ArrayList<>();
            List<RunResult> unsorted = new ArrayList<>();
            for (int round = 1; round <= options.rounds(); round++) {
                // The profiles cover one run (--profile-run, default full) of the last round.
                Profiler profiler = new Profiler(options, round == options.rounds());
                int r = round;
                limits.add(
                        profiler.run(
                                "limit",
                                () ->
                                        runLimit(
                                                bootstrap,
                                                registry.url(),
                                                parallelism,
                                                records,
                                                r)));
                fulls.add(
                        profiler.run(
                                "full",
                                () ->
                                        runFull(
                                                bootstrap,
                                                registry.url(),
                                                parallelism,
                                                options.checkpointInterval(),
                                                records,
                                                dataDir.resolve("run-" + r),
                                                options.stateBackend())));
                // After the full run, so that it cannot warm the JIT for the full run.
                if (!options.skipFloor()) {
                    floors.add(
                            profiler.run(
                                    "lake-floor",
                                    () ->
                                            runLakeFloor(
                                                    bootstrap,
                                                    registry.url(),
                                                    parallelism,
                                                    options.checkpointInterval(),
                                                    records,
                                                    dataDir.resolve("floor-" + r))));
                }
                if (!options.skipSql()) {
                    List<String> peers =
                            options.telemetryUnsorted()
                                    ? List.of(
                                            "telemetry-ours", "telemetry-unsorted", "telemetry-sql")
                                    : List.of("telemetry-ours", "telemetry-sql");
                    for (String peer : peers) {
                        RunResult result =
                                profiler.run(
                                        peer,
                                        () ->
                                                runTelemetry(
                                                        peer,
                                                        bootstrap,
                                                        registry.url(),
                                                        parallelism,
                                                        gpuRecords,
                                                        r));
                        switch (peer) {
                            case "telemetry-ours" -> ours.add(result);
                            case "telemetry-unsorted" -> unsorted.add(result);
                            default -> sqls.add(result);
                        }
                    }
                }
            }
            RunResult limit = best(limits);
            RunResult full = best(fulls);
            System.out.printf(
                    Locale.ROOT,
                    "%nBEST  limit %,.0f events/s   full %,.0f events/s   full/limit %.2f"
                            + " (target >= 0.50: %s)%n",
                    limit.eventsPerSecond(),
                    full.eventsPerSecond(),
                    full.eventsPerSecond() / limit.eventsPerSecond(),
                    full.eventsPerSecond() / limit.eventsPerSecond() >= 0.5 ? "met" : "NOT met");
            if (!floors.isEmpty()) {
                RunResult floor = best(floors);
                System.out.printf(
                        Locale.ROOT,
                        "BEST  lake-floor %,.0f events/s   lake-floor/limit %.2f (the most"
                            + " full/limit can be while every record is written to its raw table)  "
                            + " full/lake-floor %.2f%n",
                        floor.eventsPerSecond(),
                        floor.eventsPerSecond() / limit.eventsPerSecond(),
                        full.eventsPerSecond() / floor.eventsPerSecond());
            }
            if (!options.skipSql()) {
                printTelemetryComparison(ours, sqls);
                if (!unsorted.isEmpty()) {
                    RunResult sorted = best(ours);
                    RunResult without = best(unsorted);
                    System.out.printf(
                            Locale.ROOT,
                            "BEST  telemetry-ours %,.0f events/s   telemetry-unsorted %,.0f"
                                    + " events/s   ours/unsorted %.2f (the per-GPU event-time"
                                    + " sort's price; unsorted windows agree: %s)%n",
                            sorted.eventsPerSecond(),
                            without.eventsPerSecond(),
                            sorted.eventsPerSecond() / without.eventsPerSecond(),
                            without.accumulator("rows") == sorted.accumulator("rows")
                                    && without.accumulator("countSum")
                                            == sorted.accumulator("countSum"));
                }
            }
            if (options.skipLatency()) {
                System.out.println("latency phase skipped (--skip-latency)");
            } else {
                int rate =
                        options.latencyRate() > 0
                                ? options.latencyRate()
                                : (int) Math.max(10, Math.round(0.25 * full.eventsPerSecond()));
                runLatency(
                        bootstrap,
                        registry.url(),
                        parallelism,
                        options.checkpointInterval(),
                        rate,
                        options.latencyRate() > 0,
                        Duration.ofSeconds(options.latencySeconds()),
                        dataDir.resolve("run-" + options.rounds()),
                        dataDir.resolve("latency"),
                        options.stateBackend());
            }
        }
    }

    /**
     * Checks that every round of both telemetry jobs computed the same windows (rows, Σcount,
     * Σpower) and prints the best of each and ours/SQL.
     */
    private static void printTelemetryComparison(List<RunResult> ours, List<RunResult> sqls) {
        RunResult first = ours.get(0);
        for (RunResult run : concat(ours, sqls)) {
            if (run.accumulator("rows") != first.accumulator("rows")
                    || run.accumulator("countSum") != first.accumulator("countSum")
                    || Math.abs(
                                    run.doubleAccumulator("powerSum")
                                            - first.doubleAccumulator("powerSum"))
                            > 1e-9 * Math.abs(first.doubleAccumulator("powerSum"))) {
                throw new IllegalStateException(
                        "telemetry results differ: "
                                + run.name()
                                + " "
                                + run.accumulators()
                                + " vs "
                                + first.name()
                                + " "
                                + first.accumulators());
            }
        }
        RunResult bestOurs = best(ours);
        RunResult bestSql = best(sqls);
        double ratio = bestOurs.eventsPerSecond() / bestSql.eventsPerSecond();
        System.out.printf(
                Locale.ROOT,
                "BEST  telemetry-ours %,.0f events/s   telemetry-sql %,.0f events/s   ours/SQL %.2f"
                        + " (target >= 1.2: %s)%n"
                        + "      results agree: %,d GPU windows, Σcount %,d, Σpower_draw_w %,.1f"
                        + " (every run of both)%n"
                        + "      ours computes besides SQL's count/sum/mean/min/max: %s%n",
                bestOurs.eventsPerSecond(),
                bestSql.eventsPerSecond(),
                ratio,
                ratio >= 1.2 ? "met" : "NOT met",
                first.accumulator("rows"),
                first.accumulator("countSum"),
                first.doubleAccumulator("powerSum"),
                TelemetryPeerJobs.SQL_LACKS);
    }

    /** A job run of the benchmark. */
    private interface Run {
        RunResult run() throws Exception;
    }

    /**
     * Runs each job and prints its result; profiles the one named by {@code --profile-run} with JFR
     * ({@code --jfr}) and async-profiler ({@code --async-profile}) when this is the last round.
     */
    private record Profiler(Options options, boolean lastRound) {

        RunResult run(String name, Run job) throws Exception {
            boolean profiled = lastRound && name.equals(options.profileRun());
            Recording recording = null;
            if (options.jfr() != null && profiled) {
                recording = new Recording(jdk.jfr.Configuration.getConfiguration("profile"));
                recording.start();
            }
            CpuProfile cpuProfile =
                    options.asyncProfile() != null && profiled
                            ? CpuProfile.start(options.asyncProfile())
                            : null;
            RunResult result = job.run();
            if (cpuProfile != null) {
                cpuProfile.close();
                System.out.println("CPU profile of " + name + ": " + options.asyncProfile());
            }
            if (recording != null) {
                recording.stop();
                recording.dump(options.jfr());
                recording.close();
                System.out.println("JFR profile of " + name + ": " + options.jfr());
            }
            System.out.println(describe(result));
            return result;
        }
    }

    private static List<RunResult> concat(List<RunResult> a, List<RunResult> b) {
        List<RunResult> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    /** Records on all partitions of {@code topics}, from their end offsets. */
    static long endOffsets(String bootstrap, List<String> topics) throws Exception {
        try (Admin admin = admin(bootstrap)) {
            long total = 0;
            for (long offset : latestOffsets(admin, topics).values()) {
                total += offset;
            }
            return total;
        }
    }

    static Admin admin(String bootstrap) {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
    }

    static Map<TopicPartition, Long> latestOffsets(Admin admin, List<String> topics)
            throws Exception {
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        for (TopicDescription topic :
                admin.describeTopics(topics).allTopicNames().get(30, TimeUnit.SECONDS).values()) {
            for (TopicPartitionInfo partition : topic.partitions()) {
                request.put(
                        new TopicPartition(topic.name(), partition.partition()),
                        OffsetSpec.latest());
            }
        }
        Map<TopicPartition, Long> offsets = new HashMap<>();
        admin.listOffsets(request)
                .all()
                .get(30, TimeUnit.SECONDS)
                .forEach((tp, info) -> offsets.put(tp, info.offset()));
        return offsets;
    }

    /**
     * The settings the benchmark's own jobs share with {@code SubstrateJob}: no Kryo fallback,
     * object reuse; and no restarts, so that a failure ends the run.
     */
    static Configuration withoutKryoOrRestarts(Configuration config) {
        config.set(PipelineOptions.GENERIC_TYPES, false);
        config.set(PipelineOptions.OBJECT_REUSE, true);
        config.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        return config;
    }

    /** Kafka → registry-aware decode → discard, one source per input type. */
    static RunResult runLimit(
            String bootstrap, String registryUrl, int parallelism, long records, int round)
            throws Exception {
        Configuration config = withoutKryoOrRestarts(new Configuration());
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        env.setParallelism(parallelism);
        for (EventType type : EventType.inputs()) {
            addDecodeOnly(env, type, type.recordClass(), bootstrap, registryUrl, round);
        }
        return run("limit", env, config, parallelism, records);
    }

    private static <T extends SpecificRecord> void addDecodeOnly(
            StreamExecutionEnvironment env,
            EventType type,
            Class<T> recordClass,
            String bootstrap,
            String registryUrl,
            int round) {
        env.fromSource(
                        EventKafkaSource.build(
                                type,
                                recordClass,
                                bootstrap,
                                SchemaRegistryConfig.of(registryUrl),
                                "bench-limit-" + round,
                                OffsetsInitializer.earliest(),
                                OffsetsInitializer.latest()),
                        WatermarkStrategy.<Either<DeadLetter, Sourced<T>>>noWatermarks(),
                        "decode-" + type.tableName())
                .sinkTo(new DiscardingSink<>())
                .name("discard-" + type.tableName());
    }

    /**
     * The lake floor: Kafka → registry-aware decode → each record into its raw lake table through
     * the job's own sink ({@link EvolvingLakeSink}), checkpointing on, nothing else. No pipeline
     * that writes every record to its table can be faster, so lake-floor/limit bounds full/limit.
     */
    static RunResult runLakeFloor(
            String bootstrap,
            String registryUrl,
            int parallelism,
            Duration checkpointInterval,
            long records,
            Path runDir)
            throws Exception {
        Configuration config =
                boundedConfig(
                        "bench-floor-",
                        bootstrap,
                        registryUrl,
                        parallelism,
                        checkpointInterval,
                        runDir,
                        "hashmap");
        withoutKryoOrRestarts(config);
        config.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, checkpointInterval);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        env.setParallelism(parallelism);
        LakeCatalogConfig catalog = StageContext.catalog(config);
        for (EventType type : EventType.inputs()) {
            addDecodeToLake(env, type, recordBase(type), bootstrap, registryUrl, catalog);
        }
        return run("lake-floor", env, config, parallelism, records);
    }

    @SuppressWarnings("unchecked")
    private static Class<SpecificRecordBase> recordBase(EventType type) {
        return (Class<SpecificRecordBase>) type.recordClass();
    }

    private static <T extends SpecificRecordBase> void addDecodeToLake(
            StreamExecutionEnvironment env,
            EventType type,
            Class<T> recordClass,
            String bootstrap,
            String registryUrl,
            LakeCatalogConfig catalog) {
        SchemaRegistryConfig registry = SchemaRegistryConfig.of(registryUrl);
        DataStream<Sourced<T>> decoded =
                env.fromSource(
                                EventKafkaSource.build(
                                        type,
                                        recordClass,
                                        bootstrap,
                                        registry,
                                        "bench-floor",
                                        OffsetsInitializer.earliest(),
                                        OffsetsInitializer.latest()),
                                WatermarkStrategy.<Either<DeadLetter, Sourced<T>>>noWatermarks(),
                                "decode-" + type.tableName())
                        .process(new DeadLetterSplitter<Sourced<T>>())
                        .returns(new SourcedTypeInfo<>(new AvroTypeInfo<>(recordClass)));
        EvolvingLakeSink.append(
                decoded,
                recordClass,
                catalog,
                LakeTableSpec.of(type),
                new EvolvingLakeSink.SchemaSource(
                        registry,
                        type.subject(),
                        IngestStage.PIPELINE_FIELDS,
                        SubstrateOptions.LAKE_SCHEMA_REFRESH.defaultValue()));
    }

    /** The whole Substrate job, checkpointing on, into a fresh warehouse, bounded. */
    static RunResult runFull(
            String bootstrap,
            String registryUrl,
            int parallelism,
            Duration checkpointInterval,
            long records,
            Path runDir,
            String stateBackend)
            throws Exception {
        Configuration config =
                boundedConfig(
                        "bench-full-",
                        bootstrap,
                        registryUrl,
                        parallelism,
                        checkpointInterval,
                        runDir,
                        stateBackend);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        SubstrateJob.build(env, config, OffsetsInitializer.latest());
        return run("full", env, config, parallelism, records);
    }

    /** {@link #fullConfig} of a bounded run from the topics' start, everything under runDir. */
    private static Configuration boundedConfig(
            String groupPrefix,
            String bootstrap,
            String registryUrl,
            int parallelism,
            Duration checkpointInterval,
            Path runDir,
            String stateBackend)
            throws IOException {
        return fullConfig(
                bootstrap,
                registryUrl,
                parallelism,
                checkpointInterval,
                groupPrefix + runDir.getFileName(),
                SubstrateOptions.StartingOffsets.EARLIEST,
                runDir,
                runDir,
                stateBackend);
    }

    /**
     * The configuration of the full job: warehouse and PII key under {@code lakeDir}, checkpoints
     * under {@code runDir}.
     */
    private static Configuration fullConfig(
            String bootstrap,
            String registryUrl,
            int parallelism,
            Duration checkpointInterval,
            String groupId,
            SubstrateOptions.StartingOffsets startingOffsets,
            Path lakeDir,
            Path runDir,
            String stateBackend)
            throws IOException {
        Configuration config = new Configuration();
        config.set(SubstrateOptions.KAFKA_BOOTSTRAP_SERVERS, bootstrap);
        config.set(SubstrateOptions.REGISTRY_URL, registryUrl);
        config.set(SubstrateOptions.KAFKA_GROUP_ID, groupId);
        config.set(SubstrateOptions.KAFKA_STARTING_OFFSETS, startingOffsets);
        config.set(SubstrateOptions.CATALOG_WAREHOUSE, lakeDir.resolve("warehouse").toString());
        config.set(SubstrateOptions.CHECKPOINT_INTERVAL, checkpointInterval);
        config.set(SubstrateOptions.PARALLELISM, parallelism);
        config.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        // A generated key in the run's directory: the benchmark needs no secret.
        config.set(SubstrateOptions.PII_MODE, PiiMode.LOCAL);
        config.set(SubstrateOptions.PII_KEY_FILE, lakeDir.resolve("pii.key").toString());
        // Checkpoints to files: the default (JobManager memory) storage refuses state over 5 MiB,
        // which the deduplication state of a million event ids exceeds.
        config.set(
                CheckpointingOptions.CHECKPOINTS_DIRECTORY,
                runDir.resolve("checkpoints").toUri().toString());
        // The state backend of local runs (the heap); --state-backend rocksdb measures the one
        // deploy/flink/config.yaml gives clusters (incremental checkpoints either way).
        config.set(StateBackendOptions.STATE_BACKEND, stateBackend);
        config.set(CheckpointingOptions.INCREMENTAL_CHECKPOINTS, true);
        Files.createDirectories(lakeDir);
        Files.createDirectories(runDir);
        // SUBSTRATE_* variables set job options as for `substrate local`, e.g.
        // SUBSTRATE_VECTORS_ENABLED=false measures the job without its vector stage.
        config.addAll(Configuration.fromMap(jobOptionsFromEnvironment()));
        return config;
    }

    /** The job options that {@code SUBSTRATE_*} environment variables set. */
    private static Map<String, String> jobOptionsFromEnvironment() {
        return SubstrateConfig.resolve(new Configuration(), System.getenv(), new String[0]).toMap();
    }

    /** {@code telemetry-ours} or {@code telemetry-sql} ({@link TelemetryPeerJobs}), bounded. */
    static RunResult runTelemetry(
            String name,
            String bootstrap,
            String registryUrl,
            int parallelism,
            long records,
            int round)
            throws Exception {
        Configuration config = withoutKryoOrRestarts(new Configuration());
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        env.setParallelism(parallelism);
        String groupId = "bench-" + name + "-" + round;
        if (name.equals("telemetry-ours")) {
            TelemetryPeerJobs.addOurs(env, bootstrap, registryUrl, groupId);
        } else if (name.equals("telemetry-unsorted")) {
            TelemetryPeerJobs.addOursWithoutSort(env, bootstrap, registryUrl, groupId);
        } else {
            TelemetryPeerJobs.addSql(env, bootstrap, registryUrl, groupId);
        }
        return run(name, env, config, parallelism, records);
    }

    /**
     * Runs the job on a fresh MiniCluster, polling its checkpoint statistics while it runs (the
     * archived graph of a finished job may no longer be reachable).
     */
    private static RunResult run(
            String name,
            StreamExecutionEnvironment env,
            Configuration jobConfig,
            int parallelism,
            long records)
            throws Exception {
        System.gc();
        List<MemoryPoolMXBean> heapPools = new ArrayList<>();
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                pool.resetPeakUsage();
                heapPools.add(pool);
            }
        }
        long gcBefore = gcMillis();
        try (MiniCluster cluster = new MiniCluster(miniCluster(jobConfig, parallelism))) {
            cluster.start();
            JobID jobId = cluster.submitJob(env.getStreamGraph()).get().getJobID();
            CompletableFuture<JobResult> result = cluster.requestJobResult(jobId);
            CheckpointStatsSnapshot checkpoints = CheckpointStatsSnapshot.empty();
            while (!result.isDone()) {
                checkpoints = checkpointStats(cluster, jobId, checkpoints);
                try {
                    result.get(250, TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    // still running
                }
            }
            JobResult jobResult = result.get();
            if (!jobResult.isSuccess()) {
                throw new IllegalStateException(
                        name + " failed",
                        jobResult.getSerializedThrowable().map(t -> (Throwable) t).orElse(null));
            }
            checkpoints = checkpointStats(cluster, jobId, checkpoints);
            long peakHeap = 0;
            for (MemoryPoolMXBean pool : heapPools) {
                peakHeap += pool.getPeakUsage().getUsed();
            }
            Map<String, Object> accumulators =
                    jobResult
                            .toJobExecutionResult(PipelineBenchmark.class.getClassLoader())
                            .getAllAccumulatorResults();
            return new RunResult(
                    name,
                    records,
                    jobResult.getNetRuntime(),
                    peakHeap,
                    gcMillis() - gcBefore,
                    checkpoints,
                    accumulators);
        }
    }

    /** One TaskManager with a slot per subtask; no restarts; the web UI on a free local port. */
    static MiniClusterConfiguration miniCluster(Configuration jobConfig, int parallelism) {
        Configuration clusterConfig = new Configuration(jobConfig);
        // A failure must end the run, not hide behind restarts in the measured time.
        clusterConfig.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        clusterConfig.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
        clusterConfig.set(RestOptions.BIND_PORT, "0");
        // As the local runner's cluster: enough network buffers for every exchange of the job.
        clusterConfig.set(TaskManagerOptions.NETWORK_MEMORY_MIN, LocalFlinkCluster.NETWORK_MEMORY);
        clusterConfig.set(TaskManagerOptions.NETWORK_MEMORY_MAX, LocalFlinkCluster.NETWORK_MEMORY);
        return new MiniClusterConfiguration.Builder()
                .setConfiguration(clusterConfig)
                .setNumTaskManagers(1)
                .setNumSlotsPerTaskManager(parallelism)
                .build();
    }

    /** The job's checkpoint statistics now, or {@code last} when its graph is not reachable. */
    private static CheckpointStatsSnapshot checkpointStats(
            MiniCluster cluster, JobID jobId, CheckpointStatsSnapshot last) {
        try {
            return cluster.getExecutionGraph(jobId)
                    .get(5, TimeUnit.SECONDS)
                    .getCheckpointStatsSnapshot();
        } catch (Exception e) {
            // The job finished between the check and the request: keep the last snapshot.
            return last;
        }
    }

    /**
     * The latency phase: the full job unbounded on a fresh MiniCluster reading from the topics'
     * current end (its consumer group's offsets are set there first), live samples at {@code rate}
     * for {@code duration}, the alerts read back as they arrive; then the job is cancelled.
     *
     * <p>It writes into the last full run's warehouse ({@code lakeDir}), as a job restarted on an
     * existing lake does: its tables exist, so no table is created while latency is measured (two
     * subtasks creating a new raw table's branch at once can fail the job: "Ref main already
     * exists").
     */
    static void runLatency(
            String bootstrap,
            String registryUrl,
            int parallelism,
            Duration checkpointInterval,
            int rate,
            boolean rateGiven,
            Duration duration,
            Path lakeDir,
            Path runDir,
            String stateBackend)
            throws Exception {
        Configuration config =
                fullConfig(
                        bootstrap,
                        registryUrl,
                        parallelism,
                        checkpointInterval,
                        LATENCY_GROUP,
                        SubstrateOptions.StartingOffsets.COMMITTED_OR_EARLIEST,
                        lakeDir,
                        runDir,
                        stateBackend);
        startAtEnd(bootstrap, LATENCY_GROUP);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        SubstrateJob.build(env, config, null);

        try (MiniCluster cluster = new MiniCluster(miniCluster(config, parallelism));
                SchemaRegistryClient client =
                        new SchemaRegistryClient(SchemaRegistryConfig.of(registryUrl));
                LiveSampleProducer producer =
                        new LiveSampleProducer(bootstrap, client, LIVE_SEED, rate);
                AlertLatencyProbe probe =
                        new AlertLatencyProbe(
                                bootstrap,
                                registryUrl,
                                config.get(FleetHealthOptions.ANOMALY_TOPIC),
                                config.get(FleetHealthOptions.NODE_HEALTH_TOPIC))) {
            cluster.start();
            JobID jobId = cluster.submitJob(env.getStreamGraph()).get().getJobID();
            CompletableFuture<JobResult> result = cluster.requestJobResult(jobId);
            awaitAllTasksRunning(cluster, jobId, result, Duration.ofMinutes(3));
            probe.start();

            SyntheticFleet.Config fleet = producer.fleet();
            System.out.printf(
                    Locale.ROOT,
                    "%nLATENCY  the full job unbounded (fresh MiniCluster, checkpoints every %,d"
                        + " ms), live samples at %,d events/s (%s) for %d s: a fleet of %d GPUs,"
                        + " each read every %d ms%n",
                    checkpointInterval.toMillis(),
                    rate,
                    rateGiven ? "--latency-rate" : "25% of the best full throughput",
                    duration.toSeconds(),
                    fleet.totalGpus(),
                    fleet.sampleInterval().toMillis());
            CompletableFuture<Long> producing =
                    CompletableFuture.supplyAsync(() -> producer.run(duration));
            CheckpointStatsSnapshot checkpoints = CheckpointStatsSnapshot.empty();
            while (!producing.isDone()) {
                failIfEnded(result, "the latency run's job");
                checkpoints = checkpointStats(cluster, jobId, checkpoints);
                try {
                    producing.get(500, TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    // still producing
                }
            }
            long produced = producing.get();
            // Alerts of the last samples are still on their way: wait until they stop coming.
            probe.awaitQuiet(Duration.ofSeconds(5), Duration.ofSeconds(30));
            failIfEnded(result, "the latency run's job");
            checkpoints = checkpointStats(cluster, jobId, checkpoints);
            String alerts = probe.report();
            cluster.cancelJob(jobId).get(30, TimeUnit.SECONDS);
            result.get(60, TimeUnit.SECONDS);

            System.out.printf(
                    Locale.ROOT,
                    "  produced %,d records in %d s (%,.0f/s; the sender fell behind its schedule"
                            + " by at most %,d ms); %d of the GPU samples carried an injected"
                            + " application XID (one a second, each on another GPU) to change node"
                            + " health at a steady rate%n",
                    produced,
                    duration.toSeconds(),
                    produced / (double) duration.toSeconds(),
                    producer.maxBehindMillis(),
                    producer.injectedXids());
            System.out.println(
                    "  latency of an alert = when it reached us (or Kafka) − the event time of the"
                            + " sample that triggered it;\n"
                            + "  samples are stamped with the wall clock as they are sent, so this"
                            + " is Kafka in → decode → governed ingest → fleet health → Kafka out"
                            + " → consumer.\n"
                            + "  Anomalies: their `timestamp` (the reading that confirmed the"
                            + " excursion); node health: `changed_at` (the node's newest sample).");
            System.out.print(alerts);
            System.out.println("decisions: not applicable: no scheduling stage");
            System.out.println(freshness(checkpointInterval, checkpoints));
        }
    }

    /** The lake freshness bound: rows commit with the checkpoint after the one they arrive in. */
    static String freshness(Duration interval, CheckpointStatsSnapshot checkpoints) {
        long completed = checkpoints.getCounts().getNumberOfCompletedCheckpoints();
        if (completed == 0) {
            return "lake freshness bound: no checkpoint completed during the latency run";
        }
        StatsSummarySnapshot duration = checkpoints.getSummaryStats().getEndToEndDurationStats();
        return String.format(
                Locale.ROOT,
                "lake freshness bound (rows are committed to Iceberg by checkpoints): checkpoint"
                        + " interval %,d ms + p50 checkpoint duration %,.0f ms = %,.0f ms"
                        + " (with the p99 duration %,.0f ms: %,.0f ms; %d checkpoints completed,"
                        + " %d failed during the latency run)",
                interval.toMillis(),
                duration.getQuantile(0.5),
                interval.toMillis() + duration.getQuantile(0.5),
                duration.getQuantile(0.99),
                interval.toMillis() + duration.getQuantile(0.99),
                completed,
                checkpoints.getCounts().getNumberOfFailedCheckpoints());
    }

    /**
     * Commits the input topics' end offsets for {@code groupId}: a job of that group starts there.
     */
    private static void startAtEnd(String bootstrap, String groupId) throws Exception {
        List<String> inputs = EventType.inputs().stream().map(EventType::topic).toList();
        try (Admin admin = admin(bootstrap)) {
            Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
            latestOffsets(admin, inputs)
                    .forEach((tp, offset) -> commit.put(tp, new OffsetAndMetadata(offset)));
            admin.alterConsumerGroupOffsets(groupId, commit).all().get(30, TimeUnit.SECONDS);
        }
    }

    /** Waits until every subtask of the job runs, so no live sample waits for a deployment. */
    static void awaitAllTasksRunning(
            MiniCluster cluster, JobID jobId, CompletableFuture<JobResult> result, Duration atMost)
            throws Exception {
        long deadline = System.nanoTime() + atMost.toNanos();
        while (System.nanoTime() < deadline) {
            failIfEnded(result, "the latency run's job");
            AccessExecutionGraph graph = cluster.getExecutionGraph(jobId).get(5, TimeUnit.SECONDS);
            boolean allRunning = graph.getState() == JobStatus.RUNNING;
            for (AccessExecutionVertex vertex : graph.getAllExecutionVertices()) {
                allRunning &= vertex.getExecutionState() == ExecutionState.RUNNING;
            }
            if (allRunning) {
                return;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("the latency run's job did not start within " + atMost);
    }

    static void failIfEnded(CompletableFuture<JobResult> result, String what) throws Exception {
        if (result.isDone()) {
            JobResult ended = result.get();
            throw new IllegalStateException(
                    what + " ended early: " + ended.getApplicationStatus(),
                    ended.getSerializedThrowable().map(t -> (Throwable) t).orElse(null));
        }
    }

    private static long gcMillis() {
        long total = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            total += Math.max(0, gc.getCollectionTime());
        }
        return total;
    }

    private static RunResult best(List<RunResult> runs) {
        RunResult best = runs.get(0);
        for (RunResult run : runs) {
            if (run.eventsPerSecond() > best.eventsPerSecond()) {
                best = run;
            }
        }
        return best;
    }

    static String describe(RunResult run) {
        StringBuilder out = new StringBuilder();
        out.append(
                String.format(
                        Locale.ROOT,
                        "%-14s %,12.0f events/s  net runtime %,7d ms  peak heap (sum of pool"
                                + " peaks) %,5d MiB  GC %,6d ms",
                        run.name(),
                        run.eventsPerSecond(),
                        run.netRuntimeMillis(),
                        run.peakHeapBytes() >> 20,
                        run.gcMillis()));
        CheckpointStatsSnapshot cp = run.checkpoints();
        long completed = cp.getCounts().getNumberOfCompletedCheckpoints();
        if (completed > 0) {
            StatsSummarySnapshot duration = cp.getSummaryStats().getEndToEndDurationStats();
            out.append(
                    String.format(
                            Locale.ROOT,
                            "%n               checkpoints: %d completed, %d failed; end-to-end"
                                    + " duration ms min %d / p50 %.0f / p99 %.0f / max %d / avg %d;"
                                    + " checkpointed size max %,d B",
                            completed,
                            cp.getCounts().getNumberOfFailedCheckpoints(),
                            duration.getMinimum(),
                            duration.getQuantile(0.5),
                            duration.getQuantile(0.99),
                            duration.getMaximum(),
                            duration.getAverage(),
                            cp.getSummaryStats().getCheckpointedSize().getMaximum()));
        } else {
            out.append("\n               checkpoints: none");
        }
        return out.toString();
    }
}
