package dev.substrate.jobs.local;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.annotation.Nullable;

/**
 * Remembers the savepoint a local run stopped with, so the next run resumes from it: Kafka offsets
 * and operator state come back, and nothing is read twice or skipped.
 */
final class LastSavepoint {

    static final String FILE = "savepoints/LATEST";

    private LastSavepoint() {}

    /** The last run's savepoint, or null when there is none (or its files are gone). */
    @Nullable
    static String read(Path dataDir) throws IOException {
        Path pointer = dataDir.resolve(FILE);
        if (!Files.exists(pointer)) {
            return null;
        }
        String savepoint = Files.readString(pointer, StandardCharsets.UTF_8).trim();
        if (savepoint.isEmpty() || !Files.isDirectory(Path.of(URI.create(savepoint)))) {
            return null;
        }
        return savepoint;
    }

    static void write(Path dataDir, String savepoint) throws IOException {
        Path pointer = dataDir.resolve(FILE);
        Files.createDirectories(pointer.getParent());
        Path temp = Files.createTempFile(pointer.getParent(), "LATEST", ".tmp");
        Files.writeString(temp, savepoint, StandardCharsets.UTF_8);
        Files.move(
                temp,
                pointer,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
}
