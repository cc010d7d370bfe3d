package dev.substrate.jobs.vectors;

import dev.substrate.events.DeadLetter;
import dev.substrate.jobs.config.SubstrateOptions;
import dev.substrate.jobs.stage.StageContext;
import dev.substrate.operators.pii.PiiKeySource;
import dev.substrate.schemas.EventType;
import dev.substrate.sinks.kafka.KafkaOutputSink;
import dev.substrate.sinks.lake.IcebergLakeSink;
import dev.substrate.sinks.lake.LakeCatalogConfig;
import dev.substrate.sinks.lake.LakeTableSpec;
import dev.substrate.sinks.vector.BackgroundEmbedding;
import dev.substrate.sinks.vector.DocumentTypeInfo;
import dev.substrate.sinks.vector.VectorStoreSink;
import dev.substrate.vectors.EmbeddedDocument;
import dev.substrate.vectors.VectorDocument;
import dev.substrate.vectors.embedding.EmbedderConfig;
import dev.substrate.vectors.store.VectorStoreConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import javax.annotation.Nullable;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;

/**
 * The vector stage: what the pipeline learns becomes retrievable by agents within a checkpoint.
 * Records of each kind become documents (one {@link DocumentMapper} per kind), are embedded in
 * batches on a background thread that the pipeline never waits for, and are written to the vector
 * store in commits that line up with checkpoints; a document that cannot be embedded goes to dead
 * letters with the reason.
 *
 * <pre>
 *  NodeHealth ──────► NodeHealthDocuments ─────┐
 *  GpuAnomaly ──────► GpuAnomalyDocuments ─────┤                   ┌─► VectorStoreSink (p=1) ─► Lucene index / Qdrant
 *  EnterpriseEvent ─► EnterpriseEventDocuments ┼─► embed (in the ──┤    commits on checkpoints, "complete up to" its watermark
 *  DeadLetter ──────► DeadLetterDocuments ─────┘   background,     └─► failures ─► dead_letters, substrate.dead-letters
 *                      (PII in free text           batched, in
 *                       tokenized)                 order; never
 *                                                  holds the job)
 * </pre>
 *
 * <p>Usage, as {@code SubstrateJob.build} wires it:
 *
 * <pre>{@code
 * VectorDocumentsStage.Output vectors =
 *         new VectorDocumentsStage(VectorDocumentsStage.Settings.from(config, context))
 *                 .addTo(VectorDocumentsStage.documents()
 *                         .from(fleet.nodeHealth(), new NodeHealthDocuments())
 *                         .from(ingest.enterpriseEvents(), new EnterpriseEventDocuments()));
 * }</pre>
 *
 * <p>Operator uids (stable, for savepoints): {@code vector-documents-<mapper name>}, {@code
 * vector-embed}, {@code vector-failures}, {@code vector-store}, {@code lake-dead_letters-vectors},
 * {@code kafka-dead-letters-vectors}.
 */
public final class VectorDocumentsStage {

    public static final String EMBED_UID = "vector-embed";
    public static final String STORE_UID = "vector-store";

    private final Settings settings;

