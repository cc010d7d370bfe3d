package dev.substrate.jobs.local;

import dev.substrate.jobs.SubstrateJob;
import dev.substrate.jobs.config.SubstrateOptions;
import dev.substrate.jobs.ingest.GovernanceSettings;
import dev.substrate.jobs.ingest.RuleQualityStep;
import dev.substrate.operators.pii.PiiMode;
import dev.substrate.schemas.EventType;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.sinks.lake.LakeCatalogConfig;
import dev.substrate.sources.samples.H100TraceReplay;
import dev.substrate.sources.samples.H100TraceReplay.Plan;
import dev.substrate.sources.samples.ProducerReport;
import dev.substrate.sources.samples.SampleEventProducer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.annotation.Nullable;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.iceberg.catalog.Catalog;

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
        Path dataDir = settings.dataDir().toAbsolutePath();
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

        String resumeFrom = LastSavepoint.read(dataDir);
        H100TraceReplay trace = loadTrace();
        Duration traceSpan =
                trace == null ? Duration.ZERO : trace.traceDuration().plus(TRACE_BEFORE_FLEET);
        Instant now = Instant.now();
        Instant lastReported = resumeFrom == null ? null : lastReportedWindowEnd(dataDir, now);
        Instant sampleStart = sampleStart(now, lastReported, traceSpan);
        if (lastReported != null) {
            out.printf(
                    "Sample time:      continues after the last run's (%s), so no window fires"
                            + " twice%n",
                    lastReported);
            if (sampleStart.isAfter(now.minus(Duration.ofHours(1)))) {
                out.println(
                        "                  (sample time is catching up with the clock: start"
                                + " with a fresh --data-dir soon)");
            }
        }
        try (LocalServices services = LocalServices.start(settings, dataDir, out);
                SchemaRegistryClient registry =
                        new SchemaRegistryClient(
                                SchemaRegistryConfig.fromEnvironment(services.registryUrl()));
                SampleEventProducer producer =
                        new SampleEventProducer(
                                services.bootstrapServers(),
                                registry,
                                runSeed(resumeFrom),
                                settings.badFraction(),
                                sampleStart);
                LocalFlinkCluster flink =
                        LocalFlinkCluster.start(
                                dataDir, settings.parallelism(), settings.webUiPort())) {
            Configuration config = jobConfig(services, dataDir);
            String piiNotice = GovernanceSettings.from(config).piiKeys().prepare(System.getenv());
            if (piiNotice != null) {
                out.println(piiNotice);
            }
            LakeCatalogConfig lake = SubstrateJob.catalog(config);
            Catalog catalog = lake.catalogLoader().loadCatalog();
            LakeProgress lakeProgress = new LakeProgress(catalog);
            Map<String, Long> rowsBefore = lakeProgress.rowsPerTable();

            long qualityBefore = lakeProgress.snapshotId(RuleQualityStep.QUALITY_REPORT.name());

            out.printf("Flink web UI:     %s%n", flink.webUi());
            replayRealTrace(producer, trace, sampleStart);
            StreamExecutionEnvironment env = new StreamExecutionEnvironment(new Configuration());
            SubstrateJob.build(env, config, null);
            if (resumeFrom != null) {
                out.println("Resuming from the last run's savepoint: " + resumeFrom);
            }
            flink.submit(env, "substrate (local)", resumeFrom);
            out.println("Job running. " + stopHint());

            long started = System.nanoTime();
            Thread producing = startProducing(producer);
            long deadline =
                    settings.duration() == null
                            ? Long.MAX_VALUE
                            : started + settings.duration().toNanos();
            while (!stopRequested.await(PROGRESS_EVERY.toMillis(), TimeUnit.MILLISECONDS)) {
                checkJobRunning(flink);
                printProgress(lakeProgress, producer.report(), started);
                boolean allSent = settings.events() != null && !producing.isAlive();
                if (System.nanoTime() >= deadline
                        || (allSent && caughtUp(lakeProgress, rowsBefore, producer.report()))) {
                    requestStop();
                }
            }
            producing.join(TimeUnit.SECONDS.toMillis(30));
            out.println("Stopping: producer stopped; waiting until the lake has every record...");
            awaitCaughtUp(flink, lakeProgress, rowsBefore, producer.report(), started);
            // A bounded batch is complete: drain, so every window fires and the quality report
            // and the telemetry windows are whole. A streaming run keeps its open windows in the
            // savepoint; the next run's sample time starts after them either way.
            boolean drain = settings.events() != null;
            out.println(
                    drain
                            ? "Draining (every window fires) and taking a final savepoint, so"
                                    + " every table commits and the next run resumes here..."
                            : "Taking a final savepoint, so every table commits and the next run"
                                    + " resumes here...");
            String savepoint = flink.stopWithSavepoint(Duration.ofMinutes(2), drain);
            LastSavepoint.write(dataDir, savepoint);
            return RunSummary.read(
                    catalog,
                    rowsBefore,
                    qualityBefore,
                    drain,
                    producer.report(),
                    dataDir,
                    Duration.ofNanos(System.nanoTime() - started));
        }
    }

    /**
     * A run that resumes gets other sample ids than the run before it, so the deduplication state
     * restored from the savepoint does not take them for duplicates.
     */
    private long runSeed(String resumeFrom) {
        return resumeFrom == null ? settings.seed() : settings.seed() + resumeFrom.hashCode();
    }

    /** The trace replay goes this long before the synthetic fleet starts. */
    private static final Duration TRACE_BEFORE_FLEET = Duration.ofMinutes(1);

    /**
     * Where the synthetic fleet's event time starts: {@link #SAMPLE_TIME_BEHIND} ago (so a run of
     * any length stays clear of the future-timestamp rule), or, when resuming, after the last run's
     * reported windows by {@link #RESUME_GAP} plus the trace that goes first: a run that resumes
     * never sends events into windows the last one fired.
     */
    static Instant sampleStart(Instant now, @Nullable Instant lastReported, Duration traceSpan) {
        Instant start = now.minus(SAMPLE_TIME_BEHIND);
        if (lastReported != null) {
            Instant afterLast = lastReported.plus(RESUME_GAP).plus(traceSpan);
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
        Catalog lake = SubstrateJob.catalog(lakeOnlyConfig(dataDir)).catalogLoader().loadCatalog();
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
        Thread thread = new Thread(work, "substrate-sample-producer");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    /**
     * Waits (bounded) until every record produced in this run is committed to a table or to dead
     * letters, so that stopping now leaves nothing behind in Kafka.
     */
    private void awaitCaughtUp(
            LocalFlinkCluster flink,
            LakeProgress lake,
            Map<String, Long> rowsBefore,
            ProducerReport produced,
            long started)
            throws Exception {
        long giveUp = System.nanoTime() + CATCH_UP_TIMEOUT.toNanos();
        long nextProgress = System.nanoTime() + PROGRESS_EVERY.toNanos();
        while (!caughtUp(lake, rowsBefore, produced) && System.nanoTime() < giveUp) {
            checkJobRunning(flink);
            if (System.nanoTime() >= nextProgress) {
                printProgress(lake, produced, started);
                nextProgress += PROGRESS_EVERY.toNanos();
            }
            Thread.sleep(250);
        }
    }

    private static boolean caughtUp(
            LakeProgress lake, Map<String, Long> rowsBefore, ProducerReport produced) {
        return RunSummary.added(lake.rowsPerTable(), rowsBefore)
                >= produced.good() + produced.bad();
    }

    private static void checkJobRunning(LocalFlinkCluster flink) throws Exception {
        JobStatus status = flink.status();
        if (status.isGloballyTerminalState()) {
            throw new IllegalStateException(
                    "The job ended unexpectedly ("
                            + status
                            + "); the log file under the data directory says why.");
        }
    }

    private void printProgress(LakeProgress lake, ProducerReport produced, long started) {
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
        StringBuilder line = new StringBuilder();
        line.append(
                String.format(
                        "[%3ds] produced %,d good + %,d bad │ lake:",
                        seconds, produced.good(), produced.bad()));
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
        options.put(
                SubstrateOptions.CHECKPOINT_INTERVAL.key(),
                settings.checkpointInterval().toMillis() + " ms");
        lakeOptions(options, dataDir);
        // The local run tokenizes PII with a key kept in the data directory (generated once).
        options.put(SubstrateOptions.PII_MODE.key(), PiiMode.LOCAL.name());
        options.put(SubstrateOptions.PII_KEY_FILE.key(), dataDir.resolve("pii.key").toString());
        return Configuration.fromMap(options);
    }

    /** Every topic the job reads or writes, with its partition count, for the default options. */
    public static Map<String, Integer> topics(int partitions) {
        Map<String, Integer> topics = new LinkedHashMap<>();
        for (EventType type : EventType.values()) {
            topics.put(type.topic(), partitions);
        }
        for (String output : SubstrateJob.outputTopics(new Configuration())) {
            topics.put(output, partitions);
        }
        return topics;
    }
}
