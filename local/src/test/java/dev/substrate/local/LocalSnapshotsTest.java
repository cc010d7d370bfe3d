package dev.substrate.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where a local run resumes from, for the cases no real snapshot is needed to show: a fresh
 * directory, a savepoint pointer that leads nowhere or out of the directory, partial savepoints.
 */
class LocalSnapshotsTest {

    @TempDir Path dataDir;

    @Test
    void aFreshDirectoryHasNothingToResumeFrom() {
        assertThat(new LocalSnapshots(dataDir).resumePoint()).isEmpty();
    }

    @Test
    void aLastSavepointThatIsGoneIsAnErrorNotAFreshStart() throws Exception {
        latest("savepoints/savepoint-gone");

        assertThatThrownBy(() -> new LocalSnapshots(dataDir).resumePoint())
                .isInstanceOf(LocalRunException.class)
                .hasMessageContaining("savepoints/savepoint-gone")
                .hasMessageContaining("does not exist")
                .hasMessageContaining("--data-dir");
    }

    @Test
    void aPointerIntoAnotherDirectoryIsRefusedAsACopy() throws Exception {
        Path elsewhere = Files.createTempDirectory("original-data-dir");
        latest(elsewhere.resolve("savepoints/savepoint-1").toUri().toString());

        assertThatThrownBy(() -> new LocalSnapshots(dataDir).resumePoint())
                .isInstanceOf(LocalRunException.class)
                .hasMessageContaining("outside this data directory")
                .hasMessageContaining("copied");
    }

    @Test
    void savepointsAreRecordedRelativeToTheDataDirectory() throws Exception {
        Path savepoint = Files.createDirectories(dataDir.resolve("savepoints/savepoint-ab12"));
        LocalSnapshots snapshots = new LocalSnapshots(dataDir);

        snapshots.recordSavepoint(savepoint.toUri().toString());

        assertThat(Files.readString(dataDir.resolve(LocalSnapshots.LATEST), StandardCharsets.UTF_8))
                .isEqualTo("savepoints/savepoint-ab12");
        assertThat(snapshots.latestSavepoint()).isEqualTo(savepoint.toAbsolutePath().normalize());
    }

    @Test
    void aSavepointWithoutMetadataIsPartialAndRemovedAfterACleanStop() throws Exception {
        Path kept = Files.createDirectories(dataDir.resolve("savepoints/savepoint-kept"));
        Path partial = Files.createDirectories(dataDir.resolve("savepoints/savepoint-partial"));
        Path checkpoint = Files.createDirectories(dataDir.resolve("checkpoints/job-1/chk-3"));
        LocalSnapshots snapshots = new LocalSnapshots(dataDir);
        snapshots.recordSavepoint(kept.toUri().toString());

        assertThat(snapshots.partialSavepoints()).containsExactly(partial);
        snapshots.removeAllBut(kept.toUri().toString());

        assertThat(kept).exists();
        assertThat(partial).doesNotExist();
        assertThat(checkpoint.getParent()).doesNotExist();
    }

    private void latest(String content) throws Exception {
        Path pointer = dataDir.resolve(LocalSnapshots.LATEST);
        Files.createDirectories(pointer.getParent());
        Files.writeString(pointer, content, StandardCharsets.UTF_8);
    }
}
