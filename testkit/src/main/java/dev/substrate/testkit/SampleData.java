package dev.substrate.testkit;

import java.nio.file.Files;
import java.nio.file.Path;

/** The project's {@code sample-data/} files, found from any module's working directory. */
public final class SampleData {

    /** The real nvidia-smi trace of an H100 80GB under load (709 readings at 250 ms). */
    public static final String H100_TRACE = "nvidia-smi-h100-2026-11-26.csv";

    private SampleData() {}

    /** {@code sample-data/<name>} in the working directory or the nearest parent that has it. */
    public static Path file(String name) {
        Path start = Path.of("").toAbsolutePath();
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("sample-data").resolve(name);
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("No sample-data/" + name + " in " + start + " or above");
    }

    /** The real H100 trace. */
    public static Path h100Trace() {
        return file(H100_TRACE);
    }
}
