package dev.substrate.local;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.flink.runtime.checkpoint.Checkpoints;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.apache.flink.runtime.state.AbstractChannelStateHandle;
import org.apache.flink.runtime.state.AbstractMergedChannelStateHandle;
import org.apache.flink.runtime.state.IncrementalKeyedStateHandle.HandleAndLocalPath;
import org.apache.flink.runtime.state.IncrementalRemoteKeyedStateHandle;
import org.apache.flink.runtime.state.KeyGroupsStateHandle;
import org.apache.flink.runtime.state.OperatorStreamStateHandle;
import org.apache.flink.runtime.state.StateObject;
import org.apache.flink.runtime.state.StreamStateHandle;
import org.apache.flink.runtime.state.filemerging.SegmentFileStateHandle;

/**
 * Checks a savepoint or checkpoint on the local disk before a run resumes from it: its {@code
 * _metadata} must load, and every state file it names must exist inside the data directory with at
 * least the bytes the metadata promises. A damaged snapshot found here is reported at once, by
 * name; found by Flink, it fails a restore task after task, in a restart loop.
 */
final class SnapshotIntegrity {

    private SnapshotIntegrity() {}

    /** What is wrong with a snapshot, in words; empty when it is whole. */
    static List<String> problems(Path snapshotDir, Path dataDir) {
        Path metadataFile = snapshotDir.resolve("_metadata");
        if (!Files.isRegularFile(metadataFile)) {
            return List.of("it has no _metadata file (it was never completed)");
        }
        CheckpointMetadata metadata;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(metadataFile))) {
            metadata =
                    Checkpoints.loadCheckpointMetadata(
                            new DataInputStream(in),
                            SnapshotIntegrity.class.getClassLoader(),
                            snapshotDir.toUri().toString());
        } catch (IOException | RuntimeException e) {
            return List.of(
                    "its _metadata cannot be read ("
                            + e.getClass().getSimpleName()
                            + (e.getMessage() == null ? "" : ": " + e.getMessage())
                            + ", "
                            + size(metadataFile)
                            + " bytes): it is truncated or damaged");
        }
        List<String> problems = new ArrayList<>();
        Path root = dataDir.toAbsolutePath().normalize();
        for (OperatorState operator : metadata.getOperatorStates()) {
            for (OperatorSubtaskState subtask : operator.getStates()) {
                for (StateObject handle : subtask.getDiscardables()) {
                    check(handle, root, problems);
                }
            }
        }
        return problems;
    }

    private static void check(StateObject handle, Path root, List<String> problems) {
        if (handle instanceof KeyGroupsStateHandle keyGroups) {
            check(keyGroups.getDelegateStateHandle(), root, problems);
        } else if (handle instanceof OperatorStreamStateHandle operator) {
            check(operator.getDelegateStateHandle(), root, problems);
        } else if (handle instanceof IncrementalRemoteKeyedStateHandle incremental) {
            check(incremental.getMetaDataStateHandle(), root, problems);
            for (HandleAndLocalPath file : incremental.getSharedState()) {
                check(file.getHandle(), root, problems);
            }
            for (HandleAndLocalPath file : incremental.getPrivateState()) {
                check(file.getHandle(), root, problems);
            }
        } else if (handle instanceof AbstractChannelStateHandle<?> channel) {
            check(channel.getDelegate(), root, problems);
        } else if (handle instanceof AbstractMergedChannelStateHandle<?, ?> merged) {
            check(merged.getDelegate(), root, problems);
        } else if (handle instanceof StreamStateHandle stream) {
            checkFile(stream, root, problems);
        }
        // Other handle kinds hold their bytes in the metadata itself: nothing on disk to check.
    }

    private static void checkFile(StreamStateHandle handle, Path root, List<String> problems) {
        Optional<org.apache.flink.core.fs.Path> flinkPath = handle.maybeGetPath();
        if (flinkPath.isEmpty()) {
            return;
        }
        Path file = Path.of(flinkPath.get().toUri()).toAbsolutePath().normalize();
        if (!file.startsWith(root)) {
            problems.add(
                    "it refers to state outside this data directory ("
                            + file
                            + "): the data directory was copied or moved after a run that"
                            + " did not stop cleanly, and Flink checkpoints hold absolute paths");
            return;
        }
        if (!Files.isRegularFile(file)) {
            problems.add("its state file " + root.relativize(file) + " is missing");
            return;
        }
        long start = handle instanceof SegmentFileStateHandle segment ? segment.getStartPos() : 0;
        long expected = start + handle.getStateSize();
        long actual = size(file);
        if (actual < expected) {
            problems.add(
                    "its state file "
                            + root.relativize(file)
                            + " has "
                            + actual
                            + " bytes where the metadata expects "
                            + expected
                            + ": it is truncated");
        }
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return -1;
        }
    }
}
