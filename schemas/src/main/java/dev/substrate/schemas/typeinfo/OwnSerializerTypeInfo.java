package dev.substrate.schemas.typeinfo;

import java.io.Serial;
import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;

/**
 * Flink type information of a class that has a serializer written for it: an atomic type (no fields
 * Flink sees) whose serializer is always the same one. No Kryo, and no POJO analysis of a class
 * that is not a POJO. Subclasses name the type and its serializer:
 *
 * <pre>{@code
 * public final class QuantileSketchTypeInfo extends OwnSerializerTypeInfo<QuantileSketch> {
 *     public QuantileSketchTypeInfo() {
 *         super(QuantileSketch.class, new QuantileSketchSerializer());
 *     }
 * }
 * }</pre>
 */
public abstract class OwnSerializerTypeInfo<T> extends TypeInformation<T> {

    @Serial private static final long serialVersionUID = 1L;

    private final Class<T> typeClass;
    private final TypeSerializer<T> serializer;

    protected OwnSerializerTypeInfo(Class<T> typeClass, TypeSerializer<T> serializer) {
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
        return obj != null
                && obj.getClass() == getClass()
                && ((OwnSerializerTypeInfo<?>) obj).typeClass == typeClass;
    }

    @Override
    public int hashCode() {
        return 31 * getClass().hashCode() + typeClass.hashCode();
    }

    @Override
    public boolean canEqual(Object obj) {
        return obj != null && obj.getClass() == getClass();
    }
}
