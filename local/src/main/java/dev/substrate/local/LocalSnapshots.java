package dev.substrate.local;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import javax.annotation.Nullable;
import org.apache.flink.runtime.checkpoint.Checkpoints;
import org.apache.flink.util.FileUtils;

/**
 * The savepoints and retained checkpoints a local run keeps in its data directory, and the one the
 * next run resumes from: the newest of the last savepoint and every completed checkpoint, because
 * the lake already holds what the newest one committed and resuming from anything older would write
 * it again.
 *
 * <p>Newest means the highest checkpoint id: Flink continues the id sequence from the snapshot a
 * job restores, so ids grow along the chain of runs on one data directory, whatever the files'
 * times say (a copy resets them). Paths written here are relative to the data directory.
 *
 * <pre>
 *  savepoints/LATEST                  the last clean stop's savepoint, e.g. savepoints/savepoint-1a2b
 *  savepoints/savepoint-…/_metadata   savepoints (one after a clean stop; more after a crash)
 *  checkpoints/&lt;job&gt;/chk-N/_metadata  retained checkpoints of runs that did not stop cleanly
 * </pre>
 */
final class LocalSnapshots {

    static final String SAVEPOINTS = "savepoints";
    static final String CHECKPOINTS = "checkpoints";
    static final String LATEST = SAVEPOINTS + "/LATEST";
    private static final String METADATA = "_metadata";

    /** What kind of snapshot a run resumes from. */
    enum Kind {
        SAVEPOINT,
        CHECKPOINT
    }

    /**
     * One completed snapshot.
     *
     * @param id the checkpoint id (savepoints share the sequence)
     */
    record Snapshot(Kind kind, Path dir, long id) {

        /** The pointer Flink restores from. */
        String pointer() {
            return dir.toUri().toString();
        }

        String describe(Path dataDir) {
            return (kind == Kind.SAVEPOINT ? "savepoint " : "checkpoint ")
                    + dataDir.relativize(dir)
                    + " (checkpoint id "
                    + id
                    + ")";
        }
    }

    private final Path dataDir;

    LocalSnapshots(Path dataDir) {
        this.dataDir = dataDir.toAbsolutePath().normalize();
    }

    Path savepointDir() {
        return dataDir.resolve(SAVEPOINTS);
    }

    Path checkpointDir() {
        return dataDir.resolve(CHECKPOINTS);
    }

    /**
     * The snapshot the next run resumes from, checked whole; empty for a data directory without one
     * (a first run).
     *
     * @throws LocalRunException naming the snapshot and the fix, when the last savepoint is gone,
     *     or the newest snapshot is damaged or belongs to another directory
     */
    Optional<Snapshot> resumePoint() {
        Path latest = latestSavepoint();
        List<Snapshot> snapshots = completed();
        for (Path dir : children(savepointDir())) {
            if (Files.isRegularFile(dir.resolve(METADATA))
                    && !dir.equals(latest)
                    && snapshots.stream().noneMatch(s -> s.dir().equals(dir))) {
                // Flink writes _metadata whole or not at all: an unreadable one was damaged
                // later, and a damaged savepoint cannot be placed in the order of snapshots.
                requireWhole(new Snapshot(Kind.SAVEPOINT, dir, -1));
            }
        }
        if (latest != null && snapshots.stream().noneMatch(s -> s.dir().equals(latest))) {
            throw new LocalRunException(
                    LATEST
                            + " names the savepoint "
                            + dataDir.relativize(latest)
                            + (Files.isDirectory(latest)
                                    ? ", which is damaged: its _metadata cannot be read."
                                    : ", which does not exist (deleted or moved?).")
                            + " Resuming from anything older would write again what its run"
                            + " committed to the lake, and starting afresh would read every"
                            + " record again. "
                            + fixes());
        }
        Optional<Snapshot> newest = snapshots.stream().max(Comparator.comparingLong(Snapshot::id));
        newest.ifPresent(this::requireWhole);
        return newest;
    }

