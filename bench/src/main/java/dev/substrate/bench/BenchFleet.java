package dev.substrate.bench;

import dev.substrate.events.GpuSample;
import dev.substrate.sources.telemetry.GpuSampleIds;
import java.time.Instant;

/**
 * The synthetic fleet of the scheduling benchmarks: {@code nodes} nodes of {@value #GPUS_PER_NODE}
 * H100-80GB GPUs, node {@code n} in cluster {@code c<n mod 40>} (fewer clusters for a smaller
 * fleet) and each cluster in one of 4 regions; GPU utilization and power differ between nodes so
 * that placement scores differ, temperatures stay far below any health threshold.
 */
final class BenchFleet {

    static final String H100 = "H100-80GB";
    static final int GPUS_PER_NODE = 8;

    private final int nodes;
    private final int clusters;

    BenchFleet(int nodes) {
        this.nodes = nodes;
        this.clusters = Math.min(40, nodes);
    }

    int nodes() {
        return nodes;
    }

    int gpus() {
        return nodes * GPUS_PER_NODE;
    }

    String region(int n) {
        return "region-" + (n % clusters % 4);
    }

    String cluster(int n) {
        return "c" + (n % clusters);
    }

    String node(int n) {
        return cluster(n) + "-n" + n;
    }

    /** A reading of GPU {@code gpu} of node {@code n} taken at {@code at}. */
    GpuSample reading(int n, int gpu, Instant at) {
        String node = node(n);
        String uuid = "GPU-" + node + "-" + gpu;
        return GpuSample.newBuilder()
                .setEventId(GpuSampleIds.eventId(uuid, at))
                .setTimestamp(at)
                .setRegion(region(n))
                .setCluster(cluster(n))
                .setNode(node)
                .setGpuUuid(uuid)
                .setGpuIndex(gpu)
                .setModel(H100)
                .setUtilizationPct((n * 31 + gpu * 7) % 100)
                .setMemoryUtilizationPct(0.0)
                .setMemoryUsedMib(200L)
                .setMemoryTotalMib(81_559L)
                .setTemperatureC(35.0)
                .setPowerDrawW(80.0 + (n % 50) * 10)
                .setSmClockMhz(345)
                .setMemoryClockMhz(2_619)
                .setClockEventReasons(0x0L)
                .setEccCorrected(0L)
                .setEccUncorrected(0L)
                .setPowerLimitW(700.0)
                .build();
    }
}
