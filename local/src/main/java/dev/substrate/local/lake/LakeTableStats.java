package dev.substrate.local.lake;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.Table;
import org.apache.iceberg.io.CloseableIterable;

/**
 * How large a lake table's metadata has grown: what maintenance keeps bounded.
 *
 * @param snapshots snapshots the table keeps (time travel reaches each)
 * @param dataFiles data files of the current snapshot
 * @param maxFilesPerPartition data files of the current snapshot's fullest partition
 * @param rows rows of the current snapshot
 */
public record LakeTableStats(int snapshots, int dataFiles, int maxFilesPerPartition, long rows) {

    public static LakeTableStats of(Table table) {
        table.refresh();
        int snapshots = 0;
        for (var ignored : table.snapshots()) {
            snapshots++;
        }
        if (table.currentSnapshot() == null) {
            return new LakeTableStats(snapshots, 0, 0, 0);
        }
        Map<String, Integer> perPartition = new HashMap<>();
        int files = 0;
        long rows = 0;
        try (CloseableIterable<FileScanTask> tasks = table.newScan().planFiles()) {
            for (FileScanTask task : tasks) {
                files++;
                rows += task.file().recordCount();
                perPartition.merge(
                        task.spec().partitionToPath(task.file().partition()), 1, Integer::sum);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Could not plan lake table " + table.name(), e);
        }
        int max = perPartition.values().stream().mapToInt(Integer::intValue).max().orElse(0);
        return new LakeTableStats(snapshots, files, max, rows);
    }

    @Override
    public String toString() {
        return String.format(
                "%,d rows, %,d snapshots, %,d data files (at most %,d in a partition)",
                rows, snapshots, dataFiles, maxFilesPerPartition);
    }
}
