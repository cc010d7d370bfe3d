package dev.substrate.operators.quality;

import dev.substrate.events.QualityReport;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Sums {@link QualityOutcome}s per source and rule over tumbling event-time windows into {@link
 * QualityReport} rows (the {@code quality_report} table): passed, failed, tagged and dead-lettered
 * counts. Incremental: a window keeps one {@link QualityCounts}, never the outcomes.
 *
 * <pre>
 *  gate OUTCOMES ─► keyBy(source, rule) ─► tumbling event-time window ─► QualityReport
 *                                                  └─ later than the watermark ─► LATE_OUTCOMES
 * </pre>
 *
 * <p>Windows use the outcomes' timestamps and watermarks, which the gate's side output inherits
 * from its input records: assign watermarks before the gate and route late records away before it,
 * and no outcome is late here. Any that is goes to {@link #LATE_OUTCOMES}, not silently away.
 */
public final class QualityReportAggregator
        implements AggregateFunction<QualityOutcome, QualityCounts, QualityCounts> {

    private static final long serialVersionUID = 1L;

    /** The report window when none is configured. */
    public static final Duration DEFAULT_WINDOW = Duration.ofMinutes(1);

    /** The default operator uid; one report per job keeps counts of all sources. */
    public static final String DEFAULT_UID = "quality-report";

    /** Outcomes whose window had already been reported when they arrived. */
    public static final OutputTag<QualityOutcome> LATE_OUTCOMES =
            new OutputTag<>("quality-late-outcomes", TypeInformation.of(QualityOutcome.class));

    /**
     * The report of the outcomes of one or more gates (union them first), per window of the given
     * size, with the uid {@value #DEFAULT_UID}.
     */
    public static SingleOutputStreamOperator<QualityReport> report(
            DataStream<QualityOutcome> outcomes, Duration window) {
        return report(outcomes, window, DEFAULT_UID);
    }

    /** As {@link #report(DataStream, Duration)}, with the operator's uid (and name) given. */
    public static SingleOutputStreamOperator<QualityReport> report(
            DataStream<QualityOutcome> outcomes, Duration window, String uid) {
        Objects.requireNonNull(window, "window");
        if (window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("report window must be positive: " + window);
        }
        return outcomes.keyBy(QualityReportAggregator::key, Types.STRING)
                .window(TumblingEventTimeWindows.of(window))
                .sideOutputLateData(LATE_OUTCOMES)
                .aggregate(
                        new QualityReportAggregator(),
                        new ToReport(),
                        TypeInformation.of(QualityCounts.class),
                        TypeInformation.of(QualityCounts.class),
                        new AvroTypeInfo<>(QualityReport.class))
                .uid(uid)
                .name("Quality report per " + window);
    }

    private static String key(QualityOutcome outcome) {
        return outcome.getSource() + '\u0000' + outcome.getRule();
    }

    @Override
    public QualityCounts createAccumulator() {
        return new QualityCounts();
    }

    @Override
    public QualityCounts add(QualityOutcome value, QualityCounts accumulator) {
        return accumulator.add(value);
    }

    @Override
    public QualityCounts getResult(QualityCounts accumulator) {
        return accumulator;
    }

    @Override
    public QualityCounts merge(QualityCounts a, QualityCounts b) {
        return a.merge(b);
    }

    /** Stamps the window on the counts. */
    private static final class ToReport
            extends ProcessWindowFunction<QualityCounts, QualityReport, String, TimeWindow> {

        private static final long serialVersionUID = 1L;

        @Override
        public void process(
                String key,
                Context context,
                Iterable<QualityCounts> counts,
                Collector<QualityReport> out) {
            QualityCounts c = counts.iterator().next();
            out.collect(
                    QualityReport.newBuilder()
                            .setWindowStart(Instant.ofEpochMilli(context.window().getStart()))
                            .setWindowEnd(Instant.ofEpochMilli(context.window().getEnd()))
                            .setSource(c.getSource())
                            .setRule(c.getRule())
                            .setSeverity(c.getSeverity().name())
                            .setAction(c.getAction().name())
                            .setEvaluated(c.getPassed() + c.getFailed())
                            .setPassed(c.getPassed())
                            .setFailed(c.getFailed())
                            .setTagged(c.getTagged())
                            .setDeadLettered(c.getDeadLettered())
                            .build());
        }
    }
}
