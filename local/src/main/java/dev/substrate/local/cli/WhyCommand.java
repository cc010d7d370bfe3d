package dev.substrate.local.cli;

import dev.substrate.local.scheduling.RequestExplanation;
import dev.substrate.sinks.lake.LakeCatalogConfig;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.apache.iceberg.catalog.Catalog;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code substrate why <request-id>}: why a request is pending, was preempted or rejected, or runs
 * where it runs, from the decisions recorded in the lake ({@link RequestExplanation}).
 */
@Command(
        name = "why",
        mixinStandardHelpOptions = true,
        description = {
            "Explains a scheduling request from the scheduling_decisions table: where it stands"
                    + " (running, pending, preempted, rejected, ended) and the reason the scheduler"
                    + " recorded, with the tenant's quota and usage and the best nodes it weighed,"
                    + " then every decision about it in order. Reads the lake through Iceberg; the"
                    + " job may be running or not.",
            "Exit code 0 when the request has decisions, 1 when it has none."
        })
public final class WhyCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "<request-id>", description = "The request's id.")
    String requestId;

    @Option(
            names = "--data-dir",
            defaultValue = ".substrate",
            description =
                    "The local run's data directory, whose warehouse/ holds the lake (default:"
                            + " ${DEFAULT-VALUE}).")
    Path dataDir;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Path warehouse = dataDir.resolve("warehouse");
        if (!Files.isDirectory(warehouse)) {
            err.printf(
                    "substrate why: no lake at %s. Pass the data directory of a local run with"
                            + " --data-dir, or run ./substrate local first.%n",
                    warehouse.toAbsolutePath());
            return 2;
        }
        Catalog catalog = LakeCatalogConfig.hadoop(warehouse).catalogLoader().loadCatalog();
        RequestExplanation explanation = RequestExplanation.read(catalog, requestId);
        explanation.print(out);
        out.flush();
        return explanation.found() ? 0 : 1;
    }
}
