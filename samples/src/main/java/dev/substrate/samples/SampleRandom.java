package dev.substrate.samples;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.UUID;

/**
 * The random draws of the sample generators. Built on {@link Random}, whose algorithm the JDK
 * specifies, so a seed gives the same events on every JVM.
 */
final class SampleRandom {

    private final Random random;

    /** A stream of draws for one generator: {@code stream} keeps generators independent. */
    SampleRandom(long seed, String stream) {
        this.random = new Random(mix(seed, stream));
    }

    double uniform() {
        return random.nextDouble();
    }

    double between(double low, double high) {
        return low + (high - low) * random.nextDouble();
    }

    int between(int lowInclusive, int highInclusive) {
        return lowInclusive + random.nextInt(highInclusive - lowInclusive + 1);
    }

    boolean chance(double probability) {
        return random.nextDouble() < probability;
    }

    double gaussian() {
        return random.nextGaussian();
    }

    <T> T pick(List<T> values) {
        return values.get(random.nextInt(values.size()));
    }

    /** Picks {@code values[i]} with probability proportional to {@code weights[i]}. */
    <T> T weighted(List<T> values, double[] weights) {
        double total = 0;
        for (double weight : weights) {
            total += weight;
        }
        double draw = random.nextDouble() * total;
        for (int i = 0; i < values.size(); i++) {
            draw -= weights[i];
            if (draw < 0) {
                return values.get(i);
            }
        }
        return values.get(values.size() - 1);
    }

    /** A number of steps, geometrically distributed with the given mean (at least 1). */
    int geometric(double mean) {
        double p = 1.0 / Math.max(1.0, mean);
        return 1 + (int) Math.floor(Math.log(1 - random.nextDouble()) / Math.log(1 - p + 1e-12));
    }

    /** A deterministic id: the same parts always give the same UUID. */
    static String uuid(String... parts) {
        return UUID.nameUUIDFromBytes(String.join("/", parts).getBytes(StandardCharsets.UTF_8))
                .toString();
    }

    private static long mix(long seed, String stream) {
        // SplitMix64 finaliser over the seed and the stream name.
        long z = seed * 0x9E3779B97F4A7C15L + stream.hashCode();
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
