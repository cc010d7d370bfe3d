package dev.substrate.testkit;

import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;

/**
 * The Flink MiniCluster every module's {@code *ITCase}s run on: one TaskManager with two slots, so
 * jobs run at parallelism 2, as the house rules ask of integration tests.
 *
 * <pre>{@code
 * @RegisterExtension static final MiniClusterExtension FLINK = MiniClusters.twoSlots();
 * }</pre>
 */
public final class MiniClusters {

    /** Slots of the one TaskManager: the parallelism the ITCases run at. */
    public static final int SLOTS = 2;

    private MiniClusters() {}

    public static MiniClusterExtension twoSlots() {
        return new MiniClusterExtension(
                new MiniClusterResourceConfiguration.Builder()
                        .setNumberTaskManagers(1)
                        .setNumberSlotsPerTaskManager(SLOTS)
                        .build());
    }
}
