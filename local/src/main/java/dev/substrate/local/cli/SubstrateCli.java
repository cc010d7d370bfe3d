package dev.substrate.local.cli;

import dev.substrate.collector.CollectCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code substrate} command line: {@code substrate local} runs everything on this machine;
 * {@code substrate collect} publishes real GPU telemetry to Kafka; {@code substrate dead-letters
 * replay} re-produces dead letters once their cause is fixed; {@code substrate lake maintain}
 * maintains the lake's tables; {@code substrate search} searches the vector index the job writes;
 * {@code substrate why} explains a scheduling decision; {@code substrate replay} runs scheduling
 * history under another policy; {@code substrate policies backtest} tries a policy file on the
 * lake's history.
 */
@Command(
        name = "substrate",
        mixinStandardHelpOptions = true,
        version = "substrate 0.1.0",
        description = "The streaming control plane for AI infrastructure, on Apache Flink.",
        subcommands = {
            LocalCommand.class,
            ServicesCommand.class,
            DeadLettersCommand.class,
            LakeCommand.class,
            SearchCommand.class,
            WhyCommand.class,
            ReplayCommand.class,
            DashboardCommand.class,
            PoliciesCommand.class,
            CollectCommand.class,
            CommandLine.HelpCommand.class
        })
public final class SubstrateCli {

    public static void main(String[] args) {
        // Before any logger exists: the local run logs to a file, the terminal shows progress.
        if (System.getProperty("log4j2.configurationFile") == null) {
            System.setProperty("log4j2.configurationFile", "log4j2-local.xml");
        }
        System.exit(new CommandLine(new SubstrateCli()).execute(args));
    }
}
