package dev.substrate.local.cli;

import picocli.CommandLine.Command;

/** {@code substrate dead-letters}: tools for the dead-letter topic. */
@Command(
        name = "dead-letters",
        mixinStandardHelpOptions = true,
        description =
                "Works with the dead-letter topic: replay dead letters once their cause is fixed.",
        subcommands = {DeadLetterReplayCommand.class})
public final class DeadLettersCommand {}
