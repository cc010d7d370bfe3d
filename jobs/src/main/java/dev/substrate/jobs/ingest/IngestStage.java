package dev.substrate.jobs.ingest;

import dev.substrate.events.AuditEvent;
import dev.substrate.events.DeadLetter;
import dev.substrate.events.DuplicateEvent;
import dev.substrate.events.EnterpriseEvent;
import dev.substrate.events.GpuSample;
import dev.substrate.events.LateEvent;
import dev.substrate.events.WorkloadRequest;
import dev.substrate.jobs.config.EventTimeOptions;
import dev.substrate.jobs.config.SubstrateOptions;
import dev.substrate.jobs.stage.StageContext;
import dev.substrate.operators.dedup.EventDeduplicator;
import dev.substrate.operators.dedup.EventIdSelector;
import dev.substrate.operators.lateness.EndOfInputWatermark;
import dev.substrate.operators.lateness.EventTimeWatermarks;
import dev.substrate.operators.lateness.LateEventSplitter;
import dev.substrate.operators.pii.DeadLetterRedactor;
import dev.substrate.operators.pii.PiiTokenizingFunction;
import dev.substrate.operators.quality.QualityReportAggregator;
import dev.substrate.schemas.EventType;
import dev.substrate.schemas.RecordIds;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.schemas.wire.Sourced;
import dev.substrate.schemas.wire.SourcedTypeInfo;
import dev.substrate.sinks.lake.EvolvingLakeSink;
import dev.substrate.sinks.lake.IcebergLakeSink;
import dev.substrate.sinks.lake.LakeCatalogConfig;
import dev.substrate.sinks.lake.LakeTableSpec;
import dev.substrate.sources.kafka.DeadLetterSplitter;
import dev.substrate.sources.kafka.EventKafkaSource;
import dev.substrate.sources.kafka.RetryPolicy;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import javax.annotation.Nullable;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.types.Either;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The governed ingest stage: every input topic is decoded by schema id, judged against event time,
 * deduplicated, checked by the quality rules and stripped of PII before it lands in its raw lake
 * table, whose columns follow the schema versions producers register. Every record ends in exactly
 * one place: its raw table, {@code dead_letters}, {@code late_events} or {@code duplicate_events}.
 *
 * <pre>
 *  substrate.&lt;type&gt; ─► decode ─► watermarks ─► late? ─► dedup ─► quality ─► PII tokens ─► &lt;raw table&gt;
 *                        └─ each record with its Kafka provenance ─┘
 *                        │                        │         │          │               (columns follow
 *                        │ bad input               │ late    │ dup      │ DLQ rule         the registry)
 *                        ▼                        ▼         ▼          ▼
 *                      DeadLetter ◄───────────────┼─────────┼──────────┘
 *                        ├─► substrate.dead-letters (Kafka, original bytes, for replay)
 *                        └─► PII redaction ─► dead_letters
 *                                       late_events ◄┘ (PII tokenized)
 *                                                   duplicate_events ◄┘ (ids and fingerprints only)
 * </pre>
 *
 * <p>Watermarks are generated per Kafka partition in the source (bounded out-of-orderness,
 * idleness, and a guard against event times far in the future). Lateness is judged right after
 * decoding, deduplication is by {@code event_id} in keyed state with a TTL, and PII fields (Avro
 * field property {@code "pii": true}) are replaced by keyed HMAC-SHA256 tokens before any lake
 * table: the raw tables, {@code late_events} and {@code dead_letters} alike.
 */
public final class IngestStage {

    private static final Logger LOG = LoggerFactory.getLogger(IngestStage.class);

    /** Columns the ingest fills in itself, so the raw tables always have them. */
    public static final Set<String> PIPELINE_FIELDS = Set.of("quality_tags");

    /** The table of records that arrived later than the allowed lateness. */
    public static final LakeTableSpec LATE_EVENTS =
            new LakeTableSpec(
                    "late_events", LateEvent.getClassSchema(), "event_time", "source_topic");

    /** The table of duplicates dropped from the raw tables. */
    public static final LakeTableSpec DUPLICATE_EVENTS =
            new LakeTableSpec(
                    "duplicate_events",
                    DuplicateEvent.getClassSchema(),
                    "detected_at",
                    "source_topic");

