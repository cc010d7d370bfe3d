package dev.substrate.operators.telemetry.health;

/**
 * One XID code reported by one GPU of a node, with when it was last reported; keyed state of {@link
 * NodeHealthFunction}. A Flink POJO.
 */
public class XidSighting {

    public String gpuUuid;
    public int xid;
    public long lastSeenAt;

    public XidSighting() {}

    public XidSighting(String gpuUuid, int xid, long lastSeenAt) {
        this.gpuUuid = gpuUuid;
        this.xid = xid;
        this.lastSeenAt = lastSeenAt;
    }
}
