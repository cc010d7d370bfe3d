package dev.substrate.operators.scheduling;

import dev.substrate.operators.scheduling.config.SchedulerConfig;
import dev.substrate.operators.scheduling.config.TenantQuota;
import dev.substrate.operators.scheduling.state.ClusterView;
import dev.substrate.operators.scheduling.state.NodeBook;
import dev.substrate.operators.scheduling.state.RequestBook;
import dev.substrate.operators.scheduling.state.RequestPhase;
import dev.substrate.operators.scheduling.state.SchedulerClock;
import dev.substrate.operators.scheduling.state.TenantBook;
import dev.substrate.operators.scheduling.state.WaitCause;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import javax.annotation.Nullable;

/**
 * The scheduler's books in memory — nodes, requests, tenants, cluster reports and counters — with
 * the indexes placement and the queue need (nodes by accelerator type, pending requests by type and
 * arrival, gangs, due times), and a record of which books changed since the last {@link #flush}, so
 * that Flink state receives exactly the changes.
 *
 * <p>The books are the truth while the operator runs; Flink state holds copies of them, written at
 * the end of every step, and the indexes are rebuilt from state after a restore ({@link #restore}).
 * Every index is ordered (tree maps and sets): nothing depends on hash order.
 */
public final class SchedulerState {

    /** Where {@link #flush} writes the books that changed. */
    public interface Persistence {
        void putNode(String key, NodeBook node) throws Exception;

        void removeNode(String key) throws Exception;

        void putRequest(String id, RequestBook request) throws Exception;

        void removeRequest(String id) throws Exception;

        void putTenant(String tenant, TenantBook book) throws Exception;

        void removeTenant(String tenant) throws Exception;

        void putCluster(String cluster, ClusterView view) throws Exception;

        void putClock(SchedulerClock clock) throws Exception;
    }

    private final SchedulerConfig config;
    private final TreeMap<String, NodeBook> nodes = new TreeMap<>();
    private final Map<String, RequestBook> requests = new HashMap<>();
    private final TreeMap<String, TenantBook> tenants = new TreeMap<>();
    private final TreeMap<String, ClusterView> clusters = new TreeMap<>();
    private SchedulerClock clock = new SchedulerClock();

    // Derived from the books.
    private final TreeMap<String, List<NodeBook>> nodesByType = new TreeMap<>();
    private final TreeMap<String, Integer> largestNode = new TreeMap<>();
    private boolean nodeIndexStale = true;
    private final TreeMap<String, TreeMap<Long, String>> pendingByType = new TreeMap<>();
    private final Map<String, TreeSet<String>> gangs = new HashMap<>();
    private final TreeMap<Long, TreeSet<String>> due = new TreeMap<>();

    // Changed since the last flush.
    private final Set<String> dirtyNodes = new HashSet<>();
    private final Set<String> dirtyRequests = new HashSet<>();
    private final Set<String> dirtyTenants = new HashSet<>();
    private final Set<String> dirtyClusters = new HashSet<>();
    private boolean dirtyClock;

    public SchedulerState(SchedulerConfig config) {
        this.config = config;
    }

    /** Rebuilds the books and every index from what Flink state holds. */
    public static SchedulerState restore(
            SchedulerConfig config,
            Iterable<NodeBook> nodes,
            Iterable<RequestBook> requests,
            Iterable<TenantBook> tenants,
            Iterable<ClusterView> clusters,
            @Nullable SchedulerClock clock) {
        SchedulerState s = new SchedulerState(config);
        nodes.forEach(n -> s.nodes.put(n.key(), n.copy()));
        tenants.forEach(t -> s.tenants.put(t.tenant, t.copy()));
        clusters.forEach(c -> s.clusters.put(c.cluster, c.copy()));
        if (clock != null) {
            s.clock = clock.copy();
        }
        List<RequestBook> sorted = new ArrayList<>();
        requests.forEach(r -> sorted.add(r.copy()));
        sorted.sort((a, b) -> a.requestId.compareTo(b.requestId));
        for (RequestBook r : sorted) {
            s.requests.put(r.requestId, r);
            s.index(r);
        }
        return s;
    }

