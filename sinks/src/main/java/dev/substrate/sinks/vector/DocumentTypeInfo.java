package dev.substrate.sinks.vector;

import dev.substrate.vectors.EmbeddedDocument;
import dev.substrate.vectors.VectorDocument;
import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;

/**
 * Flink type information of the vector layer's documents: {@link #DOCUMENTS} and {@link #EMBEDDED}
 * streams, with their own serializers (no Kryo, no POJO analysis of a class Flink does not own).
 *
 * <pre>{@code
 * DataStream<VectorDocument> docs = health.flatMap(mapping).returns(DocumentTypeInfo.DOCUMENTS);
 * }</pre>
 */
public final class DocumentTypeInfo<T> extends TypeInformation<T> {

    private static final long serialVersionUID = 1L;

    /** Documents before embedding. */
    public static final DocumentTypeInfo<VectorDocument> DOCUMENTS =
            new DocumentTypeInfo<>(VectorDocument.class, VectorDocumentSerializer.INSTANCE);

    /** Documents with their vector (or the reason they have none). */
    public static final DocumentTypeInfo<EmbeddedDocument> EMBEDDED =
            new DocumentTypeInfo<>(EmbeddedDocument.class, EmbeddedDocumentSerializer.INSTANCE);

    private final Class<T> typeClass;
    private final TypeSerializer<T> serializer;

    private DocumentTypeInfo(Class<T> typeClass, TypeSerializer<T> serializer) {
        this.typeClass = typeClass;
        this.serializer = serializer;
    }

    @Override
    public boolean isBasicType() {
        return false;
    }

    @Override
    public boolean isTupleType() {
        return false;
    }

    @Override
    public int getArity() {
        return 1;
    }

    @Override
    public int getTotalFields() {
        return 1;
    }

    @Override
    public Class<T> getTypeClass() {
        return typeClass;
    }

    @Override
    public boolean isKeyType() {
        return false;
    }

    @Override
    public TypeSerializer<T> createSerializer(SerializerConfig config) {
        return serializer;
    }

    @Override
    public String toString() {
        return typeClass.getSimpleName();
    }

    @Override
    public boolean equals(Object obj) {
        return obj instanceof DocumentTypeInfo<?> other && other.typeClass == typeClass;
    }

    @Override
    public int hashCode() {
        return typeClass.hashCode();
    }

    @Override
    public boolean canEqual(Object obj) {
        return obj instanceof DocumentTypeInfo<?>;
    }
}
