package dev.substrate.sources.kafka;

import dev.substrate.events.DeadLetter;
import dev.substrate.schemas.wire.Sourced;
import org.apache.flink.api.java.typeutils.EitherTypeInfo;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.types.Either;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Splits the output of a {@link RegistryAwareDeserializationSchema}: decoded records (with their
 * provenance, {@link Sourced}) go to the main output, dead letters to the side output {@link
 * #DEAD_LETTERS}. {@link #split} sets the type information of both outputs, so nothing falls back
 * to Kryo.
 *
 * <pre>{@code
 * SingleOutputStreamOperator<Sourced<GpuSample>> samples =
 *         DeadLetterSplitter.split(decoded, "gpu_samples");
 * DataStream<DeadLetter> deadLetters = samples.getSideOutput(DeadLetterSplitter.DEAD_LETTERS);
 * // or by hand: decoded.process(new DeadLetterSplitter<Sourced<GpuSample>>())
 * //                    .returns(new SourcedTypeInfo<>(new AvroTypeInfo<>(GpuSample.class)))
 * }</pre>
 */
public class DeadLetterSplitter<T> extends ProcessFunction<Either<DeadLetter, T>, T> {

    private static final long serialVersionUID = 1L;

    /** Side output of the records that could not be accepted. */
    public static final OutputTag<DeadLetter> DEAD_LETTERS =
            new OutputTag<>("dead-letters", new AvroTypeInfo<>(DeadLetter.class));

    /**
     * Applies the splitter to {@code input}, taking the main output type from the input's {@code
     * EitherTypeInfo} (as produced by {@link RegistryAwareDeserializationSchema}: {@code
     * Sourced<T>}). The operator's uid and name are {@code "split-dead-letters-<name>"}.
     */
    public static <T> SingleOutputStreamOperator<T> split(
            DataStream<Either<DeadLetter, T>> input, String name) {
        if (!(input.getType() instanceof EitherTypeInfo<DeadLetter, T> either)) {
            throw new IllegalArgumentException(
                    "Input type must be an EitherTypeInfo, was "
                            + input.getType()
                            + "; use RegistryAwareDeserializationSchema.producedType(...)");
        }
        String id = "split-dead-letters-" + name;
        return input.process(new DeadLetterSplitter<T>())
                .returns(either.getRightType())
                .uid(id)
                .name(id);
    }

    @Override
    public void processElement(Either<DeadLetter, T> value, Context ctx, Collector<T> out) {
        if (value.isRight()) {
            out.collect(value.right());
        } else {
            ctx.output(DEAD_LETTERS, value.left());
        }
    }
}
