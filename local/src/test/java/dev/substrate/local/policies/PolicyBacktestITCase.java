package dev.substrate.local.policies;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.events.AuditEvent;
import dev.substrate.jobs.policies.PolicyStage;
import dev.substrate.operators.policies.ModelApproval;
import dev.substrate.operators.policies.PolicyFile;
import dev.substrate.samples.AuditEventGenerator;
import dev.substrate.samples.SampleVocabulary;
import dev.substrate.schemas.EventType;
import dev.substrate.sinks.lake.IcebergLakeSink;
import dev.substrate.sinks.lake.LakeCatalogConfig;
import dev.substrate.sinks.lake.LakeTableSpec;
import dev.substrate.sinks.lake.LakeTables;
import dev.substrate.testkit.MiniClusters;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.iceberg.catalog.Catalog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backtest over audit events in a real Iceberg table: it finds exactly the incidents the sample
 * generator planted, per policy, and writes nothing (no violations table, the events' table
 * untouched).
 */
class PolicyBacktestITCase {

    @RegisterExtension static final MiniClusterExtension FLINK = MiniClusters.twoSlots();

    private static final Instant START = Instant.parse("2026-11-02T23:00:00Z");

    @TempDir Path dataDir;

    @Test
    void findsThePlantedIncidentsAndWritesNothing() throws Exception {
        AuditEventGenerator generator = new AuditEventGenerator(21, START, Duration.ofMillis(500));
        List<AuditEvent> audits = new ArrayList<>();
        for (int i = 0; i < 4_000; i++) {
            audits.add(generator.next());
        }
        LakeCatalogConfig lake = LakeCatalogConfig.hadoop(dataDir.resolve("warehouse"));
        Configuration config = new Configuration();
        config.set(PipelineOptions.GENERIC_TYPES, false);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        env.setParallelism(2);
        env.enableCheckpointing(500);
        IcebergLakeSink.append(
                env.fromData(audits, new AvroTypeInfo<>(AuditEvent.class)),
                lake,
                LakeTableSpec.of(EventType.AUDIT_EVENT));
        env.execute("audit events to the lake");

        Catalog catalog = lake.catalogLoader().loadCatalog();
        long snapshot =
                catalog.loadTable(LakeTables.identifier(EventType.AUDIT_EVENT.tableName()))
                        .currentSnapshot()
                        .snapshotId();
        List<ModelApproval> registry = new ArrayList<>();
        for (SampleVocabulary.ModelSpec model : SampleVocabulary.MODELS) {
            for (String version : model.versions()) {
                registry.add(new ModelApproval(model.name(), version, true, 0));
            }
        }

        BacktestReport report =
                PolicyBacktest.builder()
                        .catalog(lake.catalogLoader())
                        .policies(PolicyFile.load(PolicyFile.DEFAULT))
                        .from(START)
                        .to(START.plus(Duration.ofDays(1)))
                        .registry(registry)
                        .build()
                        .run();

        Map<String, Long> planted = new TreeMap<>();
        generator.planted().forEach(p -> planted.merge(p.policyId(), 1L, Long::sum));
        assertThat(planted).hasSizeGreaterThanOrEqualTo(6);
        Map<String, Long> found = new TreeMap<>();
        for (BacktestReport.PolicyResult p : report.policies()) {
            if (p.incidents() > 0) {
                found.put(p.policyId(), p.incidents() + p.suppressed());
                assertThat(p.examples()).isNotEmpty();
            }
        }
        assertThat(report.auditEvents()).isEqualTo(audits.size());
        assertThat(found).isEqualTo(planted);
        assertThat(catalog.tableExists(LakeTables.identifier(PolicyStage.VIOLATIONS_TABLE)))
                .as("a backtest writes no violations")
                .isFalse();
        assertThat(
                        catalog.loadTable(LakeTables.identifier(EventType.AUDIT_EVENT.tableName()))
                                .currentSnapshot()
                                .snapshotId())
                .isEqualTo(snapshot);
    }
}
