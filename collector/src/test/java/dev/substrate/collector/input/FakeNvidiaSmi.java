package dev.substrate.collector.input;

import dev.substrate.sources.telemetry.NvidiaSmiCsvParser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * Installs {@code fake-nvidia-smi.sh} (test resources) as an executable {@code nvidia-smi} in a
 * folder: it prints a trace as nvidia-smi {@code -lms} does and, if asked, dies every few readings.
 */
public final class FakeNvidiaSmi {

    private FakeNvidiaSmi() {}

    /**
     * Writes {@code dir/nvidia-smi}, printing {@code traceLines} (header first).
     *
     * @param dieAfter readings a run prints before it exits with code 1; 0 never dies
     * @return the executable's path
     */
    public static Path install(Path dir, List<String> traceLines, int dieAfter) throws IOException {
        Path script = dir.resolve("fake-nvidia-smi.sh");
        try (InputStream in = FakeNvidiaSmi.class.getResourceAsStream("/fake-nvidia-smi.sh")) {
            Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
        }
        Path trace = Files.write(dir.resolve("trace.csv"), traceLines);
        Path binary = dir.resolve("nvidia-smi");
        Files.writeString(
                binary,
                "#!/bin/sh\n"
                        + "export FAKE_NVIDIA_SMI_TRACE='"
                        + trace
                        + "'\nexport FAKE_NVIDIA_SMI_QUERY='"
                        + NvidiaSmiCsvParser.queryGpuArgument()
                        + "'\nexport FAKE_NVIDIA_SMI_STATE='"
                        + dir.resolve("next-line")
                        + "'\nexport FAKE_NVIDIA_SMI_DIE_AFTER="
                        + dieAfter
                        + "\nexec /bin/sh '"
                        + script
                        + "' \"$@\"\n");
        Files.setPosixFilePermissions(binary, PosixFilePermissions.fromString("rwxr-xr-x"));
        return binary;
    }
}