    private void index(RequestBook r) {
        if (r.phase == RequestPhase.PENDING) {
            pending(r, true);
        }
        if (r.gangId != null && r.phase != RequestPhase.ENDED) {
            gangs.computeIfAbsent(r.gangId, g -> new TreeSet<>()).add(r.requestId);
        }
        for (long at : new long[] {r.expiresAt, r.retryAt, r.forgetAt, r.deadline}) {
            if (at != RequestBook.NONE) {
                addDue(at, r.requestId);
            }
        }
    }

    SchedulerConfig config() {
        return config;
    }

    // ---- nodes

    @Nullable
    NodeBook node(String key) {
        return nodes.get(key);
    }

    NodeBook addNode(NodeBook node) {
        nodes.put(node.key(), node);
        nodeIndexStale = true;
        touch(node);
        return node;
    }

    void removeNode(String key) {
        nodes.remove(key);
        nodeIndexStale = true;
        dirtyNodes.add(key);
    }

    void touch(NodeBook node) {
        dirtyNodes.add(node.key());
    }

    /** The accelerator type or size of a node changed: the per-type index is rebuilt lazily. */
    void nodeShapeChanged() {
        nodeIndexStale = true;
    }

    Collection<NodeBook> nodes() {
        return Collections.unmodifiableCollection(nodes.values());
    }

    /** Nodes whose GPUs are of {@code type}, ordered by key (cluster, then node). */
    List<NodeBook> nodesOfType(String type) {
        reindexNodes();
        List<NodeBook> list = nodesByType.get(type);
        return list == null ? List.of() : list;
    }

    /** The most GPUs any node of {@code type} has. */
    int largestNodeOf(String type) {
        reindexNodes();
        return largestNode.getOrDefault(type, 0);
    }

    int nodeCount() {
        return nodes.size();
    }

    private void reindexNodes() {
        if (!nodeIndexStale) {
            return;
        }
        nodesByType.clear();
        largestNode.clear();
        for (NodeBook n : nodes.values()) {
            if (n.acceleratorType != null) {
                nodesByType.computeIfAbsent(n.acceleratorType, t -> new ArrayList<>()).add(n);
                largestNode.merge(n.acceleratorType, n.knownGpus(), Math::max);
            }
        }
        nodeIndexStale = false;
    }

    // ---- requests

    @Nullable
    RequestBook request(String id) {
        return requests.get(id);
    }

    void addRequest(RequestBook r) {
        requests.put(r.requestId, r);
        touch(r);
    }

    void removeRequest(String id) {
        RequestBook r = requests.remove(id);
        if (r != null) {
            pending(r, false);
            leaveGang(r);
        }
        dirtyRequests.add(id);
    }

    void touch(RequestBook r) {
        dirtyRequests.add(r.requestId);
    }

    int requestCount() {
        return requests.size();
    }

    /** Every request, ordered by id (for checks and tests). */
    List<RequestBook> requestsById() {
        List<RequestBook> all = new ArrayList<>(requests.values());
        all.sort((a, b) -> a.requestId.compareTo(b.requestId));
        return all;
    }

    /** Adds or removes {@code r} from the queue of its accelerator type. */
    void pending(RequestBook r, boolean waiting) {
        if (waiting) {
            pendingByType
                    .computeIfAbsent(r.acceleratorType, t -> new TreeMap<>())
                    .put(r.arrival, r.requestId);
        } else {
            TreeMap<Long, String> queue = pendingByType.get(r.acceleratorType);
            if (queue != null) {
                queue.remove(r.arrival);
                if (queue.isEmpty()) {
                    pendingByType.remove(r.acceleratorType);
                }
            }
        }
    }

    /** Pending requests of {@code type} in arrival order. */
    Collection<String> pendingOfType(String type) {
        TreeMap<Long, String> queue = pendingByType.get(type);
        return queue == null ? List.of() : queue.values();
    }

    Set<String> pendingTypes() {
        return pendingByType.keySet();
    }

    int pendingCount() {
        int n = 0;
        for (TreeMap<Long, String> queue : pendingByType.values()) {
            n += queue.size();
        }
        return n;
    }

    void joinGang(RequestBook r) {
        gangs.computeIfAbsent(r.gangId, g -> new TreeSet<>()).add(r.requestId);
    }

    void leaveGang(RequestBook r) {
        if (r.gangId == null) {
            return;
        }
        TreeSet<String> members = gangs.get(r.gangId);
        if (members != null) {
            members.remove(r.requestId);
            if (members.isEmpty()) {
                gangs.remove(r.gangId);
            }
        }
    }

