package dev.substrate.operators.lateness;

import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;

/**
 * Passes its input on unchanged and, when the input ends, delivers the final watermark even if the
 * source was idle: chained right behind a source whose watermarks declare idleness, it makes {@code
 * stop-with-savepoint --drain} (and the end of a bounded source) fire every event-time window and
 * timer downstream, as a drain promises.
 *
 * <p>Why it is needed: at the end of input Flink 2.1 emits {@link Watermark#MAX_WATERMARK} from the
 * source, but its outputs drop watermarks while the announced status is idle (FLINK-40499). A
 * source that read its last record longer ago than the idleness timeout has announced idle, so its
 * final watermark never leaves the task: the windows still open at the drain (the last quality
 * report window, the last telemetry minute) stay in the savepoint instead of reaching the lake.
 * This operator gets {@link #endInput()} right after that dropped watermark (Flink ends a chained
 * operator's input only when draining or at the natural end, never for a savepoint that keeps the
 * job's windows open), announces the stream active again and emits the final watermark itself.
 * Where the source was active, the second final watermark changes nothing downstream.
 *
 * <p>Stateless; give it a uid all the same, so that the job's operator ids stay stable.
 */
public final class EndOfInputWatermark<T> extends AbstractStreamOperator<T>
        implements OneInputStreamOperator<T, T>, BoundedOneInput {

    private static final long serialVersionUID = 1L;

    @Override
    public void processElement(StreamRecord<T> element) {
        output.collect(element);
    }

    @Override
    public void endInput() {
        // Outputs forward watermarks only while active; re-announcing an active status is a no-op.
        output.emitWatermarkStatus(WatermarkStatus.ACTIVE);
        output.emitWatermark(Watermark.MAX_WATERMARK);
    }
}
