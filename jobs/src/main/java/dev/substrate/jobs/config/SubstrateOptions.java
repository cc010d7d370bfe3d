package dev.substrate.jobs.config;

import static org.apache.flink.configuration.ConfigOptions.key;

import dev.substrate.operators.pii.PiiMode;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.connector.base.DeliveryGuarantee;

/**
 * The options every Substrate job has (where Kafka, the registry and the lake are, checkpoints,
 * parallelism, Kafka output delivery) and those of the ingest stage, typed, documented and
 * defaulted; event time is set in {@link EventTimeOptions}, each later stage's options in its own
 * {@code *Options} class beside it.
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

    public static final ConfigOption<Duration> REGISTRY_OUTAGE_TIMEOUT =
            key("registry.outage-timeout")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(10))
                    .withDescription(
                            "How long a Kafka source waits, retrying with backoff, for a schema"
                                    + " registry it cannot reach (or that refuses its"
                                    + " credentials) before it fails the task with the registry's"
                                    + " URL and the schema id. The wait blocks the source's task"
                                    + " thread, so checkpoints and cancellation wait too: keep it"
                                    + " short and let Flink's restart strategy (exponential"
                                    + " back-off) wait longer, restarting from the last"
                                    + " checkpoint. A record is never dead-lettered for an"
                                    + " outage.");

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
                    .defaultValue(Duration.ofSeconds(30))
                    .withDescription(
                            "How often the job checkpoints; Iceberg commits happen on checkpoints,"
                                    + " so this is also how fresh the lake is. Every checkpoint"
                                    + " commits each table and closes its open files: shorter"
                                    + " means fresher tables but more small files and commits"
                                    + " (the local run uses 2 s). Alerts go to Kafka as they"
                                    + " happen, whatever this is.");

    public static final ConfigOption<String> JOB_NAME =
            key("job.name")
                    .stringType()
                    .defaultValue("substrate")
                    .withDescription(
                            "The job's name on the cluster; also the prefix of the Kafka"
                                    + " transactional ids of exactly-once outputs, so two jobs"
                                    + " writing the same topics need different names.");

    public static final ConfigOption<DeliveryGuarantee> KAFKA_OUTPUT_DELIVERY =
            key("kafka.outputs.delivery")
                    .enumType(DeliveryGuarantee.class)
                    .defaultValue(DeliveryGuarantee.AT_LEAST_ONCE)
                    .withDescription(
                            "How the Kafka outputs (telemetry windows, node health, anomalies,"
                                    + " capacity, dead letters) deliver. AT_LEAST_ONCE: each"
                                    + " record is sent as it is made, so alerts arrive within"
                                    + " milliseconds; a restart may send some again, with the"
                                    + " same id (header substrate.record-id). EXACTLY_ONCE:"
                                    + " Kafka transactions committed on checkpoints, so"
                                    + " read_committed consumers see each record once, a"
                                    + " checkpoint interval later. The lake is exactly-once"
                                    + " either way.");

    public static final ConfigOption<Integer> PARALLELISM =
            key("parallelism")
                    .intType()
                    .defaultValue(2)
                    .withDescription("Default parallelism of every operator.");

    public static final ConfigOption<Duration> ALLOWED_LATENESS =
            key("lateness.allowed")
                    .durationType()
                    .defaultValue(Duration.ofMinutes(1))
                    .withDescription(
                            "Records further behind the watermark than this go to the late_events"
                                    + " table (with how late they were) instead of their raw"
                                    + " table.");

    public static final ConfigOption<Duration> DEDUP_HORIZON =
            key("dedup.horizon")
                    .durationType()
                    .defaultValue(Duration.ofHours(1))
                    .withDescription(
                            "How long an event id is remembered (processing time, keyed state with"
                                    + " this TTL): a second record with the same id within it goes"
                                    + " to the duplicate_events table instead of the raw table.");

    public static final ConfigOption<PiiMode> PII_MODE =
            key("pii.mode")
                    .enumType(PiiMode.class)
                    .defaultValue(PiiMode.PRODUCTION)
                    .withDescription(
                            "PRODUCTION: the PII tokenization key must come from"
                                    + " SUBSTRATE_PII_KEY or a key file, or the job refuses to"
                                    + " start. LOCAL: without a key, a random one is generated into"
                                    + " pii.key-file and reused by later runs.");

    public static final ConfigOption<String> PII_KEY_FILE =
            key("pii.key-file")
                    .stringType()
                    .defaultValue("")
                    .withDescription(
                            "A file holding the PII tokenization key (also"
                                    + " SUBSTRATE_PII_KEY_FILE); in local mode the generated key"
                                    + " is written here. The key itself is never an option.");

    public static final ConfigOption<Duration> LAKE_SCHEMA_REFRESH =
            key("lake.schema-refresh")
                    .durationType()
                    .defaultValue(Duration.ofSeconds(30))
                    .withDescription(
                            "How often each raw-table writer reads its subject's newly"
                                    + " registered versions and its table's columns again (on a"
                                    + " thread of its own), so every writer adds a new version's"
                                    + " columns while the job runs. A record carrying a value in"
                                    + " a field that is not a column yet adds it at once.");

    public static final ConfigOption<Boolean> ALLOW_FRESH_START =
            key("resume.allow-fresh-start")
                    .booleanType()
                    .defaultValue(false)
                    .withDescription(
                            "Let a job start without a savepoint or checkpoint although the lake"
                                    + " already holds rows a Substrate job committed. Off: such a"
                                    + " start is refused (resume from the savepoint instead), since"
                                    + " it would read again from the group's committed offsets,"
                                    + " which can lag the lake, and write rows twice.");

    /** Where a source without checkpointed state begins reading. */
    public enum StartingOffsets {
        COMMITTED_OR_EARLIEST,
        EARLIEST,
        LATEST
    }

    /** The keys of every option above, for mapping environment variables onto them. */
    public static List<String> keys() {
        return keysOf(SubstrateOptions.class);
    }

    /** The keys of the public static {@link ConfigOption} fields of {@code holder}. */
    public static List<String> keysOf(Class<?> holder) {
        List<String> keys = new ArrayList<>();
        optionsOf(holder).forEach(option -> keys.add(option.key()));
        return keys;
    }

    /** The public static {@link ConfigOption} fields of {@code holder}. */
    public static List<ConfigOption<?>> optionsOf(Class<?> holder) {
        List<ConfigOption<?>> options = new ArrayList<>();
        for (Field field : holder.getFields()) {
            if (Modifier.isStatic(field.getModifiers()) && field.getType() == ConfigOption.class) {
                try {
                    options.add((ConfigOption<?>) field.get(null));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return options;
    }

    private SubstrateOptions() {}
}
