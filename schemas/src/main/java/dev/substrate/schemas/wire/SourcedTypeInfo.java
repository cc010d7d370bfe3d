package dev.substrate.schemas.wire;

import java.util.Map;
import java.util.Objects;
import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;

/**
 * Flink type information of {@link Sourced}{@code <T>}: the record with its own type's serializer
 * (Avro for the ingest) followed by the Kafka provenance, written by {@link SourcedSerializer}.
 * Never Kryo.
 *
 * <pre>{@code
 * TypeInformation<Sourced<GpuSample>> type = new SourcedTypeInfo<>(new AvroTypeInfo<>(GpuSample.class));
 * }</pre>
 */
public final class SourcedTypeInfo<T> extends TypeInformation<Sourced<T>> {

    private static final long serialVersionUID = 1L;

    private final TypeInformation<T> recordType;

    public SourcedTypeInfo(TypeInformation<T> recordType) {
        this.recordType = Objects.requireNonNull(recordType, "recordType");
    }

    /** The type of the records inside. */
    public TypeInformation<T> recordType() {
        return recordType;
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
    @SuppressWarnings({"unchecked", "rawtypes"})
    public Class<Sourced<T>> getTypeClass() {
        return (Class) Sourced.class;
    }

    @Override
    public Map<String, TypeInformation<?>> getGenericParameters() {
        return Map.of("T", recordType);
    }

    @Override
    public boolean isKeyType() {
        return false;
    }

    @Override
    public TypeSerializer<Sourced<T>> createSerializer(SerializerConfig config) {
        return new SourcedSerializer<>(recordType.createSerializer(config));
    }

    @Override
    public String toString() {
        return "Sourced<" + recordType + ">";
    }

    @Override
    public boolean equals(Object obj) {
        return obj instanceof SourcedTypeInfo<?> other && recordType.equals(other.recordType);
    }

    @Override
    public int hashCode() {
        return 31 * SourcedTypeInfo.class.hashCode() + recordType.hashCode();
    }

    @Override
    public boolean canEqual(Object obj) {
        return obj instanceof SourcedTypeInfo;
    }
}
