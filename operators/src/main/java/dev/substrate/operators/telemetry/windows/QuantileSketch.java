package dev.substrate.operators.telemetry.windows;

import com.datadoghq.sketch.ddsketch.DDSketch;
import com.datadoghq.sketch.ddsketch.encoding.ByteArrayInput;
import com.datadoghq.sketch.ddsketch.encoding.GrowingByteArrayOutput;
import com.datadoghq.sketch.ddsketch.mapping.CubicallyInterpolatedMapping;
import com.datadoghq.sketch.ddsketch.store.CollapsingLowestDenseStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.flink.api.common.typeinfo.TypeInfo;

/**
 * A mergeable quantile sketch of one metric (a DDSketch with 1% relative accuracy and at most 2048
 * bins per sign), kept live in window state and written to checkpoints as its compact binary
 * encoding by {@link QuantileSketchTypeInfo}, never by Kryo.
 *
 * <p>DDSketch is chosen over t-digest because its error bound is relative to the value (a p99 of
 * 700 W is within 7 W whatever the distribution), merges are exact bin additions, and an update is
 * an index computation plus an array increment.
 */
@TypeInfo(QuantileSketchTypeInfo.Factory.class)
public final class QuantileSketch {

    /** Relative accuracy of every quantile: a reported q is within 1% of a value at that rank. */
    public static final double RELATIVE_ACCURACY = 0.01;

    /**
     * Bins per sign. With 1% accuracy, 2048 bins span about 18 orders of magnitude above the
     * smallest value before the lowest bins collapse, far beyond any GPU metric's range.
     */
    static final int MAX_BINS = 2048;

    private static final CubicallyInterpolatedMapping MAPPING =
            new CubicallyInterpolatedMapping(RELATIVE_ACCURACY);

    private final DDSketch sketch;

    public QuantileSketch() {
        this(newSketch());
    }

    private QuantileSketch(DDSketch sketch) {
        this.sketch = sketch;
    }

    private static DDSketch newSketch() {
        return new DDSketch(MAPPING, () -> new CollapsingLowestDenseStore(MAX_BINS));
    }

    public void add(double value) {
        sketch.accept(value);
    }

    /** Adds every value of {@code other} to this sketch; {@code other} is left unchanged. */
    public void merge(QuantileSketch other) {
        sketch.mergeWith(other.sketch);
    }

    public long count() {
        return (long) sketch.getCount();
    }

    public boolean isEmpty() {
        return sketch.isEmpty();
    }

    /** The value at quantile {@code q} (0 to 1); NaN when the sketch is empty. */
    public double quantile(double q) {
        return sketch.isEmpty() ? Double.NaN : sketch.getValueAtQuantile(q);
    }

    public QuantileSketch copy() {
        return new QuantileSketch(sketch.copy());
    }

    /** The DDSketch binary encoding (index mapping, then the bins). */
    public byte[] toBytes() {
        GrowingByteArrayOutput out = GrowingByteArrayOutput.withInitialCapacity(64);
        try {
            sketch.encode(out, false);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot encode a quantile sketch", e);
        }
        return out.trimmedCopy();
    }

    /** Reads what {@link #toBytes()} wrote. */
    public static QuantileSketch fromBytes(byte[] bytes) throws IOException {
        return new QuantileSketch(
                DDSketch.decode(
                        ByteArrayInput.wrap(bytes),
                        () -> new CollapsingLowestDenseStore(MAX_BINS)));
    }

    @Override
    public String toString() {
        return "QuantileSketch{count=" + count() + "}";
    }
}