    private final Settings settings;
    private final QualityStep quality;

    /** The stage with the data-quality rules of every event type. */
    public IngestStage(Settings settings) {
        this(
                settings,
                new RuleQualityStep(
                        settings.catalog(),
                        QualityReportAggregator.DEFAULT_WINDOW,
                        settings.governance().allowedLateness()));
    }

    public IngestStage(Settings settings, QualityStep quality) {
        this.settings = settings;
        this.quality = quality;
    }

    /** Adds the stage to {@code env} and returns its governed streams for later stages. */
    public Output addTo(StreamExecutionEnvironment env) {
        GovernanceSettings governance = settings.governance();
        String notice = governance.piiKeys().prepare(System.getenv());
        if (notice != null) {
            LOG.warn(notice);
        }
        Map<EventType, DataStream<? extends SpecificRecordBase>> events = new LinkedHashMap<>();
        List<DataStream<DeadLetter>> deadLetters = new ArrayList<>();
        List<DataStream<LateEvent>> late = new ArrayList<>();
        List<DataStream<DuplicateEvent>> duplicates = new ArrayList<>();
        for (EventType type : EventType.inputs()) {
            Governed<? extends SpecificRecordBase> governed = ingest(env, type, recordClass(type));
            events.put(type, governed.records());
            deadLetters.addAll(governed.deadLetters());
            late.add(governed.late());
            duplicates.add(governed.duplicates());
        }
        quality.complete(env);

        DataStream<DeadLetter> allDeadLetters = union(deadLetters);
        // The Kafka topic keeps the original bytes, for replay; the table never holds clear PII.
        settings.context()
                .<DeadLetter>kafkaOutput(DeadLetter.getClassSchema(), settings.deadLetterTopic())
                .key(DeadLetter::getSourceTopic)
                .recordId(RecordIds::of)
                .build()
                .writeFrom(allDeadLetters, "kafka-dead-letters");
        DataStream<DeadLetter> redacted =
                allDeadLetters
                        .map(
                                DeadLetterRedactor.forInputs(
                                        settings.registry(), governance.piiKeys()))
                        .returns(new AvroTypeInfo<>(DeadLetter.class))
                        .uid("redact-dead-letters")
                        .name("dead letters: tokenize PII");
        // Dead letters, late events and duplicates are few: one writer each, fewer small files.
        IcebergLakeSink.append(
                redacted,
                settings.catalog(),
                LakeTableSpec.of(EventType.DEAD_LETTER),
                IcebergLakeSink.LOW_VOLUME_WRITERS);
        DataStream<LateEvent> allLate = union(late);
        IcebergLakeSink.append(
                allLate, settings.catalog(), LATE_EVENTS, IcebergLakeSink.LOW_VOLUME_WRITERS);
        DataStream<DuplicateEvent> allDuplicates = union(duplicates);
        IcebergLakeSink.append(
                allDuplicates,
                settings.catalog(),
                DUPLICATE_EVENTS,
                IcebergLakeSink.LOW_VOLUME_WRITERS);
        return new Output(events, redacted, allLate, allDuplicates);
    }

