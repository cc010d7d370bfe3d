package dev.substrate.jobs.ingest;

import dev.substrate.events.DeadLetter;
import dev.substrate.events.QualityReport;
import dev.substrate.operators.quality.QualityGate;
import dev.substrate.operators.quality.QualityOutcome;
import dev.substrate.operators.quality.QualityReportAggregator;
import dev.substrate.operators.quality.RuleSet;
import dev.substrate.schemas.EventType;
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
 * QualityGate} per type; the outcomes of all gates are counted per window into the {@code
 * quality_report} table. Refused records are dead letters holding the record as plain Avro binary
 * of the current schema (their PII is tokenized on the way to the {@code dead_letters} table).
 */
public final class RuleQualityStep implements QualityStep {

    /** The quality report table: per window, source and rule. */
    public static final LakeTableSpec QUALITY_REPORT =
            new LakeTableSpec(
                    "quality_report", QualityReport.getClassSchema(), "window_start", "source");

    private final LakeCatalogConfig catalog;
    private final Duration reportWindow;
    private final List<DataStream<QualityOutcome>> outcomes = new ArrayList<>();

    public RuleQualityStep(LakeCatalogConfig catalog, Duration reportWindow) {
        this.catalog = catalog;
        this.reportWindow = reportWindow;
    }

    @Override
    public <T extends SpecificRecordBase> Checked<T> apply(
            DataStream<T> records, EventType type, Class<T> recordClass) {
        // Loaded (and so checked) when the job is built: a broken rule file fails the start.
        RuleSet rules = RuleSet.load(recordClass.getSimpleName());
        SingleOutputStreamOperator<T> passed =
                records.process(new QualityGate<>(recordClass, rules, type.topic()))
                        .returns(new AvroTypeInfo<>(recordClass))
                        .uid("quality-" + type.tableName())
                        .name("quality rules " + type.tableName());
        outcomes.add(passed.getSideOutput(QualityGate.OUTCOMES));
        DataStream<DeadLetter> refused = passed.getSideOutput(QualityGate.DEAD_LETTERS);
        return new Checked<>(passed, refused);
    }

    @Override
    public void complete(StreamExecutionEnvironment env) {
        if (outcomes.isEmpty()) {
            return;
        }
        DataStream<QualityOutcome> all = outcomes.get(0);
        for (int i = 1; i < outcomes.size(); i++) {
            all = all.union(outcomes.get(i));
        }
        IcebergLakeSink.append(
                QualityReportAggregator.report(all, reportWindow), catalog, QUALITY_REPORT);
    }
}
