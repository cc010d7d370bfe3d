package dev.substrate.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.embedded.kafka.EmbeddedKafkaBroker;
import dev.substrate.embedded.registry.EmbeddedSchemaRegistry;
import dev.substrate.jobs.SubstrateJob;
import dev.substrate.samples.SampleEventProducer;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.sinks.lake.LakeTables;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.flink.configuration.Configuration;
import org.apache.iceberg.catalog.Catalog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults on a real cluster: the standalone Flink cluster of {@code
 * deploy/standalone/flink-cluster.sh} (a JobManager and a TaskManager JVM from Maven jars) runs the
 * job jar, submitted through the REST API, against an embedded Kafka broker and registry in this
 * JVM and a JDBC (SQLite) lake. Between batches of sample events it {@code kill -9}s the
 * TaskManager and starts it again, restarts the Kafka broker, and stops the job with a savepoint
 * and resumes it from there (a start without it is refused: the lake holds the job's rows). Then
 * the audit finds every input record in the lake exactly once.
 */
class StandaloneClusterFaultsITCase {

    private static final Duration WAIT = Duration.ofMinutes(3);
    private static final long EVENTS_PER_BATCH = 800;
    private static final Pattern STATE = Pattern.compile("\"state\"\\s*:\\s*\"([A-Z_]+)\"");
    private static final Pattern COMPLETED =
            Pattern.compile("\"counts\"\\s*:\\s*\\{[^}]*\"completed\"\\s*:\\s*(\\d+)");

    @TempDir Path dir;

    private final HttpClient http = HttpClient.newHttpClient();
    private Path home;
    private Map<String, String> clusterEnv;
    private String rest;

    @AfterEach
    void stopCluster() throws Exception {
        if (clusterEnv != null) {
            cluster("stop");
        }
    }

    @Test
    void theJobSurvivesATaskManagerKillABrokerRestartAndASavepointResumeWithEveryRecordOnce()
            throws Exception {
        int kafkaPort = freePort();
        Path kafkaDir = dir.resolve("kafka");
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(kafkaDir, kafkaPort);
        try (EmbeddedSchemaRegistry registry =
                        EmbeddedSchemaRegistry.start(dir.resolve("registry"), "127.0.0.1", 0);
                SchemaRegistryClient client =
                        new SchemaRegistryClient(SchemaRegistryConfig.of(registry.url()))) {
            Map<String, String> lake = LocalLake.options(dir);
            List<String> jobArgs = new ArrayList<>();
            lake.forEach((key, value) -> jobArgs.addAll(List.of("--" + key, value)));
            Path piiKey = dir.resolve("pii.key");
            byte[] key = new byte[48];
            new SecureRandom().nextBytes(key);
            Files.writeString(piiKey, Base64.getEncoder().encodeToString(key));
            jobArgs.addAll(
                    List.of(
                            "--kafka.bootstrap-servers",
                            broker.bootstrapServers(),
                            "--registry.url",
                            registry.url(),
                            "--pii.key-file",
                            piiKey.toString(),
                            "--checkpoint.interval",
                            "2 s",
                            "--lake.maintenance.enabled",
                            "false"));
            Map<String, Integer> topics = new HashMap<>();
            SubstrateJob.topics(Configuration.fromMap(Map.of()))
                    .forEach(topic -> topics.put(topic, 2));
            broker.createTopics(topics);

            startCluster();
            String job = submit(jobArgs, null);
            awaitRunningWithNewCheckpoint(job, 0);

            SampleEventProducer producer =
                    new SampleEventProducer(
                            broker.bootstrapServers(),
                            client,
                            7,
                            0.01,
                            Instant.now()
                                    .minus(Duration.ofHours(6))
                                    .truncatedTo(ChronoUnit.MINUTES));
            try {
                producer.send(EVENTS_PER_BATCH);
                awaitLakeRows(1);

                // 1. kill -9 the TaskManager, then start it again: the job restarts from its
                // latest checkpoint on the new one.
                long tm = Long.parseLong(Files.readString(home.resolve("taskmanager.pid")).trim());
                ProcessHandle.of(tm).ifPresent(ProcessHandle::destroyForcibly);
                awaitGone(tm);
                producer.send(EVENTS_PER_BATCH);
                cluster("start-taskmanager");
                awaitRunningWithNewCheckpoint(job, completedCheckpoints(job));

                // 2. the Kafka broker goes away and comes back on the same port, with its data
                broker.close();
                Thread.sleep(3_000);
                broker = EmbeddedKafkaBroker.start(kafkaDir, kafkaPort);
                producer.send(EVENTS_PER_BATCH);
                awaitRunningWithNewCheckpoint(job, completedCheckpoints(job));

                // 3. stop with a savepoint; a start without it is refused; resume from it
                String savepoint = stopWithSavepoint(job);
                ClusterResult refused = clusterResult(submitArgs(jobArgs, null));
                assertThat(refused.exitCode()).as(refused.output()).isNotZero();
                assertThat(refused.output())
                        .contains("The lake already holds rows a Substrate job committed")
                        .contains("resume.allow-fresh-start");
                producer.send(EVENTS_PER_BATCH);
                job = submit(jobArgs, savepoint);
                awaitRunningWithNewCheckpoint(job, 0);
                producer.send(EVENTS_PER_BATCH);
            } finally {
                producer.close();
            }

            AuditReport audit = awaitCleanAudit(broker.bootstrapServers(), client);
            assertThat(audit.missingExamples()).isEmpty();
            assertThat(audit.repeatedExamples()).isEmpty();
            assertThat(audit.inputRecords()).isGreaterThanOrEqualTo(5 * EVENTS_PER_BATCH);
            stopWithSavepoint(job);
        } finally {
            broker.close();
        }
    }

    private void startCluster() throws Exception {
        // Kept between runs in target/: lib/ (the cluster's jars) is only rebuilt when the poms
        // change; everything else starts afresh.
        home = Path.of("target", "standalone-cluster").toAbsolutePath();
        Files.createDirectories(home);
        try (Stream<Path> old = Files.list(home)) {
            for (Path path : old.filter(p -> !p.getFileName().toString().equals("lib")).toList()) {
                deleteTree(path);
            }
        }
        Path jar = jobJar();
        Files.copy(jar, home.resolve("substrate-job.jar"), StandardCopyOption.REPLACE_EXISTING);
        int restPort = freePort();
        rest = "http://127.0.0.1:" + restPort;
        clusterEnv = new LinkedHashMap<>();
        clusterEnv.put("SUBSTRATE_CLUSTER_HOME", home.toString());
        clusterEnv.put("SUBSTRATE_FLINK_REST_PORT", String.valueOf(restPort));
        clusterEnv.put("SUBSTRATE_FLINK_RPC_PORT", String.valueOf(freePort()));
        clusterEnv.put("SUBSTRATE_FLINK_JM_MEMORY", "1g");
        clusterEnv.put("SUBSTRATE_FLINK_TM_MEMORY", "2560m");
        clusterEnv.put("SUBSTRATE_JOB_JAR", home.resolve("substrate-job.jar").toString());
        cluster("start");
    }

    private static Path jobJar() throws IOException {
        try (Stream<Path> jars = Files.list(Path.of("..", "jobs", "target"))) {
            return jars.filter(p -> p.getFileName().toString().endsWith("-job.jar"))
                    .findFirst()
                    .orElseThrow(
                            () ->
                                    new AssertionError(
                                            "no job jar in jobs/target: build it with mvn install"
                                                    + " -DskipTests"))
                    .toAbsolutePath();
        }
    }

    private String submit(List<String> jobArgs, String savepoint) throws Exception {
        String output = cluster(submitArgs(jobArgs, savepoint));
        String[] lines = output.trim().split("\n");
        String job = lines[lines.length - 1].trim();
        assertThat(job).as(output).matches("[0-9a-f]{32}");
        return job;
    }

    private static String[] submitArgs(List<String> jobArgs, String savepoint) {
        List<String> args = new ArrayList<>(List.of("submit"));
        if (savepoint != null) {
            args.addAll(List.of("--from-savepoint", savepoint));
        }
        args.addAll(jobArgs);
        return args.toArray(String[]::new);
    }

    private String stopWithSavepoint(String job) throws Exception {
        Matcher m = Pattern.compile("savepoint (\\S+)").matcher(cluster("stop-job", job));
        assertThat(m.find()).isTrue();
        return m.group(1);
    }

    private void awaitRunningWithNewCheckpoint(String job, long completedBefore) throws Exception {
        long giveUp = System.nanoTime() + WAIT.toNanos();
        while (true) {
            String state = match(STATE, get("/jobs/" + job));
            if ("RUNNING".equals(state) && completedCheckpoints(job) > completedBefore) {
                return;
            }
            if ("FAILED".equals(state) || "CANCELED".equals(state)) {
                throw new AssertionError(
                        "job " + job + " is " + state + ": " + get("/jobs/" + job + "/exceptions"));
            }
            if (System.nanoTime() > giveUp) {
                throw new AssertionError(
                        "job "
                                + job
                                + " not RUNNING with a new checkpoint after "
                                + WAIT
                                + " (state "
                                + state
                                + ")");
            }
            Thread.sleep(1_000);
        }
    }

    private long completedCheckpoints(String job) throws Exception {
        String count = match(COMPLETED, get("/jobs/" + job + "/checkpoints"));
        return count == null ? 0 : Long.parseLong(count);
    }

    private void awaitLakeRows(long atLeast) throws Exception {
        long giveUp = System.nanoTime() + WAIT.toNanos();
        while (true) {
            Catalog catalog = LocalLake.catalog(dir).loadCatalog();
            try {
                long rows =
                        new LakeProgress(catalog)
                                .rowsPerTable().values().stream().mapToLong(Long::longValue).sum();
                if (rows >= atLeast) {
                    return;
                }
            } finally {
                LakeTables.close(catalog);
            }
            assertThat(System.nanoTime()).as("rows in the lake in time").isLessThan(giveUp);
            Thread.sleep(1_000);
        }
    }

    /** Audits until every record is in the lake once (commits follow checkpoints), or gives up. */
    private AuditReport awaitCleanAudit(String bootstrapServers, SchemaRegistryClient registry)
            throws Exception {
        long giveUp = System.nanoTime() + WAIT.toNanos();
        while (true) {
            Catalog catalog = LocalLake.catalog(dir).loadCatalog();
            AuditReport audit;
            try {
                audit =
                        LakeAudit.builder()
                                .kafka(bootstrapServers)
                                .registry(registry)
                                .lake(catalog)
                                .build()
                                .run();
            } finally {
                LakeTables.close(catalog);
            }
            if (audit.clean() || audit.repeated() > 0 || System.nanoTime() > giveUp) {
                return audit;
            }
            Thread.sleep(2_000);
        }
    }

    private static void awaitGone(long pid) throws InterruptedException {
        for (int i = 0;
                i < 300 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
                i++) {
            Thread.sleep(100);
        }
    }

    private String get(String path) throws Exception {
        HttpResponse<String> response =
                http.send(
                        HttpRequest.newBuilder(URI.create(rest + path))
                                .timeout(Duration.ofSeconds(10))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        return response.body();
    }

    private static String match(Pattern pattern, String text) {
        Matcher m = pattern.matcher(text);
        return m.find() ? m.group(1) : null;
    }

    private record ClusterResult(int exitCode, String output) {}

    private String cluster(String... args) throws Exception {
        ClusterResult result = clusterResult(args);
        assertThat(result.exitCode())
                .as("flink-cluster.sh %s printed:%n%s", String.join(" ", args), result.output())
                .isZero();
        return result.output();
    }

    private ClusterResult clusterResult(String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add("bash");
        command.add(Path.of("..", "deploy", "standalone", "flink-cluster.sh").toString());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(clusterEnv);
        Path out = Files.createTempFile(dir, "cluster-", ".out");
        builder.redirectOutput(out.toFile());
        Process process = builder.start();
        if (!process.waitFor(5, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new AssertionError("flink-cluster.sh " + String.join(" ", args) + " hangs");
        }
        return new ClusterResult(
                process.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
