package dev.substrate.operators.quality;

import dev.substrate.events.QualityReport;
import dev.substrate.operators.windows.LocalWindowPreAggregator;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Counts the verdicts of {@link QualityGate}s per source, rule and tumbling event-time window into
 * {@link QualityReport} rows (the {@code quality_report} table), in two phases as the telemetry
 * windows do: a {@link LocalWindowPreAggregator} chained to each gate sums its verdicts into one
 * {@link QualityCounts} per window, and only those partials are shuffled to a keyed window that
 * merges them and writes one row per rule.
 *
 * <pre>
 *  gate ─VERDICTS (a Long per record)─► pre-aggregate (chained) ─┐
 *  gate ─VERDICTS ────────────────────► pre-aggregate (chained) ─┴► keyBy(source) ─► window with
 *       allowed lateness ─► QualityReport rows: revision 0 when the window closes, then one row per
 *       rule for each late update with only the new counts; partials later still ─► revision -1
 * </pre>
 *
 * <p>Records the ingest let through as late-but-allowed reach the gate behind the watermark; their
 * verdicts still count: the window keeps its state for the allowed lateness and reports each update
 * as a delta, so the rows of one window, source and rule always add up. Nothing is dropped.
 *
 * <pre>{@code
 * QualityGate<GpuSample> gate = new QualityGate<>(GpuSample.class, rules, "substrate.gpu-samples");
 * SingleOutputStreamOperator<GpuSample> kept = samples.process(gate).uid("quality-gpu-samples");
 * DataStream<QualityCounts> partials = QualityReportAggregator.countLocally(
 *         kept.getSideOutput(QualityGate.VERDICTS), gate, Duration.ofMinutes(1),
 *         "quality-counts-gpu-samples");
 * DataStream<QualityReport> report = QualityReportAggregator.report(
 *         partials, Duration.ofMinutes(1), Duration.ofMinutes(1));
 * }</pre>
 */
public final class QualityReportAggregator {

    /** The report window when none is configured. */
    public static final Duration DEFAULT_WINDOW = Duration.ofMinutes(1);

    /**
     * The default uid of the keyed report window; one report per job keeps all sources. Not the
     * earlier {@code quality-report}: that window kept one count per rule, state that cannot
     * restore into per-source counts, so savepoints from before start this window empty.
     */
    public static final String DEFAULT_UID = "quality-report-v2";

    /** The revision of rows counting partials that came after the window's allowed lateness. */
    public static final int AFTER_LATENESS_REVISION = -1;

    /** Partials whose window had been closed for longer than the allowed lateness. */
    static final OutputTag<QualityCounts> LATE_PARTIALS =
            new OutputTag<>("quality-late-partials", countsType());

    /** Never emitted: the pre-aggregators leave lateness to the keyed window. */
    private static final OutputTag<Long> UNUSED_LATE_VERDICTS =
            new OutputTag<>("quality-late-verdicts", Types.LONG);

    private QualityReportAggregator() {}

    /** The POJO type of the counts. */
    public static TypeInformation<QualityCounts> countsType() {
        return Types.POJO(QualityCounts.class);
    }

    /**
     * Sums the verdicts of {@code gate} (its {@link QualityGate#VERDICTS} side output) per window
     * in the gate's own subtasks, chained to it: one partial per window leaves each subtask.
     */
    public static SingleOutputStreamOperator<QualityCounts> countLocally(
            DataStream<Long> verdicts, QualityGate<?> gate, Duration window, String uid) {
        checkWindow(window);
        String source = gate.sourceName();
        return verdicts.transform(
                        "quality counts " + source,
                        countsType(),
                        new LocalWindowPreAggregator<>(
                                new VerdictCounter(source, gate.ruleSet().rules()),
                                verdict -> source,
                                window.toMillis(),
                                UNUSED_LATE_VERDICTS,
                                Long.MAX_VALUE))
                // The gate's parallelism, so that it chains to the gate: verdicts never leave it.
                .setParallelism(verdicts.getParallelism())
                .uid(uid);
    }

    /**
     * The report of the partials of one or more gates (union them first), per window of the given
     * size, uid {@value #DEFAULT_UID}.
     *
     * @param allowedLateness the ingest's allowed lateness: how long after a window closed records
     *     may still reach the gates
     */
    public static DataStream<QualityReport> report(
            DataStream<QualityCounts> partials, Duration window, Duration allowedLateness) {
        return report(partials, window, allowedLateness, DEFAULT_UID);
    }