    /** The gang's members that have not ended, by request id. */
    List<RequestBook> gang(String gangId) {
        TreeSet<String> ids = gangs.get(gangId);
        if (ids == null) {
            return List.of();
        }
        List<RequestBook> members = new ArrayList<>(ids.size());
        for (String id : ids) {
            members.add(requests.get(id));
        }
        return members;
    }

    // ---- due times

    void addDue(long at, String requestId) {
        due.computeIfAbsent(at, t -> new TreeSet<>()).add(requestId);
    }

    /** The earliest due time, or null. */
    @Nullable
    Long nextDue() {
        return due.isEmpty() ? null : due.firstKey();
    }

    /** Removes and returns the due entries at or before {@code time}, earliest first. */
    NavigableMap<Long, TreeSet<String>> takeDue(long time) {
        NavigableMap<Long, TreeSet<String>> head = due.headMap(time, true);
        TreeMap<Long, TreeSet<String>> taken = new TreeMap<>(head);
        head.clear();
        return taken;
    }

    // ---- tenants

    @Nullable
    TenantBook tenant(String tenant) {
        return tenants.get(tenant);
    }

    TenantBook tenantOrNew(String tenant) {
        TenantBook book = tenants.get(tenant);
        if (book == null) {
            book = TenantBook.of(tenant);
            tenants.put(tenant, book);
            dirtyTenants.add(tenant);
        }
        return book;
    }

    void removeTenant(String tenant) {
        tenants.remove(tenant);
        dirtyTenants.add(tenant);
    }

    void touch(TenantBook book) {
        dirtyTenants.add(book.tenant);
    }

    Collection<TenantBook> tenants() {
        return Collections.unmodifiableCollection(tenants.values());
    }

    /** GPUs of {@code type} borrowed from the shared pool: each tenant's use beyond nominal. */
    int borrowed(String type) {
        int n = 0;
        for (TenantBook book : tenants.values()) {
            int inUse = book.inUse(type);
            if (inUse > 0) {
                TenantQuota quota = config.quotaOf(book.tenant);
                n += Math.max(0, inUse - (quota == null ? 0 : quota.nominalOf(type)));
            }
        }
        return n;
    }

    // ---- clusters and counters

    @Nullable
    ClusterView cluster(String cluster) {
        return clusters.get(cluster);
    }

    void putCluster(ClusterView view) {
        clusters.put(view.cluster, view);
        dirtyClusters.add(view.cluster);
    }

    Collection<ClusterView> clusters() {
        return Collections.unmodifiableCollection(clusters.values());
    }

    SchedulerClock clock() {
        return clock;
    }

    void touchClock() {
        dirtyClock = true;
    }

    /** Whether any book changed since the last flush. */
    public boolean dirty() {
        return dirtyClock
                || !dirtyNodes.isEmpty()
                || !dirtyRequests.isEmpty()
                || !dirtyTenants.isEmpty()
                || !dirtyClusters.isEmpty();
    }

    /** Writes copies of every book changed since the last flush (and removals) to {@code out}. */
    public void flush(Persistence out) throws Exception {
        for (String key : dirtyNodes) {
            NodeBook n = nodes.get(key);
            if (n == null) {
                out.removeNode(key);
            } else {
                out.putNode(key, n.copy());
            }
        }
        for (String id : dirtyRequests) {
            RequestBook r = requests.get(id);
            if (r == null) {
                out.removeRequest(id);
            } else {
                out.putRequest(id, r.copy());
            }
        }
        for (String tenant : dirtyTenants) {
            TenantBook t = tenants.get(tenant);
            if (t == null) {
                out.removeTenant(tenant);
            } else {
                out.putTenant(tenant, t.copy());
            }
        }
        for (String cluster : dirtyClusters) {
            out.putCluster(cluster, clusters.get(cluster).copy());
        }
        if (dirtyClock) {
            out.putClock(clock.copy());
        }
        dirtyNodes.clear();
        dirtyRequests.clear();
        dirtyTenants.clear();
        dirtyClusters.clear();
        dirtyClock = false;
    }

    /** Whether {@code r} is queued because of {@code cause}. */
    static boolean waitingFor(RequestBook r, WaitCause cause) {
        return r.phase == RequestPhase.PENDING && r.waiting == cause;
    }
}
