package dev.substrate.local.cli;

import dev.substrate.events.DeadLetterReason;
import dev.substrate.local.deadletters.DeadLetterReplayer;
import dev.substrate.local.deadletters.ReplayException;
import dev.substrate.local.deadletters.ReplayReport;
import dev.substrate.local.deadletters.ReplaySelection;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code substrate dead-letters replay}: re-produces dead letters to their source topics once the
 * cause is fixed ({@link DeadLetterReplayer}).
 */
@Command(
        name = "replay",
        mixinStandardHelpOptions = true,
        description = {
            "Re-produces dead letters of one reason (and rule) to the topic, partition, key, value"
                    + " and headers they came from, each with header substrate.replay-of naming the"
                    + " record it replays, so the running job ingests them like new: not late, not"
                    + " duplicates. Fix the cause first (register the schema, change the rule).",
            "Safe to run again: dead letters already replayed are found in the source topic and"
                    + " skipped. Reads the dead-letter topic from the start with its own consumer;"
                    + " the job's consumer group is untouched. Prints what it replayed per reason"
                    + " and rule."
        })
public final class DeadLetterReplayCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(
            names = "--reason",
            required = true,
            description = "The dead letters' reason: ${COMPLETION-CANDIDATES}.")
    DeadLetterReason reason;

    @Option(
            names = "--rule",
            description =
                    "Only dead letters of this quality rule (with --reason QUALITY_RULE_FAILED).")
    String rule;

    @Option(
            names = "--since",
            converter = SinceConverter.class,
            description =
                    "Only dead letters dead-lettered at or after this time: an instant"
                            + " (2026-11-27T10:00:00Z), a UTC day (2026-11-27) or a duration ago"
                            + " (2h, 90min).")
    Instant since;

    @Option(
            names = "--kafka",
            defaultValue = "${env:SUBSTRATE_KAFKA_BOOTSTRAP_SERVERS:-127.0.0.1:9092}",
            description = "Kafka bootstrap servers (default: ${DEFAULT-VALUE}).")
    String kafka;

    @Option(
            names = "--registry",
            defaultValue = "${env:SUBSTRATE_REGISTRY_URL:-http://127.0.0.1:8085}",
            description =
                    "Schema registry URL (default: ${DEFAULT-VALUE}); credentials from"
                            + " SUBSTRATE_REGISTRY_BASIC_AUTH or SUBSTRATE_REGISTRY_BEARER_TOKEN.")
    String registry;

    @Option(
            names = "--dead-letters-topic",
            defaultValue = "${env:SUBSTRATE_DEAD_LETTERS_TOPIC:-substrate.dead-letters}",
            description = "The dead-letter topic (default: ${DEFAULT-VALUE}).")
    String deadLetterTopic;

    @Option(
            names = "--timeout",
            defaultValue = "30s",
            converter = DurationConverter.class,
            description =
                    "How long Kafka may keep silent before the replay gives up (default:"
                            + " ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(names = "--dry-run", description = "Show what would be replayed; produce nothing.")
    boolean dryRun;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ReplaySelection selection;
        try {
            selection = new ReplaySelection(reason, rule, since);
        } catch (IllegalArgumentException e) {
            err.println("substrate dead-letters replay: " + e.getMessage());
            return 2;
        }
        out.printf(
                "%s dead letters in %s at %s (%s)...%n",
                dryRun ? "Looking for" : "Replaying", deadLetterTopic, kafka, selection.describe());
        out.flush();
        try {
            ReplayReport report =
                    DeadLetterReplayer.builder()
                            .bootstrapServers(kafka)
                            .registry(SchemaRegistryConfig.fromEnvironment(registry))
                            .deadLetterTopic(deadLetterTopic)
                            .selection(selection)
                            .dryRun(dryRun)
                            .timeout(timeout)
                            .build()
                            .run();
            report.print(out);
            return 0;
        } catch (ReplayException | IllegalArgumentException e) {
            err.println("substrate dead-letters replay: " + e.getMessage());
            return 1;
        }
    }
}
