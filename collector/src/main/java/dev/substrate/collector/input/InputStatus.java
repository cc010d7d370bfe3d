package dev.substrate.collector.input;

/**
 * What one input has done so far.
 *
 * @param name the input as the user named it ({@code nvidia-smi}, {@code file gpu.csv}, {@code dcgm
 *     http://n1:9400/metrics})
 * @param read readings read and handed to the buffer
 * @param errors lines that were not readings, failed scrapes, nvidia-smi restarts
 * @param lastError the latest of those errors, or null when there was none
 * @param finished true once the input reads nothing more: a file replay (without {@code --follow})
 *     read its last line, or the input was closed
 */
public record InputStatus(
        String name, long read, long errors, String lastError, boolean finished) {}
