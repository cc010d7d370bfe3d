package dev.substrate.jobs.ingest;

import dev.substrate.events.DeadLetter;
import dev.substrate.events.QualityReport;
import dev.substrate.operators.quality.QualityCounts;
import dev.substrate.operators.quality.QualityGate;
import dev.substrate.operators.quality.QualityReportAggregator;
import dev.substrate.operators.quality.RuleSet;
import dev.substrate.schemas.EventType;
import dev.substrate.schemas.wire.Sourced;
import dev.substrate.schemas.wire.SourcedTypeInfo;
import dev.substrate.sinks.lake.IcebergLakeSink;
import dev.substrate.sinks.lake.LakeCatalogConfig;
import dev.substrate.sinks.lake.LakeTableSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The CEL quality rules of each event type ({@code rules/<Type>.rules.yaml}), applied by a {@link
 * QualityGate} per type; each gate's verdicts are summed per window in its own subtasks and only
 * those partial counts are merged into the {@code quality_report} table ({@link
 * QualityReportAggregator}), which keeps counting records the ingest let through late. Refused
 * records are dead letters holding the Kafka record as it was read, coordinates, frame and headers,
 * for replay (their PII is tokenized on the way to the {@code dead_letters} table).
 */
public final class RuleQualityStep implements QualityStep {

    /** The quality report table: per window, source and rule. */
    public static final LakeTableSpec QUALITY_REPORT =
            new LakeTableSpec(
                    "quality_report", QualityReport.getClassSchema(), "window_start", "source");

    private final LakeCatalogConfig catalog;
    private final Duration reportWindow;
    private final Duration allowedLateness;
    private final List<DataStream<QualityCounts>> partials = new ArrayList<>();

    /**
     * @param reportWindow the report's tumbling window
     * @param allowedLateness the ingest's allowed lateness: records this late still reach the gates
     *     and are counted as updates of their windows
     */
    public RuleQualityStep(
            LakeCatalogConfig catalog, Duration reportWindow, Duration allowedLateness) {
        this.catalog = catalog;
        this.reportWindow = reportWindow;
        this.allowedLateness = allowedLateness;
    }

    @Override
    public <T extends SpecificRecordBase> Checked<T> apply(
            DataStream<Sourced<T>> records, EventType type, Class<T> recordClass) {
        // Loaded (and so checked) when the job is built: a broken rule file fails the start.
        RuleSet rules = RuleSet.load(recordClass.getSimpleName());
        QualityGate<T> gate = new QualityGate<>(recordClass, rules, type.topic());
        SingleOutputStreamOperator<Sourced<T>> passed =
                records.process(gate)
                        .returns(new SourcedTypeInfo<>(new AvroTypeInfo<>(recordClass)))
                        .uid("quality-" + type.tableName())
                        .name("quality rules " + type.tableName());
        partials.add(
                QualityReportAggregator.countLocally(
                        passed.getSideOutput(QualityGate.VERDICTS),
                        gate,
                        reportWindow,
                        "quality-counts-" + type.tableName()));
        DataStream<DeadLetter> refused = passed.getSideOutput(QualityGate.DEAD_LETTERS);
        return new Checked<>(passed, refused);
    }

    @Override
    public void complete(StreamExecutionEnvironment env) {
        if (partials.isEmpty()) {
            return;
        }
        DataStream<QualityCounts> all = partials.get(0);
        for (int i = 1; i < partials.size(); i++) {
            all = all.union(partials.get(i));
        }
        IcebergLakeSink.append(
                QualityReportAggregator.report(all, reportWindow, allowedLateness),
                catalog,
                QUALITY_REPORT,
                IcebergLakeSink.LOW_VOLUME_WRITERS);
    }
}
