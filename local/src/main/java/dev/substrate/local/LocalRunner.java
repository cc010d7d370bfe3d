package dev.substrate.local;

import dev.substrate.jobs.SubstrateJob;
import dev.substrate.jobs.config.SubstrateOptions;
import dev.substrate.jobs.ingest.GovernanceSettings;
import dev.substrate.jobs.ingest.RuleQualityStep;
import dev.substrate.jobs.policies.PolicyOptions;
import dev.substrate.jobs.policies.PolicyStage;
import dev.substrate.jobs.stage.StageContext;
import dev.substrate.operators.pii.PiiMode;
import dev.substrate.samples.H100TraceReplay;
import dev.substrate.samples.H100TraceReplay.Plan;
import dev.substrate.samples.ProducerReport;
import dev.substrate.samples.SampleEventProducer;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.sinks.lake.LakeCatalogConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.annotation.Nullable;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.iceberg.catalog.Catalog;
import org.apache.kafka.common.TopicPartition;

/**
 * Runs Substrate on one machine: an embedded Kafka broker and schema registry (or external ones),
 * the sample producer, the job on a Flink MiniCluster with its web UI, and, at the end, a summary
 * read back from the Iceberg tables.
 *
 * <pre>
 *  SampleEventProducer ─► Kafka (embedded, KRaft) ─► SubstrateJob on a MiniCluster ─► Iceberg
 *          │                                              │                          warehouse
 *          └──── EmbeddedSchemaRegistry ◄─────────────────┘
 * </pre>
 */
public final class LocalRunner {

    private static final Duration PROGRESS_EVERY = Duration.ofSeconds(5);

    /** How far in the past sample event time starts on a fresh data directory. */
    private static final Duration SAMPLE_TIME_BEHIND = Duration.ofHours(6);

    /**
     * The gap between the last run's latest reported window and the next run's first event: past
     * every window the last run may have fired (5-minute sliding telemetry windows, a report window
     * not yet closed at a plain stop, out-of-orderness), so no window fires twice.
     */
    static final Duration RESUME_GAP = Duration.ofMinutes(10);

    private static final Duration CATCH_UP_TIMEOUT = Duration.ofSeconds(90);

    private final LocalSettings settings;
    private final PrintStream out;
    private final CountDownLatch stopRequested = new CountDownLatch(1);
    private final AtomicReference<RuntimeException> producerFailure = new AtomicReference<>();

    public LocalRunner(LocalSettings settings, PrintStream out) {
        this.settings = settings;
        this.out = out;
    }

    /** Whether a stop was already asked for. */
    public boolean stopRequested() {
        return stopRequested.getCount() == 0;
    }

    /** Asks a streaming run to stop cleanly (Ctrl-C does this). */
    public void requestStop() {
        stopRequested.countDown();
    }

