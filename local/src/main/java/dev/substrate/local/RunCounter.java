package dev.substrate.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Counts the runs started on a data directory, crashed ones included, so that each run's sample
 * producer gets a seed no earlier run had and never issues an event id a second time.
 */
final class RunCounter {

    static final String FILE = "runs";

    private RunCounter() {}

    /**
     * Counts one more run, durably before anything is produced, and returns its number (1, 2, …).
     */
    static long next(Path dataDir) {
        Path file = dataDir.resolve(FILE);
        try {
            long previous = 0;
            if (Files.exists(file)) {
                String text = Files.readString(file, StandardCharsets.UTF_8).trim();
                try {
                    previous = Long.parseLong(text);
                } catch (NumberFormatException e) {
                    throw new LocalRunException(
                            file
                                    + " should hold the number of runs so far but holds '"
                                    + text
                                    + "'. Fix: write the number back (any number larger than"
                                    + " the runs so far will do), or start over with a new"
                                    + " --data-dir.");
                }
            }
            long run = previous + 1;
            Path temp = Files.createTempFile(dataDir, FILE, ".tmp");
            Files.writeString(temp, Long.toString(run), StandardCharsets.UTF_8);
            Files.move(
                    temp,
                    file,
                    StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
            return run;
        } catch (IOException e) {
            throw new UncheckedIOException("Could not count the run in " + file, e);
        }
    }

    /**
     * The sample seed of run {@code run}: the user's seed for the first, so a fresh directory is
     * reproducible, and a different one for every later run.
     */
    static long seed(long userSeed, long run) {
        return run == 1 ? userSeed : userSeed * 1_000_003L + run;
    }
}
