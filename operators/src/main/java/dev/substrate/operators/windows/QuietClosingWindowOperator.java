package dev.substrate.operators.windows;

import java.time.Duration;
import java.util.Objects;
import javax.annotation.Nullable;
import org.apache.flink.api.common.ExecutionConfig;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.state.AggregatingStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.api.windowing.assigners.WindowAssigner;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.streaming.runtime.operators.windowing.WindowOperator;
import org.apache.flink.streaming.runtime.operators.windowing.functions.InternalSingleValueProcessWindowFunction;
import org.apache.flink.util.OutputTag;
import org.apache.flink.util.function.SerializableFunction;

/**
 * An event-time window aggregation whose windows also close when the input goes quiet: Flink's
 * {@link WindowOperator} (same state, same timers, same allowed lateness and late output as {@code
 * keyBy(..).window(..).aggregate(..)}), plus a close by quiet time for windows the watermark will
 * not reach because event time stopped.
 *
 * <p>An idle source stops holding the watermark back but does not move it forward: when a whole
 * capture (or fleet) stops, the last windows would never fire. Here a window that holds input
 * fires, closed by quiet time, once this subtask's watermark has not moved for {@code
 * eventTimeStill} <em>and</em> the window has had no input for {@code inputQuiet}, both on the
 * processing-time clock. The window function tells the two closes apart with {@link
 * #closedByQuietTime}. A window closed by quiet time is never fired again by the watermark; inputs
 * that still reach it are counted in a metric and dropped, or, with allowed lateness, fire it again
 * as an update, exactly as inputs within the allowed lateness do after a watermark close. While
 * event time moves, only the watermark closes windows, however long they wait for it.
 *
 * <p>Windows of windows: when event time stops, every operator's watermark stops at the same
 * moment, so an operator behind another one must wait until the one before has closed its windows
 * by quiet time. Give each level a longer {@code eventTimeStill} than the level before needs to
 * close (its {@code eventTimeStill}, plus the {@code inputQuiet} of its last inputs, plus some
 * slack for the windows to travel): then every level's windows have all their inputs when they
 * close. A short {@code inputQuiet} behind the first level lets a window that is still receiving
 * (part of) the burst before it wait for the rest.
 *
 * <pre>{@code
 * SingleOutputStreamOperator<Stats> minutes =
 *         QuietClosingWindowOperator.<String, Reading>windows(
 *                         readings.keyBy(Reading::sensor), TumblingEventTimeWindows.of(ONE_MINUTE))
 *                 .quietClose(Duration.ofMinutes(2), Duration.ofMinutes(2))
 *                 .lateInputs("readingsTooLateForWindows", reading -> 1L)
 *                 .aggregate(new StatsAggregator(), new StampBounds(), statsType, statsType);
 * }</pre>
 *
 * <p>State: besides {@code WindowOperator}'s, one {@code Long} per window (its pending quiet timer
 * or "closed"), cleared with the window; at most one processing-time timer per window.
 */