    private <T extends SpecificRecordBase> Governed<T> ingest(
            StreamExecutionEnvironment env, EventType type, Class<T> recordClass) {
        GovernanceSettings governance = settings.governance();
        String name = type.tableName();
        TypeInformation<T> typeInfo = new AvroTypeInfo<>(recordClass);
        // Up to the lake, each record travels with its Kafka provenance, so that a record the
        // rules refuse is dead-lettered as replayably as one the decoder refuses, and the lake
        // writer learns each writer schema the first time it sees one.
        TypeInformation<Sourced<T>> sourcedType = new SourcedTypeInfo<>(typeInfo);
        WatermarkStrategy<Either<DeadLetter, Sourced<T>>> watermarks = watermarks(type, governance);

        // The uids below are those of the job before records carried their provenance: no
        // operator's state changed with it (the records are in flight only), so a savepoint of
        // the earlier job restores into this one.
        DataStream<Either<DeadLetter, Sourced<T>>> read =
                env.fromSource(
                                EventKafkaSource.build(
                                        type,
                                        recordClass,
                                        settings.bootstrapServers(),
                                        settings.registry(),
                                        settings.groupId(),
                                        settings.startingOffsets(),
                                        settings.stoppingOffsets(),
                                        settings.registryRetry()),
                                watermarks,
                                "kafka: " + type.topic())
                        .uid("source-" + name);
        SingleOutputStreamOperator<Sourced<T>> decoded =
                // A drain must fire every window, also when this source has gone idle by then
                // (EndOfInputWatermark says why): stateless, chained to the source.
                read.transform(
                                "final watermark " + type.topic(),
                                read.getType(),
                                new EndOfInputWatermark<>())
                        .uid("final-watermark-" + name)
                        .process(new DeadLetterSplitter<Sourced<T>>())
                        .returns(sourcedType)
                        .uid("decode-" + name)
                        .name("decode " + type.topic());

        SingleOutputStreamOperator<Sourced<T>> onTime =
                decoded.process(
                                new LateEventSplitter<>(
                                        recordClass,
                                        type.topic(),
                                        governance.allowedLateness(),
                                        governance.piiKeys()))
                        .returns(sourcedType)
                        .uid("late-" + name)
                        .name("late events " + name);

        SingleOutputStreamOperator<Sourced<T>> unique =
                onTime.keyBy(new EventIdSelector<T>(), EventIdSelector.KEY_TYPE)
                        .process(
                                new EventDeduplicator<>(
                                        recordClass, type.topic(), governance.dedupHorizon()))
                        .returns(sourcedType)
                        // v2: keys became 128-bit ids (EventIdSelector); v1 state is not
                        // restorable into them, so a resumed job starts this state afresh.
                        .uid("dedup-v2-" + name)
                        .name("dedup " + name);

        QualityStep.Checked<T> checked = quality.apply(unique, type, recordClass);

        SingleOutputStreamOperator<Sourced<T>> tokenized =
                checked.passed()
                        .map(new PiiTokenizingFunction<>(recordClass, governance.piiKeys()))
                        .returns(sourcedType)
                        .uid("pii-" + name)
                        .name("PII tokens " + name);

        EvolvingLakeSink.append(
                tokenized,
                recordClass,
                settings.catalog(),
                LakeTableSpec.of(type),
                new EvolvingLakeSink.SchemaSource(
                        settings.registry(),
                        type.subject(),
                        PIPELINE_FIELDS,
                        governance.lakeSchemaRefresh()));

        List<DataStream<DeadLetter>> deadLetters = new ArrayList<>();
        deadLetters.add(decoded.getSideOutput(DeadLetterSplitter.DEAD_LETTERS));
        if (checked.deadLetters() != null) {
            deadLetters.add(checked.deadLetters());
        }
        // Later stages read the governed records without their provenance (chained: no copy).
        SingleOutputStreamOperator<T> records =
                tokenized
                        .map(Sourced::record)
                        .returns(typeInfo)
                        .uid("governed-" + name)
                        .name("governed " + name);
        return new Governed<>(
                records,
                deadLetters,
                onTime.getSideOutput(LateEventSplitter.LATE_EVENTS),
                unique.getSideOutput(EventDeduplicator.DUPLICATES));
    }

    /**
     * The job's event-time clock for {@code type}'s topic, generated per Kafka partition in the
     * source: the record's timestamp field, with {@code governance}'s out-of-orderness, idleness
     * and future-skew guard; dead letters have no event time.
     */
    public static <T extends SpecificRecordBase>
            WatermarkStrategy<Either<DeadLetter, Sourced<T>>> watermarks(
                    EventType type, GovernanceSettings governance) {
        int timestampPos = type.schema().getField(type.timestampField()).pos();
        return EventTimeWatermarks.strategy(
                record ->
                        record.isRight()
                                ? ((Instant) record.right().record().get(timestampPos))
                                        .toEpochMilli()
                                : EventTimeWatermarks.NO_EVENT_TIME,
                governance.outOfOrderness(),
                governance.idleTimeout(),
                governance.maxFutureSkew());
    }

    private static <T> DataStream<T> union(List<DataStream<T>> streams) {
        DataStream<T> all = streams.get(0);
        for (int i = 1; i < streams.size(); i++) {
            all = all.union(streams.get(i));
        }
        return all;
    }

