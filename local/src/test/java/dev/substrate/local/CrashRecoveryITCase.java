package dev.substrate.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.embedded.kafka.EmbeddedKafkaBroker;
import dev.substrate.embedded.registry.EmbeddedSchemaRegistry;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.iceberg.catalog.Catalog;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code substrate local} killed with {@code kill -9} at the worst moments, as a user or the OOM
 * killer would: mid-run after a resume, during the final stop-with-savepoint, and twice in a row.
 * After each, a clean run finishes and audits the lake against the Kafka log; at the end this test
 * audits it once more itself: every record of every input topic is in exactly one place, once. Then
 * damaged state on disk must give an error that names it, fast, instead of a restart loop or a
 * silent fresh start.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CrashRecoveryITCase {

    /** Every stage on, the vector store's embedding included: the defaults. */
    private static final Map<String, String> DEFAULTS = Map.of();

    private static final Duration RUN_TIMEOUT = Duration.ofMinutes(3);

    @TempDir static Path dataDir;

    @Test
    @Order(1)
    void killedRunsResumeFromTheirNewestSnapshotAndTheLakeHoldsEveryRecordOnce() throws Exception {
        String first = cleanRun(true);
        assertThat(first).contains("Starting fresh");

        // Killed mid-run; the next run resumes from that run's newest checkpoint (not from the
        // older savepoint) and is killed in turn, twice in a row, while it takes its final
        // savepoint; then a clean run finishes on their state.
        killMidRun();
        String resumedAfterMidRunKill = killDuringFinalSavepoint();
        assertThat(resumedAfterMidRunKill)
                .as("the killed run's newest checkpoint, not the older savepoint")
                .contains("Resuming from the newest snapshot, the checkpoint checkpoints/");

        String afterKills = cleanRun(false);
        assertThat(afterKills).contains("Resuming from the newest snapshot, the checkpoint");

        AuditReport audit = auditLake();
        assertThat(audit.missingExamples()).isEmpty();
        assertThat(audit.repeatedExamples()).isEmpty();
        assertThat(audit.clean()).isTrue();
        assertThat(audit.inputRecords()).isGreaterThan(2_000);
        assertThat(audit.landed().values().stream().mapToLong(Long::longValue).sum())
                .as("rows in the landing tables, counted apart from the audit's matching")
                .isEqualTo(audit.inputRecords());
        assertThat(new LocalSnapshots(dataDir).latestSavepoint()).isNotNull();
        assertThat(Files.list(dataDir.resolve(LocalSnapshots.CHECKPOINTS)).count())
                .as("a clean stop removes the checkpoints it no longer needs")
                .isZero();
    }

    @Test
    @Order(2)
    void damagedOrMissingStateIsNamedWithItsFixInsteadOfAFreshStart() throws Exception {
        Path savepoint = new LocalSnapshots(dataDir).latestSavepoint();
        assertThat(savepoint).as("the first test leaves a savepoint").isNotNull();
        Path backup = Files.createTempDirectory("savepoint-backup");
        copyDirectory(savepoint, backup);
        String name = dataDir.relativize(savepoint).toString();

        truncate(savepoint.resolve("_metadata"), 100);
        assertThat(failedRun())
                .contains(name)
                .contains("_metadata cannot be read")
                .contains("--data-dir")
                .contains("--resume-from");
        restore(backup, savepoint);

        Path stateFile = largestStateFile(savepoint);
        truncate(stateFile, Files.size(stateFile) / 2);
        assertThat(failedRun())
                .contains(name)
                .contains(stateFile.getFileName().toString())
                .contains("truncated");
        restore(backup, savepoint);

        Path moved = savepoint.resolveSibling("moved-away");
        Files.move(savepoint, moved);
        assertThat(failedRun()).contains(name).contains("does not exist");
        Files.move(moved, savepoint);

        // Same size, garbage inside: only a restore can tell, and it fails the same way every
        // time; the run must end with the cause at once, not loop through restarts. Every state
        // file, the vector stage's embedding backlog and pending batches included.
        try (Stream<Path> files = Files.list(savepoint)) {
            for (Path file :
                    files.filter(f -> !f.getFileName().toString().equals("_metadata")).toList()) {
                overwriteMiddle(file);
            }
        }
        try (LocalRunProcess run = LocalRunProcess.start(DEFAULTS, args("--duration", "60s"))) {
            int exit = run.await(RUN_TIMEOUT);
            assertThat(exit).as(run.output()).isNotZero();
            assertThat(run.output())
                    .contains("The job failed restoring its state")
                    .contains(name)
                    .contains("--resume-from")
                    .contains("the run stops now")
                    .doesNotContain("Taking a final savepoint");
        }
        restore(backup, savepoint);
    }

    @Test
    @Order(3)
    void nonsenseArgumentsAreRefusedWithEveryOptionNamed() throws Exception {
        try (LocalRunProcess run =
                LocalRunProcess.start(
                        DEFAULTS, args("--events", "-5", "--rate", "-100", "--no-samples"))) {
            assertThat(run.await(Duration.ofSeconds(60))).as(run.output()).isEqualTo(2);
            assertThat(run.output())
                    .contains("--events must be at least 1")
                    .contains("--rate must be at least 1")
                    .contains("--catch-up")
                    .doesNotContain("Kafka (embedded)");
        }
    }

    /** A run that must fail at once, before any service starts, and say why. */
    private static String failedRun() throws Exception {
        try (LocalRunProcess run = LocalRunProcess.start(DEFAULTS, args("--duration", "60s"))) {
            assertThat(run.await(Duration.ofSeconds(60))).as(run.output()).isEqualTo(2);
            assertThat(run.output()).doesNotContain("Job running");
            return run.output();
        }
    }

    /** A bounded run that stops cleanly, audits the lake itself and must exit 0. */
    private static String cleanRun(boolean checkSockets) throws Exception {
        try (LocalRunProcess run = LocalRunProcess.start(DEFAULTS, args("--events", "400"))) {
            if (checkSockets) {
                run.awaitLine(line -> line.startsWith("Job running"), RUN_TIMEOUT);
                assertThat(ListeningSockets.of(run.pid()))
                        .as("every socket of a local run listens on the loopback interface")
                        .isNotEmpty()
                        .allMatch(address -> address.startsWith("127.0.0.1:"));
            }
            int exit = run.await(RUN_TIMEOUT);
            assertThat(exit).as(run.output()).isZero();
            assertThat(run.output()).contains("Audit: every record in the input topics");
            return run.output();
        }
    }

    /** A streaming run killed after it has committed to the lake for a while. */
    private static void killMidRun() throws Exception {
        try (LocalRunProcess run =
                LocalRunProcess.start(DEFAULTS, args("--duration", "5m", "--rate", "400"))) {
            long atStart = lakeRows(run.awaitLine(line -> line.startsWith("["), RUN_TIMEOUT));
            // Killed once this run has committed to the lake, and then once more in the middle.
            run.awaitLine(line -> line.startsWith("[") && lakeRows(line) > atStart, RUN_TIMEOUT);
            long committed = run.progressLines();
            run.awaitLine(
                    line -> line.startsWith("[") && run.progressLines() > committed, RUN_TIMEOUT);
            run.kill9();
        }
    }

    /** A streaming run killed while it takes its final savepoint; returns what it printed. */
    private static String killDuringFinalSavepoint() throws Exception {
        try (LocalRunProcess run =
                LocalRunProcess.start(DEFAULTS, args("--duration", "10s", "--rate", "400"))) {
            run.awaitLine(line -> line.startsWith("Taking a final savepoint"), RUN_TIMEOUT);
            run.kill9();
            return run.output();
        }
    }

    /** The rows committed to the lake, all tables, as a progress line shows them. */
    private static long lakeRows(String progressLine) {
        long rows = 0;
        java.util.regex.Matcher counts =
                java.util.regex.Pattern.compile(" [a-z_]+ ([0-9,]+)")
                        .matcher(progressLine.substring(progressLine.indexOf("lake:")));
        while (counts.find()) {
            rows += Long.parseLong(counts.group(1).replace(",", ""));
        }
        return rows;
    }

    private static String[] args(String... extra) {
        List<String> args = new ArrayList<>();
        args.addAll(
                List.of(
                        "--data-dir",
                        dataDir.toString(),
                        "--kafka-port",
                        "0",
                        "--registry-port",
                        "0",
                        "--web-ui-port",
                        "0",
                        "--search-port",
                        "0",
                        "--dashboard-port",
                        "0",
                        "--checkpoint-interval",
                        "1s"));
        args.addAll(List.of(extra));
        return args.toArray(String[]::new);
    }

    /** The audit, run by this test against the data directory's own Kafka log and lake. */
    private static AuditReport auditLake() throws Exception {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dataDir.resolve("kafka"));
                EmbeddedSchemaRegistry registry =
                        EmbeddedSchemaRegistry.start(dataDir.resolve("registry"), "127.0.0.1", 0);
                SchemaRegistryClient client =
                        new SchemaRegistryClient(SchemaRegistryConfig.of(registry.url()))) {
            Catalog lake = LocalLake.catalog(dataDir).loadCatalog();
            return LakeAudit.builder()
                    .kafka(broker.bootstrapServers())
                    .registry(client)
                    .lake(lake)
                    .build()
                    .run();
        }
    }

    private static Path largestStateFile(Path savepoint) throws IOException {
        try (Stream<Path> files = Files.list(savepoint)) {
            return files.filter(f -> !f.getFileName().toString().equals("_metadata"))
                    .max(Comparator.comparingLong(CrashRecoveryITCase::size))
                    .orElseThrow();
        }
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return 0;
        }
    }

    private static void truncate(Path file, long length) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(length);
        }
    }

    private static void overwriteMiddle(Path file) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            byte[] garbage = new byte[(int) Math.min(4096, raf.length() / 2)];
            java.util.Arrays.fill(garbage, (byte) 0x7f);
            raf.seek(raf.length() / 4);
            raf.write(garbage);
        }
    }

    private static void copyDirectory(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.list(from)) {
            for (Path file : files.toList()) {
                Files.copy(
                        file, to.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    private static void restore(Path backup, Path savepoint) throws IOException {
        copyDirectory(backup, savepoint);
    }
}
