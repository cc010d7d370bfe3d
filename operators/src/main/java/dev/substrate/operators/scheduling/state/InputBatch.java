package dev.substrate.operators.scheduling.state;

import java.util.Arrays;

/** The inputs of one event-time instant, waiting for the watermark. A Flink POJO. */
public class InputBatch {

    public BufferedInput[] items = new BufferedInput[0];

    public InputBatch() {}

    /** A batch with {@code item} added (a new instance: state values are never changed). */
    public InputBatch plus(BufferedInput item) {
        InputBatch next = new InputBatch();
        next.items = Arrays.copyOf(items, items.length + 1);
        next.items[items.length] = item;
        return next;
    }
}