    @SuppressWarnings("unchecked")
    private static Class<SpecificRecordBase> recordClass(EventType type) {
        return (Class<SpecificRecordBase>) type.recordClass();
    }

    /** What one input type's governed path produced. */
    private record Governed<T>(
            DataStream<T> records,
            List<DataStream<DeadLetter>> deadLetters,
            DataStream<LateEvent> late,
            DataStream<DuplicateEvent> duplicates) {}

    /**
     * What the stage reads from and writes to, and how it governs it.
     *
     * @param stoppingOffsets where the sources stop, for a bounded run; null to run forever
     * @param registryRetry how long a source waits for an unavailable registry on its task thread
     *     before it fails the task ({@code registry.outage-timeout})
     */
    public record Settings(
            StageContext context,
            String groupId,
            OffsetsInitializer startingOffsets,
            @Nullable OffsetsInitializer stoppingOffsets,
            String deadLetterTopic,
            GovernanceSettings governance,
            RetryPolicy registryRetry) {

        public Settings {
            Objects.requireNonNull(context, "context");
            Objects.requireNonNull(groupId, "groupId");
            Objects.requireNonNull(startingOffsets, "startingOffsets");
            Objects.requireNonNull(deadLetterTopic, "deadLetterTopic");
            Objects.requireNonNull(governance, "governance");
            Objects.requireNonNull(registryRetry, "registryRetry");
        }

        /** The settings of {@code config} ({@link SubstrateOptions}, {@link EventTimeOptions}). */
        public static Settings from(ReadableConfig config, StageContext context) {
            return new Settings(
                    context,
                    config.get(SubstrateOptions.KAFKA_GROUP_ID),
                    startingOffsets(config.get(SubstrateOptions.KAFKA_STARTING_OFFSETS)),
                    null,
                    config.get(SubstrateOptions.DEAD_LETTER_TOPIC),
                    GovernanceSettings.from(config),
                    RetryPolicy.giveUpAfter(config.get(SubstrateOptions.REGISTRY_OUTAGE_TIMEOUT)));
        }

        /** These settings for a bounded run whose sources stop at {@code offsets}. */
        public Settings stoppingAt(@Nullable OffsetsInitializer offsets) {
            return new Settings(
                    context,
                    groupId,
                    startingOffsets,
                    offsets,
                    deadLetterTopic,
                    governance,
                    registryRetry);
        }

        /** The Kafka topics the stage writes. */
        public List<String> topics() {
            return List.of(deadLetterTopic);
        }

        String bootstrapServers() {
            return context.kafkaBootstrapServers();
        }

        SchemaRegistryConfig registry() {
            return context.registry();
        }

        LakeCatalogConfig catalog() {
            return context.lake();
        }

        private static OffsetsInitializer startingOffsets(
                SubstrateOptions.StartingOffsets starting) {
            return switch (starting) {
                case COMMITTED_OR_EARLIEST ->
                        OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST);
                case EARLIEST -> OffsetsInitializer.earliest();
                case LATEST -> OffsetsInitializer.latest();
            };
        }
    }

    /**
     * The governed events per type (PII tokenized, in event time), and every dead letter, late
     * event and duplicate, for the stages that follow.
     */
    public record Output(
            Map<EventType, DataStream<? extends SpecificRecordBase>> events,
            DataStream<DeadLetter> deadLetters,
            DataStream<LateEvent> lateEvents,
            DataStream<DuplicateEvent> duplicates) {

        public DataStream<GpuSample> gpuSamples() {
            return typed(EventType.GPU_SAMPLE);
        }

        public DataStream<WorkloadRequest> workloadRequests() {
            return typed(EventType.WORKLOAD_REQUEST);
        }

        public DataStream<AuditEvent> auditEvents() {
            return typed(EventType.AUDIT_EVENT);
        }

        public DataStream<EnterpriseEvent> enterpriseEvents() {
            return typed(EventType.ENTERPRISE_EVENT);
        }

        @SuppressWarnings("unchecked")
        private <T> DataStream<T> typed(EventType type) {
            // Each type's stream holds its own record class (EventType.recordClass()).
            return (DataStream<T>) events.get(type);
        }
    }
}
