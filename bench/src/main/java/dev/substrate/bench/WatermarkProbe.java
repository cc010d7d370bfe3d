package dev.substrate.bench;

import dev.substrate.events.WorkloadRequest;
import dev.substrate.operators.scheduling.FleetSignal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;

/**
 * The baseline's stand-in for the scheduler: the same two keyed inputs (requests, and the fleet
 * signals whose watermark the scheduler waits for), and for each request the moment it arrives and
 * the moment the watermark passes its event time, i.e. when the scheduler could first decide it (an
 * event-time timer at the request's time, as the scheduler sets one), noted in the {@link
 * DecisionLedger}. It decides nothing and emits nothing. What it waits for is kept on the heap, not
 * in Flink state: a probe is never restored.
 */
final class WatermarkProbe
        extends KeyedCoProcessFunction<String, WorkloadRequest, FleetSignal, Boolean> {

    private static final long serialVersionUID = 1L;

    /** Per event time: the ledger slots of the requests waiting for it and when they arrived. */
    private transient TreeMap<Long, List<long[]>> waiting;

    @Override
    public void processElement1(WorkloadRequest request, Context ctx, Collector<Boolean> out) {
        long now = System.currentTimeMillis();
        DecisionLedger ledger = DecisionLedger.current();
        int slot = ledger.slotOf(request);
        if (slot < 0) {
            return;
        }
        long at = request.getTimestamp().toEpochMilli();
        if (at <= ctx.timerService().currentWatermark()) {
            ledger.decidable(slot, now, now);
            return;
        }
        if (waiting == null) {
            waiting = new TreeMap<>();
        }
        waiting.computeIfAbsent(at, t -> new ArrayList<>()).add(new long[] {slot, now});
        ctx.timerService().registerEventTimeTimer(at);
    }

    @Override
    public void processElement2(FleetSignal signal, Context ctx, Collector<Boolean> out) {}

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Boolean> out) {
        long now = System.currentTimeMillis();
        DecisionLedger ledger = DecisionLedger.current();
        Map<Long, List<long[]>> due = waiting.headMap(timestamp, true);
        for (List<long[]> requests : due.values()) {
            for (long[] r : requests) {
                ledger.decidable((int) r[0], r[1], now);
            }
        }
        due.clear();
    }
}
