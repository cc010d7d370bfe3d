package dev.substrate.jobs.config;

import static org.apache.flink.configuration.ConfigOptions.key;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.configuration.ConfigOption;

/**
 * Every option of a Substrate job, typed, documented and defaulted in one place.
 *
 * <p>Precedence: a command-line argument ({@code --kafka.bootstrap-servers host:9092}) wins over an
 * environment variable ({@code SUBSTRATE_KAFKA_BOOTSTRAP_SERVERS}), which wins over the Flink
 * configuration of the cluster, which wins over the default here. Secrets (registry credentials,
 * catalog tokens) are never options: they are read from the environment by the components that use
 * them and are never logged.
 */
public final class SubstrateOptions {

    public static final ConfigOption<String> KAFKA_BOOTSTRAP_SERVERS =
            key("kafka.bootstrap-servers")
                    .stringType()
                    .defaultValue("127.0.0.1:9092")
                    .withDescription("Kafka bootstrap servers the job reads from and writes to.");

    public static final ConfigOption<String> KAFKA_GROUP_ID =
            key("kafka.group-id")
                    .stringType()
                    .defaultValue("substrate-ingest")
                    .withDescription(
                            "Consumer group of the ingest sources; offsets are committed on"
                                    + " checkpoints, for monitoring only.");

    public static final ConfigOption<StartingOffsets> KAFKA_STARTING_OFFSETS =
            key("kafka.starting-offsets")
                    .enumType(StartingOffsets.class)
                    .defaultValue(StartingOffsets.COMMITTED_OR_EARLIEST)
                    .withDescription(
                            "Where a job without a checkpoint starts: the group's committed"
                                    + " offsets, else the earliest (nothing is skipped).");

    public static final ConfigOption<String> REGISTRY_URL =
            key("registry.url")
                    .stringType()
                    .defaultValue("http://127.0.0.1:8085")
                    .withDescription(
                            "Confluent-compatible schema registry URL. Credentials come from"
                                    + " SUBSTRATE_REGISTRY_BASIC_AUTH or"
                                    + " SUBSTRATE_REGISTRY_BEARER_TOKEN.");

    public static final ConfigOption<String> DEAD_LETTER_TOPIC =
            key("dead-letters.topic")
                    .stringType()
                    .defaultValue("substrate.dead-letters")
                    .withDescription(
                            "Kafka topic that receives every dead letter, as well as the"
                                    + " dead_letters table.");

    public static final ConfigOption<String> CATALOG_TYPE =
            key("catalog.type")
                    .stringType()
                    .defaultValue("hadoop")
                    .withDescription(
                            "Iceberg catalog: hadoop (a warehouse directory), jdbc or rest. Any"
                                    + " other catalog.* key is passed to the catalog.");

    public static final ConfigOption<String> CATALOG_WAREHOUSE =
            key("catalog.warehouse")
                    .stringType()
                    .defaultValue(".substrate/warehouse")
                    .withDescription(
                            "Iceberg warehouse location (a directory or an object-store URI).");

    public static final ConfigOption<Duration> CHECKPOINT_INTERVAL =
            key("checkpoint.interval")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(5))
                    .withDescription(
                            "How often the job checkpoints; Iceberg commits happen on checkpoints,"
                                    + " so this is also how fresh the lake is.");

    public static final ConfigOption<Integer> PARALLELISM =
            key("parallelism")
                    .intType()
                    .defaultValue(2)
                    .withDescription("Default parallelism of every operator.");

    /** Where a source without checkpointed state begins reading. */
    public enum StartingOffsets {
        COMMITTED_OR_EARLIEST,
        EARLIEST,
        LATEST
    }

    /** The keys of every option above, for mapping environment variables onto them. */
    public static List<String> keys() {
        List<String> keys = new ArrayList<>();
        for (Field field : SubstrateOptions.class.getFields()) {
            if (Modifier.isStatic(field.getModifiers()) && field.getType() == ConfigOption.class) {
                try {
                    keys.add(((ConfigOption<?>) field.get(null)).key());
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return keys;
    }

    private SubstrateOptions() {}
}
