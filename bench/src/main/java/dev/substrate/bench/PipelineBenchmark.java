package dev.substrate.bench;

import dev.substrate.events.DeadLetter;
import dev.substrate.jobs.SubstrateJob;
import dev.substrate.jobs.config.SubstrateOptions;
import dev.substrate.jobs.local.EmbeddedKafkaBroker;
import dev.substrate.jobs.local.LocalRunner;
import dev.substrate.jobs.local.TopicCreator;
import dev.substrate.operators.pii.PiiMode;
import dev.substrate.schemas.EventType;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.schemas.registry.embedded.EmbeddedSchemaRegistry;
import dev.substrate.sources.kafka.EventKafkaSource;
import dev.substrate.sources.samples.ProducerReport;
import dev.substrate.sources.samples.SampleEventProducer;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import jdk.jfr.Recording;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.runtime.checkpoint.CheckpointStatsSnapshot;
import org.apache.flink.runtime.checkpoint.StatsSummarySnapshot;
import org.apache.flink.runtime.jobmaster.JobResult;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.types.Either;

/**
 * End-to-end throughput of the Substrate job against the limit of this machine, in one process: an
 * embedded Kafka broker and schema registry, N pre-loaded sample events (1% broken), then, each on
 * a fresh MiniCluster, the LIMIT job (Kafka → registry-aware Avro decode → discard, one source per
 * input type) and the FULL job ({@link SubstrateJob#build}: governed ingest, every lake table and
 * the dead-letter topic, checkpointing on). Not a test: see {@code docs/BENCHMARKS.md}.
 *
 * <p>Arguments: {@code --events 1000000 --parallelism 2 --rounds 1 --checkpoint-interval-ms 1000
 * --jfr full.jfr}. Producing is not timed. Throughput is every record on the topics (good and
 * broken) over the job's net runtime (deployment to last record, as Flink reports it).
 */
public final class PipelineBenchmark {

    private PipelineBenchmark() {}

    /** What one run measured. */
    record RunResult(
            String name,
            long records,
            long netRuntimeMillis,
            long peakHeapBytes,
            long gcMillis,
            CheckpointStatsSnapshot checkpoints) {

        double eventsPerSecond() {
            return records * 1000.0 / netRuntimeMillis;
        }
    }

    public static void main(String[] args) throws Exception {
        long events = 1_000_000;
        int parallelism = 2;
        int rounds = 1;
        Duration checkpointInterval = Duration.ofSeconds(1);
        Path jfr = null;
        for (int i = 0; i < args.length; i += 2) {
            String value = args[i + 1];
            switch (args[i]) {
                case "--events" -> events = Long.parseLong(value.replace("_", ""));
                case "--parallelism" -> parallelism = Integer.parseInt(value);
                case "--rounds" -> rounds = Integer.parseInt(value);
                case "--checkpoint-interval-ms" ->
                        checkpointInterval = Duration.ofMillis(Long.parseLong(value));
                case "--jfr" -> jfr = Path.of(value);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        Path dataDir = Files.createTempDirectory("substrate-bench-");
        System.out.printf(
                Locale.ROOT,
                "PipelineBenchmark: %,d events, parallelism %d, %d round(s), checkpoints every"
                        + " %d ms, data in %s%n",
                events,
                parallelism,
                rounds,
                checkpointInterval.toMillis(),
                dataDir);
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dataDir.resolve("kafka"), 0);
                EmbeddedSchemaRegistry registry =
                        EmbeddedSchemaRegistry.start(dataDir.resolve("registry"), "127.0.0.1", 0)) {
            // Every topic the job reads or writes: a missing output topic fails the job.
            Map<String, Integer> topics = new LinkedHashMap<>(LocalRunner.topics(parallelism));
            TopicCreator.createIfAbsent(broker.bootstrapServers(), topics);

            long produceStart = System.nanoTime();
            ProducerReport sent;
            try (SchemaRegistryClient client =
                            new SchemaRegistryClient(SchemaRegistryConfig.of(registry.url()));
                    SampleEventProducer producer =
                            new SampleEventProducer(broker.bootstrapServers(), client, 7L, 0.01)) {
                sent = producer.send(events);
            }
            long records = sent.good() + sent.bad();
            System.out.printf(
                    Locale.ROOT,
                    "pre-loaded %,d records (%,d good, %,d broken) in %.1f s (not timed)%n",
                    records,
                    sent.good(),
                    sent.bad(),
                    (System.nanoTime() - produceStart) / 1e9);

            List<RunResult> limits = new ArrayList<>();
            List<RunResult> fulls = new ArrayList<>();
            for (int round = 1; round <= rounds; round++) {
                limits.add(
                        runLimit(
                                broker.bootstrapServers(),
                                registry.url(),
                                parallelism,
                                records,
                                round));
                System.out.println(describe(limits.get(limits.size() - 1)));
                // The profile covers only the full pipeline's run (of the last round).
                Recording recording = null;
                if (jfr != null && round == rounds) {
                    recording = new Recording(jdk.jfr.Configuration.getConfiguration("profile"));
                    recording.start();
                }
                fulls.add(
                        runFull(
                                broker.bootstrapServers(),
                                registry.url(),
                                parallelism,
                                checkpointInterval,
                                records,
                                dataDir.resolve("run-" + round)));
                if (recording != null) {
                    recording.stop();
                    recording.dump(jfr);
                    recording.close();
                    System.out.println("JFR profile of the full run: " + jfr);
                }
                System.out.println(describe(fulls.get(fulls.size() - 1)));
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
            System.out.println(
                    "p50/p99 latency of alerts and decisions: not applicable yet (no scheduling"
                            + " or CEP stage exists)");
        }
    }

    /** Kafka → registry-aware decode → discard, one source per input type. */
    static RunResult runLimit(
            String bootstrap, String registryUrl, int parallelism, long records, int round)
            throws Exception {
        Configuration config = new Configuration();
        config.set(PipelineOptions.GENERIC_TYPES, false);
        config.set(PipelineOptions.OBJECT_REUSE, true);
        config.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
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
                        WatermarkStrategy.<Either<DeadLetter, T>>noWatermarks(),
                        "decode-" + type.tableName())
                .sinkTo(new DiscardingSink<>())
                .name("discard-" + type.tableName());
    }