    /** As {@link #report(DataStream, Duration, Duration)}, with the window's uid given. */
    public static DataStream<QualityReport> report(
            DataStream<QualityCounts> partials,
            Duration window,
            Duration allowedLateness,
            String uid) {
        SingleOutputStreamOperator<QualityReport> rows =
                windows(partials, window, allowedLateness, uid);
        DataStream<QualityReport> afterLateness =
                rows.getSideOutput(LATE_PARTIALS)
                        .flatMap(new AfterLatenessRows(), reportType())
                        .uid(uid + "-after-lateness")
                        .name("Quality report: counts after the allowed lateness");
        return rows.union(afterLateness);
    }

    /** The keyed report window alone, its late partials on {@link #LATE_PARTIALS}. */
    static SingleOutputStreamOperator<QualityReport> windows(
            DataStream<QualityCounts> partials,
            Duration window,
            Duration allowedLateness,
            String uid) {
        checkWindow(window);
        Objects.requireNonNull(allowedLateness, "allowedLateness");
        if (allowedLateness.isNegative()) {
            throw new IllegalArgumentException(
                    "allowed lateness must not be negative: " + allowedLateness);
        }
        return partials.keyBy(counts -> counts.source, Types.STRING)
                .window(TumblingEventTimeWindows.of(window))
                // The ingest keeps a record when watermark - time <= lateness; a window counts as
                // late when max timestamp + lateness <= watermark. One more millisecond makes the
                // window keep every record the ingest kept.
                .allowedLateness(allowedLateness.plusMillis(1))
                .sideOutputLateData(LATE_PARTIALS)
                .aggregate(
                        new PartialMerger(),
                        new QualityReportFunction(),
                        countsType(),
                        countsType(),
                        reportType())
                .uid(uid)
                .name("Quality report per " + window);
    }

    private static TypeInformation<QualityReport> reportType() {
        return new AvroTypeInfo<>(QualityReport.class);
    }

    private static void checkWindow(Duration window) {
        Objects.requireNonNull(window, "window");
        if (window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("report window must be positive: " + window);
        }
    }

    /** Counts the verdicts of one gate: the first phase. */
    static final class VerdictCounter
            implements AggregateFunction<Long, QualityCounts, QualityCounts> {

        private static final long serialVersionUID = 1L;

        private final String source;
        private final List<Rule> rules;
        private final long deadLetterRules;
        private final long tagRules;

        VerdictCounter(String source, List<Rule> rules) {
            this.source = source;
            this.rules = List.copyOf(rules);
            long dlq = 0;
            long tag = 0;
            for (int i = 0; i < rules.size(); i++) {
                switch (rules.get(i).action()) {
                    case DLQ -> dlq |= 1L << i;
                    case TAG -> tag |= 1L << i;
                    case NONE -> {}
                }
            }
            this.deadLetterRules = dlq;
            this.tagRules = tag;
        }

        @Override
        public QualityCounts createAccumulator() {
            return QualityCounts.of(source, rules);
        }

        @Override
        public QualityCounts add(Long failedRules, QualityCounts counts) {
            counts.count(failedRules, deadLetterRules, tagRules);
            return counts;
        }

        @Override
        public QualityCounts getResult(QualityCounts counts) {
            return counts;
        }

        @Override
        public QualityCounts merge(QualityCounts a, QualityCounts b) {
            return a.merge(b);
        }
    }

    /** Rows for partials that came too late for their window: counted all the same. */
    private static final class AfterLatenessRows
            implements FlatMapFunction<QualityCounts, QualityReport> {

        private static final long serialVersionUID = 1L;

        @Override
        public void flatMap(QualityCounts late, Collector<QualityReport> out) {
            late.toRows(late.windowStart, late.windowEnd, AFTER_LATENESS_REVISION, out::collect);
        }
    }

    /** Merges the partials of one source and window: the second phase. */
    static final class PartialMerger
            implements AggregateFunction<QualityCounts, QualityCounts, QualityCounts> {

        private static final long serialVersionUID = 1L;

        @Override
        public QualityCounts createAccumulator() {
            return new QualityCounts();
        }

        @Override
        public QualityCounts add(QualityCounts partial, QualityCounts counts) {
            return counts.merge(partial);
        }

        @Override
        public QualityCounts getResult(QualityCounts counts) {
            return counts;
        }

        @Override
        public QualityCounts merge(QualityCounts a, QualityCounts b) {
            return a.merge(b);
        }
    }
}
