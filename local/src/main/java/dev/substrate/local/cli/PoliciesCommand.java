package dev.substrate.local.cli;

import picocli.CommandLine.Command;

/** {@code substrate policies}: tools for the policy file. */
@Command(
        name = "policies",
        mixinStandardHelpOptions = true,
        description = "Works with policy files: backtest one over the lake's history.",
        subcommands = {PolicyBacktestCommand.class})
public final class PoliciesCommand {}