    /** Runs until the configured bound or {@link #requestStop()}; returns the summary. */
    public RunSummary run() throws Exception {
        Path dataDir = settings.dataDir().toAbsolutePath().normalize();
        Preflight.checkDataDir(dataDir);
        if (settings.externalKafka() == null) {
            Preflight.checkPortFree(settings.kafkaPort(), "embedded Kafka broker", "--kafka-port");
        } else {
            Preflight.checkKafkaReachable(settings.externalKafka(), Duration.ofSeconds(10));
        }
        if (settings.externalRegistry() == null) {
            Preflight.checkPortFree(
                    settings.registryPort(), "embedded schema registry", "--registry-port");
        }
        Preflight.checkPortFree(settings.webUiPort(), "Flink web UI", "--web-ui-port");
        Preflight.checkWarehouseBelongsHere(StageContext.catalog(lakeOnlyConfig(dataDir)), dataDir);

        // Where to resume is decided (and checked) before anything starts: a damaged or missing
        // snapshot is an error that names it, never a silent fresh start.
        LocalSnapshots snapshots = new LocalSnapshots(dataDir);
        Optional<LocalSnapshots.Snapshot> resume =
                settings.resumeFrom() != null
                        ? Optional.of(snapshots.chosen(settings.resumeFrom()))
                        : snapshots.resumePoint();
        for (Path partial : snapshots.partialSavepoints()) {
            out.println(
                    "Removing a savepoint that was never completed (a stop was interrupted): "
                            + dataDir.relativize(partial));
            snapshots.delete(partial);
        }

        H100TraceReplay trace = settings.samples() ? loadTrace() : null;
        Duration traceSpan =
                trace == null ? Duration.ZERO : trace.traceDuration().plus(TRACE_BEFORE_FLEET);
        try (LocalServices services = LocalServices.start(settings, dataDir, out);
                SchemaRegistryClient registry =
                        new SchemaRegistryClient(
                                SchemaRegistryConfig.fromEnvironment(services.registryUrl()));
                LocalFlinkCluster flink =
                        LocalFlinkCluster.start(
                                dataDir, settings.parallelism(), settings.webUiPort())) {
            Configuration config = jobConfig(services, dataDir);
            String piiNotice = GovernanceSettings.from(config).piiKeys().prepare(System.getenv());
            if (piiNotice != null) {
                out.println(piiNotice);
            }
            LakeCatalogConfig lake = StageContext.catalog(config);
            Catalog catalog = lake.catalogLoader().loadCatalog();
            LakeProgress lakeProgress = new LakeProgress(catalog);
            Map<String, Long> rowsBefore = lakeProgress.rowsPerTable();
            long qualityBefore = lakeProgress.snapshotId(RuleQualityStep.QUALITY_REPORT.name());
            long violationsBefore = lakeProgress.snapshotId(PolicyStage.VIOLATIONS_TABLE);
            InputOffsets offsets =
                    new InputOffsets(
                            services.bootstrapServers(),
                            config.get(SubstrateOptions.KAFKA_GROUP_ID));

            SampleEventProducer producer =
                    settings.samples()
                            ? startProducer(services, registry, dataDir, trace, traceSpan, resume)
                            : null;
            if (settings.samples() && config.get(PolicyOptions.ENABLED)) {
                ModelRegistrySeeder.approveSampleModels(
                        services.bootstrapServers(),
                        config.get(PolicyOptions.MODEL_REGISTRY_TOPIC));
            }
            try {
                out.printf("Flink web UI:     %s%n", flink.webUi());
                StreamExecutionEnvironment env =
                        new StreamExecutionEnvironment(LocalFlinkCluster.jobRuntime());
                SubstrateJob.build(env, config, null);
                resume.ifPresent(snapshot -> out.println(resumeLine(snapshot, dataDir)));
                if (resume.isEmpty() && snapshots.latestSavepoint() == null) {
                    out.println("Starting fresh: no savepoint or checkpoint in " + dataDir);
                }
                flink.submit(env, "substrate (local)", resume.map(s -> s.pointer()).orElse(null));
                out.println("Job running. " + stopHint());

                long started = System.nanoTime();
                Map<TopicPartition, Long> catchUpTarget =
                        settings.catchUp() ? offsets.endOffsets() : null;
                Thread producing = producer == null ? null : startProducing(producer);
                long deadline =
                        settings.duration() == null
                                ? Long.MAX_VALUE
                                : started + settings.duration().toNanos();
                while (!stopRequested.await(PROGRESS_EVERY.toMillis(), TimeUnit.MILLISECONDS)) {
                    flink.checkRunning(resume.map(s -> s.describe(dataDir)).orElse(null));
                    printProgress(lakeProgress, producer, started);
                    if (System.nanoTime() >= deadline) {
                        requestStop();
                    } else if (settings.events() != null && !producing.isAlive()) {
                        checkProducer();
                        if (offsets.caughtUp(offsets.endOffsets())) {
                            requestStop();
                        }
                    } else if (catchUpTarget != null && offsets.caughtUp(catchUpTarget)) {
                        requestStop();
                    }
                }
                if (producing != null) {
                    producing.join(TimeUnit.SECONDS.toMillis(30));
                    checkProducer();
                }
                out.println(
                        "Stopping: "
                                + (producer == null ? "" : "producer stopped; ")
                                + "waiting until the job has read every record in the input"
                                + " topics...");
                awaitCaughtUp(flink, offsets, lakeProgress, producer, started, resume, dataDir);
                // A bounded batch is complete: drain, so every window fires and the quality
                // report and the telemetry windows are whole. A streaming run keeps its open
                // windows in the savepoint; the next run's sample time starts after them.
                boolean drain = settings.bounded();
                out.println(
                        drain
                                ? "Draining (every window fires) and taking a final savepoint, so"
                                        + " every table commits and the next run resumes here..."
                                : "Taking a final savepoint, so every table commits and the next"
                                        + " run resumes here...");
                String savepoint = flink.stopWithSavepoint(Duration.ofMinutes(2), drain);
                snapshots.recordSavepoint(savepoint);
                snapshots.removeAllBut(savepoint);
                out.println("Auditing the lake against the Kafka log...");
                AuditReport audit =
                        LakeAudit.builder()
                                .kafka(services.bootstrapServers())
                                .registry(registry)
                                .lake(catalog)
                                .outputTopics(SubstrateJob.outputTopics(config))
                                .build()
                                .run();
                return RunSummary.read(
                        catalog,
                        rowsBefore,
                        qualityBefore,
                        drain,
                        producer == null ? null : producer.report(),
                        audit,
                        dataDir,
                        Duration.ofNanos(System.nanoTime() - started),
                        violationsBefore);
            } finally {
                if (producer != null) {
                    producer.close();
                }
            }
        }
    }

