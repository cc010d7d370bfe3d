package dev.substrate.local.cli;

import dev.substrate.local.scheduling.ReplayComparison;
import dev.substrate.local.scheduling.SchedulingReplay;
import dev.substrate.operators.scheduling.config.SchedulerConfig;
import dev.substrate.sinks.lake.LakeCatalogConfig;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.Callable;
import org.apache.iceberg.flink.CatalogLoader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code substrate replay --from T1 --to T2 --scheduler-config other.yaml}: history under another
 * scheduling policy ({@link SchedulingReplay}).
 */
@Command(
        name = "replay",
        mixinStandardHelpOptions = true,
        description = {
            "Runs the scheduler, bounded, over the lake's workload requests and fleet signals"
                    + " (readings, node health, cluster capacity) from --from to --to, under a"
                    + " quota file, and prints its decisions side by side with those recorded"
                    + " then: placed, queued, rejected, preempted, queue time, GPU-hours per"
                    + " tenant. Writes nothing to the lake.",
            "Starts from an empty scheduler at --from: with the job's own quota file and --from at"
                    + " or before the job's first request it reproduces the recorded decisions"
                    + " exactly. Exit code 0; with --expect-same, 3 when the decisions differ."
        })
public final class ReplayCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(
            names = "--from",
            required = true,
            converter = SinceConverter.class,
            description = "Start (event time): an instant, a UTC day or a duration ago.")
    Instant from;

    @Option(
            names = "--to",
            converter = SinceConverter.class,
            description = "End (event time, exclusive), as --from; default: now.")
    Instant to;

    @Option(
            names = "--scheduler-config",
            defaultValue = "",
            description =
                    "The quota file to replay under: a path or classpath:<resource>; default: the"
                            + " bundled "
                            + SchedulerConfig.DEFAULT_RESOURCE
                            + ".")
    String schedulerConfig;

    @Option(
            names = "--data-dir",
            defaultValue = ".substrate",
            description = "The local run's data directory (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(
            names = "--expect-same",
            description =
                    "Exit with 3 unless the replay took exactly the recorded decisions (for"
                            + " checking a quota file change is a no-op).")
    boolean expectSame;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Path warehouse = dataDir.resolve("warehouse");
        if (!Files.isDirectory(warehouse)) {
            err.printf(
                    "substrate replay: no lake at %s. Pass the data directory of a local run with"
                            + " --data-dir, or run ./substrate local first.%n",
                    warehouse.toAbsolutePath());
            return 2;
        }
        SchedulerConfig config;
        try {
            config = SchedulerConfig.load(schedulerConfig);
        } catch (RuntimeException e) {
            err.println("substrate replay: " + e.getMessage());
            return 2;
        }
        CatalogLoader catalog = LakeCatalogConfig.hadoop(warehouse).catalogLoader();
        ReplayComparison comparison;
        try {
            comparison =
                    new SchedulingReplay(catalog, from, to == null ? Instant.now() : to, config)
                            .run();
        } catch (IllegalArgumentException e) {
            err.println("substrate replay: " + e.getMessage());
            return 2;
        }
        comparison.print(out);
        out.flush();
        return expectSame && !comparison.reproduced() ? 3 : 0;
    }
}
