package dev.substrate.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;

/**
 * The job jar holds what runs on a cluster and nothing else: no command line (picocli), no Kafka
 * broker, no registry server, no sample producers, no local runner, no test code, no Flink runtime
 * (the cluster provides it). Runs after {@code package}, on the jar a user submits.
 */
class JobJarITCase {

    /** Entry prefixes that belong to the local runtime or to the cluster, never to the job jar. */
    private static final List<String> FORBIDDEN =
            List.of(
                    "picocli/",
                    "kafka/server/",
                    "kafka/log/",
                    "org/apache/kafka/storage/",
                    "org/apache/kafka/coordinator/",
                    "org/apache/kafka/raft/",
                    "org/apache/kafka/controller/",
                    "org/apache/kafka/metadata/",
                    "dev/substrate/embedded/",
                    "dev/substrate/samples/",
                    "dev/substrate/local/",
                    "dev/substrate/testkit/",
                    "org/junit/",
                    "org/apache/flink/runtime/",
                    "org/apache/flink/streaming/api/environment/",
                    "log4j2-local.xml");

    @Test
    void theJobJarHoldsTheJobAndItsConnectorsButNoLocalRuntime() throws IOException {
        List<String> entries = entries(jobJar());

        assertThat(entries)
                .as("the job and what it needs on a cluster")
                .contains(
                        "dev/substrate/jobs/SubstrateJob.class",
                        "dev/substrate/sources/kafka/EventKafkaSource.class",
                        "org/apache/flink/connector/kafka/source/KafkaSource.class",
                        "org/apache/iceberg/flink/sink/dynamic/DynamicIcebergSink.class");
        for (String prefix : FORBIDDEN) {
            assertThat(entries).as("entries under " + prefix).noneMatch(e -> e.startsWith(prefix));
        }
    }

    private static Path jobJar() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("target"))) {
            return files.filter(f -> f.getFileName().toString().endsWith("-job.jar"))
                    .findFirst()
                    .orElseThrow(
                            () ->
                                    new AssertionError(
                                            "no target/*-job.jar: the ITCase runs after package"));
        }
    }

    private static List<String> entries(Path jar) throws IOException {
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            return zip.stream().map(ZipEntry::getName).toList();
        }
    }
}