    /** What the run resumes from, and why that one. */
    private static String resumeLine(LocalSnapshots.Snapshot snapshot, Path dataDir) {
        return snapshot.kind() == LocalSnapshots.Kind.SAVEPOINT
                ? "Resuming from the newest snapshot, the "
                        + snapshot.describe(dataDir)
                        + ", taken when the last run stopped"
                : "Resuming from the newest snapshot, the "
                        + snapshot.describe(dataDir)
                        + ": the last run did not stop cleanly, and this checkpoint is newer than"
                        + " its last savepoint, so nothing it committed to the lake is written"
                        + " again";
    }

    /**
     * Counts this run, picks sample time after everything the input topics already hold, and
     * registers the sample schemas: the producer never reissues an event id a run before it sent,
     * crashed or not, and its events are not late against what is already there.
     */
    private SampleEventProducer startProducer(
            LocalServices services,
            SchemaRegistryClient registry,
            Path dataDir,
            @Nullable H100TraceReplay trace,
            Duration traceSpan,
            Optional<LocalSnapshots.Snapshot> resume)
            throws Exception {
        long run = RunCounter.next(dataDir);
        Instant now = Instant.now();
        Instant after = InputEventTime.latest(services.bootstrapServers(), registry).orElse(null);
        if (resume.isPresent()) {
            Instant lastReported = lastReportedWindowEnd(dataDir, now);
            if (lastReported != null && (after == null || lastReported.isAfter(after))) {
                after = lastReported;
            }
        }
        Instant sampleStart = sampleStart(now, after, traceSpan);
        if (after != null) {
            out.printf(
                    "Sample time:      continues after the last run's (%s), so no event is late"
                            + " or reuses an id%n",
                    after);
            if (sampleStart.isAfter(now.minus(Duration.ofHours(1)))) {
                out.println(
                        "                  (sample time is catching up with the clock: start"
                                + " with a fresh --data-dir soon)");
            }
        }
        SampleEventProducer producer =
                new SampleEventProducer(
                        services.bootstrapServers(),
                        registry,
                        RunCounter.seed(settings.seed(), run),
                        settings.badFraction(),
                        sampleStart);
        replayRealTrace(producer, trace, sampleStart);
        return producer;
    }

    /** The trace replay goes this long before the synthetic fleet starts. */
    private static final Duration TRACE_BEFORE_FLEET = Duration.ofMinutes(1);

    /**
     * Where the synthetic fleet's event time starts: {@link #SAMPLE_TIME_BEHIND} ago (so a run of
     * any length stays clear of the future-timestamp rule), or, when the topics or the lake hold
     * events already, {@link #RESUME_GAP} plus the trace that goes first after the latest of them
     * ({@code after}): a run never sends events into windows a run before it fired.
     */
    static Instant sampleStart(Instant now, @Nullable Instant after, Duration traceSpan) {
        Instant start = now.minus(SAMPLE_TIME_BEHIND);
        if (after != null) {
            Instant afterLast = after.plus(RESUME_GAP).plus(traceSpan);
            if (afterLast.isAfter(start)) {
                start = afterLast;
            }
        }
        // Whole minutes: the sample windows line up with the report's and telemetry's.
        Instant minute = start.truncatedTo(ChronoUnit.MINUTES);
        return minute.isBefore(start) ? minute.plus(Duration.ofMinutes(1)) : minute;
    }

    /** How far the last run's quality report got in event time (not counting future windows). */
    @Nullable
    private static Instant lastReportedWindowEnd(Path dataDir, Instant now) throws IOException {
        Catalog lake = StageContext.catalog(lakeOnlyConfig(dataDir)).catalogLoader().loadCatalog();
        try {
            return new LakeProgress(lake).lastReportedWindowEnd(now);
        } finally {
            if (lake instanceof java.io.Closeable closeable) {
                closeable.close();
            }
        }
    }

    @Nullable
    private H100TraceReplay loadTrace() {
        try {
            return H100TraceReplay.load(H100TraceReplay.locateTrace(), "us-east-1", "lab-h100");
        } catch (IOException e) {
            out.println("Sample data:      synthetic only (" + e.getMessage() + ")");
            return null;
        }
    }

    /** The real H100 trace goes first, on its own lab cluster, ending before the fleet starts. */
    private void replayRealTrace(
            SampleEventProducer producer, @Nullable H100TraceReplay replay, Instant fleetStart) {
        if (replay == null) {
            return;
        }
        Instant traceStart = fleetStart.minus(replay.traceDuration()).minus(TRACE_BEFORE_FLEET);
        producer.replayFirst(replay.replay(Plan.asRecorded().startingAt(traceStart)));
        out.printf(
                "Sample data:      the real H100 trace (%d readings), then a synthetic fleet,"
                        + " workload requests, audit and enterprise events, %.1f%% broken%n",
                replay.trace().size(), settings.badFraction() * 100);
    }