    /** The whole Substrate job, checkpointing on, into a fresh warehouse. */
    static RunResult runFull(
            String bootstrap,
            String registryUrl,
            int parallelism,
            Duration checkpointInterval,
            long records,
            Path runDir)
            throws Exception {
        Configuration config = new Configuration();
        config.set(SubstrateOptions.KAFKA_BOOTSTRAP_SERVERS, bootstrap);
        config.set(SubstrateOptions.REGISTRY_URL, registryUrl);
        config.set(SubstrateOptions.KAFKA_GROUP_ID, "bench-full-" + runDir.getFileName());
        config.set(
                SubstrateOptions.KAFKA_STARTING_OFFSETS, SubstrateOptions.StartingOffsets.EARLIEST);
        config.set(SubstrateOptions.CATALOG_WAREHOUSE, runDir.resolve("warehouse").toString());
        config.set(SubstrateOptions.CHECKPOINT_INTERVAL, checkpointInterval);
        config.set(SubstrateOptions.PARALLELISM, parallelism);
        config.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        // A generated key in the run's directory: the benchmark needs no secret.
        config.set(SubstrateOptions.PII_MODE, PiiMode.LOCAL);
        config.set(SubstrateOptions.PII_KEY_FILE, runDir.resolve("pii.key").toString());
        // Checkpoints to files: the default (JobManager memory) storage refuses state over 5 MiB,
        // which the deduplication state of a million event ids exceeds.
        config.set(
                CheckpointingOptions.CHECKPOINTS_DIRECTORY,
                runDir.resolve("checkpoints").toUri().toString());
        Files.createDirectories(runDir);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        SubstrateJob.build(env, config, OffsetsInitializer.latest());
        return run("full", env, config, parallelism, records);
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
        Configuration clusterConfig = new Configuration(jobConfig);
        // A failure must end the run, not hide behind restarts in the measured time.
        clusterConfig.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        clusterConfig.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
        clusterConfig.set(RestOptions.BIND_PORT, "0");
        MiniClusterConfiguration miniConfig =
                new MiniClusterConfiguration.Builder()
                        .setConfiguration(clusterConfig)
                        .setNumTaskManagers(1)
                        .setNumSlotsPerTaskManager(parallelism)
                        .build();
        System.gc();
        List<MemoryPoolMXBean> heapPools = new ArrayList<>();
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                pool.resetPeakUsage();
                heapPools.add(pool);
            }
        }
        long gcBefore = gcMillis();
        try (MiniCluster cluster = new MiniCluster(miniConfig)) {
            cluster.start();
            JobID jobId = cluster.submitJob(env.getStreamGraph()).get().getJobID();
            CompletableFuture<JobResult> result = cluster.requestJobResult(jobId);
            CheckpointStatsSnapshot checkpoints = CheckpointStatsSnapshot.empty();
            while (!result.isDone()) {
                try {
                    checkpoints =
                            cluster.getExecutionGraph(jobId)
                                    .get(5, TimeUnit.SECONDS)
                                    .getCheckpointStatsSnapshot();
                } catch (Exception e) {
                    // The job finished between isDone() and the request: keep the last snapshot.
                }
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
            try {
                checkpoints =
                        cluster.getExecutionGraph(jobId)
                                .get(5, TimeUnit.SECONDS)
                                .getCheckpointStatsSnapshot();
            } catch (Exception e) {
                // archived graph not reachable: the last polled snapshot stands
            }
            long peakHeap = 0;
            for (MemoryPoolMXBean pool : heapPools) {
                peakHeap += pool.getPeakUsage().getUsed();
            }
            return new RunResult(
                    name,
                    records,
                    jobResult.getNetRuntime(),
                    peakHeap,
                    gcMillis() - gcBefore,
                    checkpoints);
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
                        "%-5s %,12.0f events/s  net runtime %,7d ms  peak heap (sum of pool"
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
                            "%n      checkpoints: %d completed, %d failed; end-to-end duration"
                                    + " ms min %d / p50 %.0f / p99 %.0f / max %d / avg %d;"
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
            out.append("\n      checkpoints: none completed");
        }
        return out.toString();
    }
}
