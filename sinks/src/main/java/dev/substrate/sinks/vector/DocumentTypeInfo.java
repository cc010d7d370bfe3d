package dev.substrate.sinks.vector;

import dev.substrate.schemas.typeinfo.OwnSerializerTypeInfo;
import dev.substrate.vectors.EmbeddedDocument;
import dev.substrate.vectors.VectorDocument;
import org.apache.flink.api.common.typeutils.TypeSerializer;

/**
 * Flink type information of the vector layer's documents: {@link #DOCUMENTS} and {@link #EMBEDDED}
 * streams, with their own serializers (no Kryo, no POJO analysis of a class Flink does not own).
 *
 * <pre>{@code
 * DataStream<VectorDocument> docs = health.flatMap(mapping).returns(DocumentTypeInfo.DOCUMENTS);
 * }</pre>
 */
public final class DocumentTypeInfo<T> extends OwnSerializerTypeInfo<T> {

    private static final long serialVersionUID = 1L;

    /** Documents before embedding. */
    public static final DocumentTypeInfo<VectorDocument> DOCUMENTS =
            new DocumentTypeInfo<>(VectorDocument.class, VectorDocumentSerializer.INSTANCE);

    /** Documents with their vector (or the reason they have none). */
    public static final DocumentTypeInfo<EmbeddedDocument> EMBEDDED =
            new DocumentTypeInfo<>(EmbeddedDocument.class, EmbeddedDocumentSerializer.INSTANCE);

    private DocumentTypeInfo(Class<T> typeClass, TypeSerializer<T> serializer) {
        super(typeClass, serializer);
    }
}
