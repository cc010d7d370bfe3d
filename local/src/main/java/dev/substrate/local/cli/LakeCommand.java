package dev.substrate.local.cli;

import picocli.CommandLine.Command;

/** {@code substrate lake}: tools for the lake of a data directory. */
@Command(
        name = "lake",
        mixinStandardHelpOptions = true,
        description =
                "Works with the lake of a data directory: maintain its tables now, or show how"
                        + " large they have grown.",
        subcommands = {LakeMaintainCommand.class, LakeStatsCommand.class})
public final class LakeCommand {}