    /**
     * The snapshot at {@code path} (relative to the data directory, or absolute), checked whole,
     * for a user who chose it knowingly.
     */
    Snapshot chosen(String path) {
        Path dir = dataDir.resolve(path).toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) {
            throw new LocalRunException(
                    "--resume-from " + path + ": no such snapshot directory (" + dir + ").");
        }
        Snapshot snapshot =
                new Snapshot(
                        dir.getParent() != null && dir.startsWith(checkpointDir())
                                ? Kind.CHECKPOINT
                                : Kind.SAVEPOINT,
                        dir,
                        checkpointId(dir.resolve(METADATA)).orElse(-1L));
        requireWhole(snapshot);
        return snapshot;
    }

    private void requireWhole(Snapshot snapshot) {
        List<String> problems = SnapshotIntegrity.problems(snapshot.dir(), dataDir);
        if (!problems.isEmpty()) {
            throw new LocalRunException(
                    "Cannot resume from the newest "
                            + snapshot.describe(dataDir)
                            + ": "
                            + String.join("; ", problems)
                            + ". Substrate neither falls back to an older snapshot (that would"
                            + " write again what this one's run committed to the lake) nor starts"
                            + " afresh without a word. "
                            + fixes());
        }
    }

    private String fixes() {
        return "Fix: restore the damaged files from a backup; or start over with a new --data-dir"
                + " (this one stays readable); or, knowing that rows committed after it will be"
                + " written again, choose a snapshot with --resume-from <path> (the summary's"
                + " audit then names every repeated record).";
    }

    /** Remembers the savepoint of a clean stop, as a path relative to the data directory. */
    void recordSavepoint(String savepointPointer) {
        Path savepoint = Path.of(URI.create(savepointPointer)).toAbsolutePath().normalize();
        Path pointer = dataDir.resolve(LATEST);
        try {
            Files.createDirectories(pointer.getParent());
            Path temp = Files.createTempFile(pointer.getParent(), "LATEST", ".tmp");
            Files.writeString(
                    temp, dataDir.relativize(savepoint).toString(), StandardCharsets.UTF_8);
            Files.move(
                    temp,
                    pointer,
                    StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not write " + pointer, e);
        }
    }

    /**
     * After a clean stop with {@code keep} recorded as the last savepoint: every other savepoint,
     * complete or partial, and every checkpoint is stale (the next run resumes from {@code keep}).
     */
    void removeAllBut(String keepPointer) {
        Path keep = Path.of(URI.create(keepPointer)).toAbsolutePath().normalize();
        for (Path dir : children(savepointDir())) {
            if (Files.isDirectory(dir) && !dir.equals(keep)) {
                delete(dir);
            }
        }
        for (Path dir : children(checkpointDir())) {
            delete(dir);
        }
    }

    /** Savepoints that were never completed (a stop interrupted), which no run can resume from. */
    List<Path> partialSavepoints() {
        Path latest = latestSavepoint();
        List<Path> partial = new ArrayList<>();
        for (Path dir : children(savepointDir())) {
            if (Files.isDirectory(dir)
                    && !Files.exists(dir.resolve(METADATA))
                    && !dir.equals(latest)) {
                partial.add(dir);
            }
        }
        return partial;
    }

    void delete(Path dir) {
        try {
            FileUtils.deleteDirectory(dir.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("Could not delete " + dir, e);
        }
    }

    /** The savepoint {@code LATEST} names, or null without one. */
    @Nullable
    Path latestSavepoint() {
        Path pointer = dataDir.resolve(LATEST);
        if (!Files.exists(pointer)) {
            return null;
        }
        String named;
        try {
            named = Files.readString(pointer, StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            throw new UncheckedIOException("Could not read " + pointer, e);
        }
        if (named.isEmpty()) {
            return null;
        }
        // Data directories of earlier versions hold an absolute file: URI.
        Path savepoint =
                named.startsWith("file:")
                        ? Path.of(URI.create(named))
                        : dataDir.resolve(named).toAbsolutePath().normalize();
        if (!savepoint.startsWith(dataDir)) {
            throw new LocalRunException(
                    LATEST
                            + " names a savepoint outside this data directory ("
                            + savepoint
                            + "): the directory was copied from another place. Resuming from"
                            + " the original's savepoint would mix two lakes. Fix: write the"
                            + " savepoint's path relative to the data directory into "
                            + pointer
                            + " (e.g. "
                            + SAVEPOINTS
                            + "/"
                            + savepoint.getFileName()
                            + ").");
        }
        return savepoint;
    }

    /** Every snapshot with a readable {@code _metadata}: savepoints and checkpoints of all runs. */
    private List<Snapshot> completed() {
        List<Snapshot> snapshots = new ArrayList<>();
        for (Path dir : children(savepointDir())) {
            Path metadata = dir.resolve(METADATA);
            if (Files.isRegularFile(metadata)) {
                checkpointId(metadata)
                        .ifPresent(id -> snapshots.add(new Snapshot(Kind.SAVEPOINT, dir, id)));
            }
        }
        for (Path job : children(checkpointDir())) {
            for (Path dir : children(job)) {
                String name = dir.getFileName().toString();
                if (name.matches("chk-\\d+") && Files.isRegularFile(dir.resolve(METADATA))) {
                    long id = Long.parseLong(name.substring(4));
                    snapshots.add(new Snapshot(Kind.CHECKPOINT, dir, id));
                }
            }
        }
        return snapshots;
    }

    /** The id in a {@code _metadata} file, or empty when it cannot be read. */
    private static Optional<Long> checkpointId(Path metadata) {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(metadata))) {
            return Optional.of(
                    Checkpoints.loadCheckpointMetadata(
                                    new DataInputStream(in),
                                    LocalSnapshots.class.getClassLoader(),
                                    metadata.getParent().toUri().toString())
                            .getCheckpointId());
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static List<Path> children(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            List<Path> children = new ArrayList<>();
            entries.forEach(children::add);
            children.sort(Comparator.naturalOrder());
            return children;
        } catch (IOException e) {
            throw new UncheckedIOException("Could not list " + dir, e);
        }
    }
}