    private String stopHint() {
        if (settings.events() != null) {
            return "It stops when all " + settings.events() + " events are in the lake.";
        }
        return settings.duration() == null
                ? "Press Ctrl-C to stop; it stops cleanly and prints a summary."
                : "It stops after " + settings.duration().toSeconds() + " s.";
    }

    /** Sends the bounded number of events, or streams at the configured rate until stopped. */
    private Thread startProducing(SampleEventProducer producer) {
        Runnable work =
                settings.events() != null
                        ? () -> producer.send(settings.events())
                        : () -> producer.streamAt(settings.eventsPerSecond(), stopRequested);
        Thread thread =
                new Thread(
                        () -> {
                            try {
                                work.run();
                            } catch (RuntimeException e) {
                                producerFailure.set(e);
                            }
                        },
                        "substrate-sample-producer");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    /** A producer that failed fails the run: a run that sent less than asked is no success. */
    private void checkProducer() {
        RuntimeException failure = producerFailure.get();
        if (failure != null) {
            throw new IllegalStateException(
                    "The sample producer failed: " + failure.getMessage(), failure);
        }
    }

    /**
     * Waits (bounded) until the job has read, and checkpointed, every record the input topics hold
     * now, so that stopping leaves nothing behind in Kafka.
     */
    private void awaitCaughtUp(
            LocalFlinkCluster flink,
            InputOffsets offsets,
            LakeProgress lake,
            @Nullable SampleEventProducer producer,
            long started,
            Optional<LocalSnapshots.Snapshot> resume,
            Path dataDir)
            throws Exception {
        Map<TopicPartition, Long> target = offsets.endOffsets();
        long giveUp = System.nanoTime() + CATCH_UP_TIMEOUT.toNanos();
        long nextProgress = System.nanoTime() + PROGRESS_EVERY.toNanos();
        while (!offsets.caughtUp(target) && System.nanoTime() < giveUp) {
            flink.checkRunning(resume.map(s -> s.describe(dataDir)).orElse(null));
            if (System.nanoTime() >= nextProgress) {
                printProgress(lake, producer, started);
                nextProgress += PROGRESS_EVERY.toNanos();
            }
            Thread.sleep(250);
        }
    }

    private void printProgress(
            LakeProgress lake, @Nullable SampleEventProducer producer, long started) {
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
        StringBuilder line = new StringBuilder(String.format("[%3ds] ", seconds));
        if (producer != null) {
            ProducerReport produced = producer.report();
            line.append(
                    String.format(
                            "produced %,d good + %,d bad │ ", produced.good(), produced.bad()));
        }
        line.append("lake:");
        lake.rowsPerTable()
                .forEach((table, rows) -> line.append(String.format(" %s %,d", table, rows)));
        out.println(line);
    }

    /** Just the lake catalog's options, to read the lake before the services start. */
    private static Configuration lakeOnlyConfig(Path dataDir) {
        Map<String, String> options = new LinkedHashMap<>();
        lakeOptions(options, dataDir);
        return Configuration.fromMap(options);
    }

    private static void lakeOptions(Map<String, String> options, Path dataDir) {
        options.put(SubstrateOptions.CATALOG_TYPE.key(), "hadoop");
        options.put(
                SubstrateOptions.CATALOG_WAREHOUSE.key(), dataDir.resolve("warehouse").toString());
    }

    private Configuration jobConfig(LocalServices services, Path dataDir) {
        Map<String, String> options = new LinkedHashMap<>();
        options.put(SubstrateOptions.KAFKA_BOOTSTRAP_SERVERS.key(), services.bootstrapServers());
        options.put(SubstrateOptions.REGISTRY_URL.key(), services.registryUrl());
        options.put(SubstrateOptions.PARALLELISM.key(), String.valueOf(settings.parallelism()));
        // A data directory without state has an empty lake: read the topics from their start,
        // whatever a consumer group of the same name committed elsewhere.
        options.put(SubstrateOptions.KAFKA_STARTING_OFFSETS.key(), "EARLIEST");
        options.put(
                SubstrateOptions.CHECKPOINT_INTERVAL.key(),
                settings.checkpointInterval().toMillis() + " ms");
        lakeOptions(options, dataDir);
        // The local run tokenizes PII with a key kept in the data directory (generated once).
        options.put(SubstrateOptions.PII_MODE.key(), PiiMode.LOCAL.name());
        options.put(SubstrateOptions.PII_KEY_FILE.key(), dataDir.resolve("pii.key").toString());
        return Configuration.fromMap(options);
    }
}
