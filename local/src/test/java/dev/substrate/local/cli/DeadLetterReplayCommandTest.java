package dev.substrate.local.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.jobs.config.SubstrateOptions;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class DeadLetterReplayCommandTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @Test
    void defaultsAreTheJobsOwn() {
        CommandLine cli = cli();
        cli.parseArgs("dead-letters", "replay", "--reason", "UNKNOWN_SCHEMA_ID");
        DeadLetterReplayCommand replay =
                cli.getSubcommands()
                        .get("dead-letters")
                        .getSubcommands()
                        .get("replay")
                        .getCommand();

        assertThat(replay.kafka).isEqualTo(SubstrateOptions.KAFKA_BOOTSTRAP_SERVERS.defaultValue());
        assertThat(replay.registry).isEqualTo(SubstrateOptions.REGISTRY_URL.defaultValue());
        assertThat(replay.deadLetterTopic)
                .isEqualTo(SubstrateOptions.DEAD_LETTER_TOPIC.defaultValue());
        assertThat(replay.dryRun).isFalse();
    }

    @Test
    void aSelectionThatMeansNothingIsRefusedBeforeAnythingIsRead() {
        assertThat(run("--reason", "TOMBSTONE")).isEqualTo(2);
        assertThat(err.toString()).contains("Tombstones cannot be replayed");

        assertThat(run("--reason", "UNKNOWN_SCHEMA_ID", "--rule", "r")).isEqualTo(2);
        assertThat(err.toString()).contains("use it with --reason QUALITY_RULE_FAILED");

        assertThat(run("--reason", "NO_SUCH_REASON")).isEqualTo(2);
        assertThat(err.toString()).contains("QUALITY_RULE_FAILED");
    }

    @Test
    void anUnreachableKafkaIsNamedWithTheFix() {
        int code =
                run(
                        "--reason",
                        "UNKNOWN_SCHEMA_ID",
                        "--kafka",
                        "127.0.0.1:1",
                        "--registry",
                        "http://127.0.0.1:1",
                        "--timeout",
                        "2s");

        assertThat(code).isEqualTo(1);
        assertThat(err.toString()).contains("Kafka at 127.0.0.1:1").contains("Is it up");
    }

    private int run(String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "dead-letters";
        all[1] = "replay";
        System.arraycopy(args, 0, all, 2, args.length);
        return cli().execute(all);
    }

    private CommandLine cli() {
        CommandLine cli = new CommandLine(new SubstrateCli());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli;
    }
}
