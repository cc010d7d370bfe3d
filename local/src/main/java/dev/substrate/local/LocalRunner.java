package dev.substrate.local;

import dev.substrate.collector.CollectorStartException;
import dev.substrate.collector.GpuCollector;
import dev.substrate.jobs.SubstrateJob;
import dev.substrate.jobs.config.SubstrateConfig;
import dev.substrate.jobs.config.SubstrateOptions;
import dev.substrate.jobs.ingest.GovernanceSettings;
import dev.substrate.jobs.ingest.RuleQualityStep;
import dev.substrate.jobs.lake.LakeMaintenanceJob;
import dev.substrate.jobs.lake.LakeMaintenanceOptions;
import dev.substrate.jobs.policies.PolicyOptions;
import dev.substrate.jobs.policies.PolicyStage;
import dev.substrate.jobs.stage.StageContext;
import dev.substrate.operators.pii.PiiMode;
import dev.substrate.samples.H100TraceReplay;
import dev.substrate.samples.H100TraceReplay.Plan;
import dev.substrate.samples.ProducerReport;
import dev.substrate.samples.SampleEventProducer;
import dev.substrate.schemas.EventType;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.sinks.lake.LakeCatalogConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.annotation.Nullable;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.TimeUtils;
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
        for (var migrated : LocalLake.migrateHadoopTables(dataDir)) {
            out.println(
                    "Moved lake table "
                            + migrated
                            + " from the Hadoop catalog into the JDBC catalog "
                            + LocalLake.CATALOG_DB
                            + " (in place, its history kept)");
        }
        Preflight.checkWarehouseBelongsHere(LocalLake.catalog(dataDir), dataDir);
        Preflight.checkPortFree(settings.searchPort(), "search API", "--search-port");
        if (settings.dashboardPort() > 0) {
            Preflight.checkPortFree(settings.dashboardPort(), "dashboard", "--dashboard-port");
        }

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

        // Real telemetry replaces the synthetic fleet and the replayed trace.
        H100TraceReplay trace =
                settings.samples() && !settings.telemetry().real() ? loadTrace() : null;
        Duration traceSpan =
                trace == null ? Duration.ZERO : trace.traceDuration().plus(TRACE_BEFORE_FLEET);
        try (LocalServices services = LocalServices.start(settings, dataDir, out);
                SchemaRegistryClient registry =
                        new SchemaRegistryClient(
                                SchemaRegistryConfig.fromEnvironment(services.registryUrl()));
                LocalFlinkCluster flink =
                        LocalFlinkCluster.start(
                                // one slot more for the lake's maintenance job
                                dataDir, settings.parallelism() + 1, settings.webUiPort())) {
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
            // The summary reads what this run added from here: maintenance must keep it.
            lakeProgress.tagRunStart(RuleQualityStep.QUALITY_REPORT.name(), qualityBefore);
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
            GpuCollector collector = startCollector(services);
            LocalDashboard dashboard = null;
            try (LocalSearch search =
                    LocalSearch.start(config, settings.searchPort(), System.getenv())) {
                out.printf("Flink web UI:     %s%n", flink.webUi());
                if (search != null) {
                    out.printf(
                            "Search API:       %s?q=<text>  (or: substrate search \"<text>\")%n",
                            search.url());
                }
                if (settings.dashboardPort() >= 0) {
                    dashboard =
                            LocalDashboard.start(
                                    settings.dashboardPort(),
                                    services.bootstrapServers(),
                                    registry,
                                    flink.webUi(),
                                    config);
                    out.printf("Dashboard:        %s%n", dashboard.url());
                }
                StreamExecutionEnvironment env =
                        new StreamExecutionEnvironment(LocalFlinkCluster.jobRuntime());
                SubstrateJob.build(env, config, null);
                resume.ifPresent(snapshot -> out.println(resumeLine(snapshot, dataDir)));
                if (resume.isEmpty() && snapshots.latestSavepoint() == null) {
                    out.println("Starting fresh: no savepoint or checkpoint in " + dataDir);
                }
                flink.submit(env, "substrate (local)", resume.map(s -> s.pointer()).orElse(null));
                JobID maintenance = startLakeMaintenance(flink, config);
                out.println("Job running. " + stopHint());

                long started = System.nanoTime();
                Map<TopicPartition, Long> catchUpTarget =
                        settings.catchUp() && collector == null ? offsets.endOffsets() : null;
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
                    } else if (settings.events() != null
                            && !producing.isAlive()
                            && delivered(collector)) {
                        checkProducer();
                        if (offsets.caughtUp(offsets.endOffsets())) {
                            requestStop();
                        }
                    } else if (settings.catchUp() && delivered(collector)) {
                        if (catchUpTarget == null) {
                            catchUpTarget = offsets.endOffsets();
                        }
                        if (offsets.caughtUp(catchUpTarget)) {
                            requestStop();
                        }
                    }
                }
                stopCollector(collector);
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
                if (maintenance != null) {
                    flink.cancel(maintenance, Duration.ofSeconds(30));
                    LakeMaintenanceJob.releaseLocks(config);
                }
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
                if (dashboard != null) {
                    dashboard.close();
                }
                if (producer != null) {
                    producer.close();
                }
                if (collector != null) {
                    collector.close();
                }
            }
        }
    }

    /**
     * Starts the lake's maintenance beside the pipeline ({@link LakeMaintenanceJob}), unless {@code
     * lake.maintenance.enabled} is false; the pipeline has created every table by now.
     */
    @Nullable
    private JobID startLakeMaintenance(LocalFlinkCluster flink, Configuration config)
            throws Exception {
        if (!config.get(LakeMaintenanceOptions.ENABLED)) {
            return null;
        }
        StreamExecutionEnvironment env =
                new StreamExecutionEnvironment(LocalFlinkCluster.jobRuntime());
        List<String> tables = LakeMaintenanceJob.build(env, config);
        if (tables.isEmpty()) {
            return null;
        }
        out.printf(
                "Lake maintenance: %d tables, snapshots kept %s (at least the last %d), small"
                        + " files compacted (lake.maintenance.*)%n",
                tables.size(),
                TimeUtils.formatWithHighestUnit(
                        config.get(LakeMaintenanceOptions.SNAPSHOT_MAX_AGE)),
                config.get(LakeMaintenanceOptions.SNAPSHOTS_RETAINED));
        return flink.submitBeside(env, LakeMaintenanceJob.NAME + " (local)");
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
        List<EventType> produced = new ArrayList<>(EventType.inputs());
        if (settings.telemetry().real()) {
            produced.remove(EventType.GPU_SAMPLE);
        }
        Instant after =
                InputEventTime.latest(services.bootstrapServers(), registry, produced).orElse(null);
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
        if (settings.telemetry().real()) {
            producer.withoutGpuSamples();
        }
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
        Catalog lake = LocalLake.catalog(dataDir).loadCatalog();
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
        Instant traceStart =
                replayStart(
                        replay.traceStart(),
                        fleetStart.minus(replay.traceDuration()).minus(TRACE_BEFORE_FLEET));
        producer.replayFirst(replay.replay(Plan.asRecorded().startingAt(traceStart)));
        out.printf(
                "Sample data:      the real H100 trace (%d readings), then a synthetic fleet,"
                        + " workload requests, audit and enterprise events, %.1f%% broken%n",
                replay.trace().size(), settings.badFraction() * 100);
    }

    /**
     * The latest start at or before {@code wanted} that moves the recorded trace by whole minutes:
     * its readings fall into the same minute windows as in the original capture, so the replay's
     * telemetry windows are the capture's, only later.
     */
    static Instant replayStart(Instant recordedStart, Instant wanted) {
        long minutes = Math.floorDiv(wanted.toEpochMilli() - recordedStart.toEpochMilli(), 60_000L);
        return recordedStart.plus(Duration.ofMinutes(minutes));
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

    /**
     * Starts the collector of real GPU telemetry, or returns null for the synthetic fleet; its
     * readings go to the job's GPU sample topic like any producer's.
     */
    @Nullable
    private GpuCollector startCollector(LocalServices services) {
        if (!settings.telemetry().real()) {
            return null;
        }
        GpuCollector collector =
                settings.telemetry()
                        .collector(
                                services.bootstrapServers(),
                                services.registryUrl(),
                                settings.bounded());
        try {
            collector.start();
        } catch (CollectorStartException e) {
            collector.close();
            throw new LocalRunException(
                    "--telemetry " + settings.telemetry().spec() + ": " + e.getMessage(), e);
        }
        out.printf(
                "GPU telemetry:    %s, published by the collector (as substrate collect) to %s%n",
                settings.telemetry().spec(), collector.topic());
        return collector;
    }

    /** Whether the collector has nothing more to publish: a file read to its end and sent. */
    private static boolean delivered(@Nullable GpuCollector collector) {
        if (collector == null) {
            return true;
        }
        var status = collector.status();
        return status.inputsFinished() && status.undelivered() == 0;
    }

    /** Stops the collector before the last wait, so the job has read all it published. */
    private void stopCollector(@Nullable GpuCollector collector) {
        if (collector == null) {
            return;
        }
        collector.close();
        var status = collector.status();
        out.printf(
                "Collector stopped: %,d readings read, %,d published, %,d dropped%n",
                status.read(), status.sent(), status.dropped());
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

    private Configuration jobConfig(LocalServices services, Path dataDir) {
        // Any job option from its SUBSTRATE_* variable (lake.maintenance.* for instance), except
        // the ones a local run sets itself below.
        Map<String, String> options =
                new LinkedHashMap<>(
                        SubstrateConfig.resolve(new Configuration(), System.getenv(), new String[0])
                                .toMap());
        options.put(SubstrateOptions.KAFKA_BOOTSTRAP_SERVERS.key(), services.bootstrapServers());
        options.put(SubstrateOptions.REGISTRY_URL.key(), services.registryUrl());
        options.put(SubstrateOptions.PARALLELISM.key(), String.valueOf(settings.parallelism()));
        // A data directory without state has an empty lake: read the topics from their start,
        // whatever a consumer group of the same name committed elsewhere.
        options.put(SubstrateOptions.KAFKA_STARTING_OFFSETS.key(), "EARLIEST");
        options.put(
                SubstrateOptions.CHECKPOINT_INTERVAL.key(),
                settings.checkpointInterval().toMillis() + " ms");
        options.putAll(LocalLake.options(dataDir));
        // The local run tokenizes PII with a key kept in the data directory (generated once).
        options.put(SubstrateOptions.PII_MODE.key(), PiiMode.LOCAL.name());
        options.put(SubstrateOptions.PII_KEY_FILE.key(), dataDir.resolve("pii.key").toString());
        return Configuration.fromMap(options);
    }
}