public final class QuietClosingWindowOperator<K, IN, ACC, OUT>
        extends WindowOperator<K, IN, ACC, OUT, TimeWindow> {

    private static final long serialVersionUID = 1L;

    /** The name Flink's window operators give their contents state; kept for savepoints. */
    private static final String WINDOW_STATE_NAME = "window-contents";

    private final QuietCloseTrigger<IN> quietTrigger;
    private transient QuietClock clock;

    private QuietClosingWindowOperator(
            WindowAssigner<? super IN, TimeWindow> assigner,
            ExecutionConfig config,
            KeyedStream<IN, K> input,
            AggregatingStateDescriptor<IN, ?, ACC> contents,
            ProcessWindowFunction<ACC, OUT, K, TimeWindow> windowFunction,
            QuietCloseTrigger<IN> trigger,
            long allowedLatenessMillis,
            @Nullable OutputTag<IN> lateOutput) {
        super(
                assigner,
                assigner.getWindowSerializer(config),
                input.getKeySelector(),
                input.getKeyType().createSerializer(config.getSerializerConfig()),
                contents,
                new InternalSingleValueProcessWindowFunction<>(windowFunction),
                trigger,
                allowedLatenessMillis,
                lateOutput);
        this.quietTrigger = trigger;
    }

    /**
     * Starts building the windows {@code assigner} assigns on {@code input}: event-time windows
     * ({@code TumblingEventTimeWindows}, {@code SlidingEventTimeWindows}); merging (session)
     * windows are not supported.
     */
    public static <K, IN> Builder<K, IN> windows(
            KeyedStream<IN, K> input, WindowAssigner<? super IN, TimeWindow> assigner) {
        return new Builder<>(input, assigner);
    }

    /**
     * Whether the window being fired closes by quiet time: the watermark has not reached its end.
     * For a window function: {@code closedByQuietTime(ctx.currentWatermark(), ctx.window())}.
     */
    public static boolean closedByQuietTime(long currentWatermark, TimeWindow window) {
        return currentWatermark < window.maxTimestamp();
    }

    @Override
    public void open() throws Exception {
        clock = new QuietClock(getProcessingTimeService().getCurrentProcessingTime());
        quietTrigger.attach(clock);
        super.open();
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        clock.watermark(mark.getTimestamp(), getProcessingTimeService().getCurrentProcessingTime());
        super.processWatermark(mark);
    }

    /** Builds a {@link QuietClosingWindowOperator} behind a keyed stream; see the class comment. */
    public static final class Builder<K, IN> {
        private final KeyedStream<IN, K> input;
        private final WindowAssigner<? super IN, TimeWindow> assigner;
        private Duration eventTimeStill = Duration.ZERO;
        private Duration inputQuiet = Duration.ZERO;
        private Duration allowedLateness = Duration.ZERO;
        @Nullable private OutputTag<IN> lateOutput;
        @Nullable private String lateMetric;
        @Nullable private SerializableFunction<IN, Long> lateCount;

        private Builder(KeyedStream<IN, K> input, WindowAssigner<? super IN, TimeWindow> assigner) {
            this.input = Objects.requireNonNull(input, "input");
            this.assigner = Objects.requireNonNull(assigner, "assigner");
            if (!assigner.isEventTime()) {
                throw new IllegalArgumentException(
                        "Quiet closing is for event-time windows, not " + assigner);
            }
        }

        /**
         * Close a window early once the watermark has not moved for {@code eventTimeStill} and the
         * window got no input for {@code inputQuiet}; {@code eventTimeStill} zero (the default)
         * closes by the watermark only.
         */
        public Builder<K, IN> quietClose(Duration eventTimeStill, Duration inputQuiet) {
            if (eventTimeStill.isNegative() || inputQuiet.isNegative()) {
                throw new IllegalArgumentException(
                        "quiet periods must not be negative: "
                                + eventTimeStill
                                + ", "
                                + inputQuiet);
            }
            this.eventTimeStill = eventTimeStill;
            this.inputQuiet = inputQuiet;
            return this;
        }

        /** As {@code WindowedStream#allowedLateness}. */
        public Builder<K, IN> allowedLateness(Duration lateness) {
            if (lateness.isNegative()) {
                throw new IllegalArgumentException("allowed lateness must not be negative");
            }
            this.allowedLateness = lateness;
            return this;
        }

        /** As {@code WindowedStream#sideOutputLateData}: inputs later than the allowed lateness. */
        public Builder<K, IN> lateOutput(OutputTag<IN> tag) {
            this.lateOutput = Objects.requireNonNull(tag, "tag");
            return this;
        }

        /**
         * The counter, in the operator's metric group, of inputs that reach a window after its
         * quiet close and are dropped (without allowed lateness), and what each input adds to it.
         * Required.
         */
        public Builder<K, IN> lateInputs(String metric, SerializableFunction<IN, Long> count) {
            this.lateMetric = Objects.requireNonNull(metric, "metric");
            this.lateCount = Objects.requireNonNull(count, "count");
            return this;
        }

        /**
         * Adds the operator: {@code function} aggregates each window's inputs incrementally, {@code
         * windowFunction} sees the one result when the window fires (as {@code
         * WindowedStream#aggregate(AggregateFunction, ProcessWindowFunction, TypeInformation,
         * TypeInformation, TypeInformation)}).
         */
        public <ACC, V, OUT> SingleOutputStreamOperator<OUT> aggregate(
                AggregateFunction<IN, ACC, V> function,
                ProcessWindowFunction<V, OUT, K, TimeWindow> windowFunction,
                TypeInformation<ACC> accumulatorType,
                TypeInformation<OUT> resultType) {
            if (lateMetric == null || lateCount == null) {
                throw new IllegalStateException(
                        "Say how inputs after a quiet close are counted: lateInputs(metric,"
                                + " count)");
            }
            StreamExecutionEnvironment env = input.getExecutionEnvironment();
            ExecutionConfig config = env.getConfig();
            AggregatingStateDescriptor<IN, ACC, V> contents =
                    new AggregatingStateDescriptor<>(
                            WINDOW_STATE_NAME,
                            env.clean(function),
                            accumulatorType.createSerializer(config.getSerializerConfig()));
            QuietCloseTrigger<IN> trigger =
                    new QuietCloseTrigger<>(
                            eventTimeStill.toMillis(),
                            inputQuiet.toMillis(),
                            !allowedLateness.isZero(),
                            lateMetric,
                            env.clean(lateCount));
            QuietClosingWindowOperator<K, IN, V, OUT> operator =
                    new QuietClosingWindowOperator<>(
                            assigner,
                            config,
                            input,
                            contents,
                            env.clean(windowFunction),
                            trigger,
                            allowedLateness.toMillis(),
                            lateOutput);
            return input.transform("quiet-closing " + assigner, resultType, operator);
        }
    }
}
