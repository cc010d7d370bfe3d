package dev.substrate.operators.scheduling.state;

/** GPUs one request holds on one node. A Flink POJO. */
public class Target {

    public String region;
    public String cluster;
    public String node;
    public int[] gpuIndices = new int[0];

    public Target() {}

    public static Target of(String region, String cluster, String node, int[] gpuIndices) {
        Target t = new Target();
        t.region = region;
        t.cluster = cluster;
        t.node = node;
        t.gpuIndices = gpuIndices.clone();
        return t;
    }

    public String nodeKey() {
        return NodeBook.key(cluster, node);
    }

    public Target copy() {
        return of(region, cluster, node, gpuIndices);
    }
}
