package dev.substrate.operators.scheduling.state;

/**
 * The latest capacity report of one cluster, as far as the scheduler needs it: how many of its
 * nodes are healthy, which tells whether its region should be avoided. A Flink POJO.
 */
public class ClusterView {

    public String region;
    public String cluster;
    public int healthyNodes;
    public int totalNodes;
    public long reportedAt = Long.MIN_VALUE;

    public ClusterView() {}

    public ClusterView copy() {
        ClusterView c = new ClusterView();
        c.region = region;
        c.cluster = cluster;
        c.healthyNodes = healthyNodes;
        c.totalNodes = totalNodes;
        c.reportedAt = reportedAt;
        return c;
    }
}
