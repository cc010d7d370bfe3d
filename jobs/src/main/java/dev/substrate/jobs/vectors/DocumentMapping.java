package dev.substrate.jobs.vectors;

import dev.substrate.operators.pii.FreeTextTokenizer;
import dev.substrate.operators.pii.PiiKeySource;
import dev.substrate.operators.pii.PiiTokenizer;
import dev.substrate.vectors.VectorDocument;
import java.util.Objects;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichFlatMapFunction;
import org.apache.flink.metrics.Counter;
import org.apache.flink.util.Collector;

/** Runs a {@link DocumentMapper} in the job: opens it with the PII key, drops what it skips. */
final class DocumentMapping<T> extends RichFlatMapFunction<T, VectorDocument> {

    private static final long serialVersionUID = 1L;

    private final DocumentMapper<T> mapper;
    private final PiiKeySource piiKeys;
    private transient Counter documents;

    DocumentMapping(DocumentMapper<T> mapper, PiiKeySource piiKeys) {
        this.mapper = Objects.requireNonNull(mapper, "mapper");
        this.piiKeys = Objects.requireNonNull(piiKeys, "piiKeys");
    }

    @Override
    public void open(OpenContext context) {
        PiiTokenizer tokenizer = new PiiTokenizer(piiKeys.load(System.getenv()));
        mapper.open(new MapperContext(new FreeTextTokenizer(tokenizer)));
        documents = getRuntimeContext().getMetricGroup().counter("vectorDocuments");
    }

    @Override
    public void flatMap(T record, Collector<VectorDocument> out) {
        VectorDocument document = mapper.toDocument(record);
        if (document != null) {
            documents.inc();
            out.collect(document);
        }
    }
}