    public VectorDocumentsStage(Settings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    /** An empty list of document sources, to add each kind to with {@link Documents#from}. */
    public static Documents documents() {
        return new Documents();
    }

    /** The streams documents are made from, each with its mapper. */
    public static final class Documents {
        private final List<Source<?>> sources = new ArrayList<>();

        private Documents() {}

        /** Documents of {@code stream}'s records, made by {@code mapper}. */
        public <T> Documents from(DataStream<T> stream, DocumentMapper<T> mapper) {
            sources.add(
                    new Source<>(Objects.requireNonNull(stream), Objects.requireNonNull(mapper)));
            return this;
        }

        private record Source<T>(DataStream<T> stream, DocumentMapper<T> mapper) {}
    }

    /** Adds the stage behind {@code documents}; does nothing when the stage is disabled. */
    public Output addTo(Documents documents) {
        if (!settings.enabled() || documents.sources.isEmpty()) {
            return Output.NONE;
        }
        // Creates the local key file if needed (the ingest does too; whichever is first).
        settings.piiKeys().prepare(System.getenv());
        DataStream<VectorDocument> all = null;
        for (Documents.Source<?> source : documents.sources) {
            DataStream<VectorDocument> made = map(source);
            all = all == null ? made : all.union(made);
        }

        SingleOutputStreamOperator<EmbeddedDocument> embedded =
                BackgroundEmbedding.embed(
                        all,
                        BackgroundEmbedding.settings(settings.embedder())
                                .batchSize(settings.batchSize())
                                .maxDelay(settings.maxDelay())
                                .maxBacklog(settings.maxBacklog()),
                        EMBED_UID);
        SingleOutputStreamOperator<EmbeddedDocument> storable =
                embedded.process(new EmbeddingDeadLetters())
                        .returns(DocumentTypeInfo.EMBEDDED)
                        .uid("vector-failures")
                        .name("vector failures to dead letters");
        VectorStoreSink.writeFrom(storable, settings.store(), settings.dimensions(), STORE_UID);

        DataStream<DeadLetter> deadLetters =
                storable.getSideOutput(EmbeddingDeadLetters.DEAD_LETTERS);
        if (settings.catalog() != null) {
            IcebergLakeSink.append(
                    deadLetters,
                    settings.catalog(),
                    LakeTableSpec.of(EventType.DEAD_LETTER),
                    IcebergLakeSink.LOW_VOLUME_WRITERS,
                    EventType.DEAD_LETTER.tableName() + "-vectors");
        }
        if (settings.deadLetterOutput() != null) {
            settings.deadLetterOutput().writeFrom(deadLetters, "kafka-dead-letters-vectors");
        }
        return new Output(all, storable, deadLetters);
    }

    private <T> DataStream<VectorDocument> map(Documents.Source<T> source) {
        return source.stream()
                .flatMap(new DocumentMapping<>(source.mapper(), settings.piiKeys()))
                .returns(DocumentTypeInfo.DOCUMENTS)
                .uid("vector-documents-" + source.mapper().name())
                .name("documents: " + source.mapper().name());
    }

    /**
     * Where documents go and how they are embedded.
     *
     * @param enabled false adds nothing to the job
     * @param store the vector store the committer writes (null when disabled)
     * @param embedder the embedding model, opened in each embedding task (null when disabled)
     * @param dimensions the vectors' dimension, 0 when the first vector tells
     * @param batchSize documents embedded together
     * @param maxDelay how long a document waits for its batch to fill
     * @param maxBacklog documents a subtask holds for embedding before new ones fail at once
     * @param piiKeys the job's PII key, for free text in documents
     * @param catalog the lake catalog for embedding failures' dead letters; null for none (tests)
     * @param deadLetterOutput the dead-letter topic for them; null for none (tests)
     */
    public record Settings(
            boolean enabled,
            @Nullable VectorStoreConfig store,
            @Nullable EmbedderConfig embedder,
            int dimensions,
            int batchSize,
            Duration maxDelay,
            int maxBacklog,
            PiiKeySource piiKeys,
            @Nullable LakeCatalogConfig catalog,
            @Nullable KafkaOutputSink<DeadLetter> deadLetterOutput) {

        public Settings {
            if (enabled) {
                Objects.requireNonNull(store, "store");
                Objects.requireNonNull(embedder, "embedder");
            }
            Objects.requireNonNull(maxDelay, "maxDelay");
            Objects.requireNonNull(piiKeys, "piiKeys");
            if (batchSize < 1) {
                throw new IllegalArgumentException(
                        VectorOptions.BATCH_SIZE.key() + " must be at least 1, not " + batchSize);
            }
        }

        /**
         * The settings of {@code config} ({@link VectorOptions}) in {@code context}.
         *
         * @throws IllegalArgumentException naming the option, when the configuration is incomplete
         */
        public static Settings from(ReadableConfig config, StageContext context) {
            boolean enabled = config.get(VectorOptions.ENABLED);
            PiiKeySource piiKeys =
                    new PiiKeySource(
                            config.get(SubstrateOptions.PII_MODE),
                            config.get(SubstrateOptions.PII_KEY_FILE));
            if (!enabled) {
                return new Settings(false, null, null, 0, 1, Duration.ZERO, 1, piiKeys, null, null);
            }
            return new Settings(
                    true,
                    VectorOptions.store(config),
                    VectorOptions.embedder(config),
                    VectorOptions.dimensions(config),
                    config.get(VectorOptions.BATCH_SIZE),
                    config.get(VectorOptions.MAX_DELAY),
                    config.get(VectorOptions.MAX_BACKLOG),
                    piiKeys,
                    context.lake(),
                    context.<DeadLetter>kafkaOutput(
                                    DeadLetter.getClassSchema(),
                                    config.get(SubstrateOptions.DEAD_LETTER_TOPIC))
                            .key(DeadLetter::getSourceTopic)
                            .recordId(EmbeddingDeadLetters::recordId)
                            .build());
        }

        /** The same stage writing no dead letters to the lake or Kafka (tests). */
        public Settings withoutDeadLetterSinks() {
            return new Settings(
                    enabled,
                    store,
                    embedder,
                    dimensions,
                    batchSize,
                    maxDelay,
                    maxBacklog,
                    piiKeys,
                    null,
                    null);
        }

        /**
         * The Kafka topics the stage writes that no stage before it writes: none, its dead letters
         * go to the ingest's dead-letter topic.
         */
        public List<String> topics() {
            return List.of();
        }
    }

    /**
     * The documents made, those stored (embedded), and the dead letters of those that could not be
     * embedded; all null when the stage is disabled.
     */
    public record Output(
            @Nullable DataStream<VectorDocument> documents,
            @Nullable DataStream<EmbeddedDocument> stored,
            @Nullable DataStream<DeadLetter> deadLetters) {

        static final Output NONE = new Output(null, null, null);
    }
}
