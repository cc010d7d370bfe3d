package dev.substrate.samples;

import dev.substrate.schemas.EventType;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;

/**
 * A deterministic sequence of good events of all four input types, interleaved, with exactly {@link
 * #plannedCounts(long)} of each: telemetry from a {@link SyntheticFleet}, and requests, audit and
 * enterprise events from their generators.
 *
 * <p>All four types cover the same span of event time, set by the fleet (its size and sample
 * interval), and are interleaved evenly, so the merged sequence is in event-time order to within a
 * few events' spacing. The same seed and count always give the same events. State is small: the mix
 * can run for any count, {@link Long#MAX_VALUE} included.
 *
 * <pre>{@code
 * SampleMix mix = SampleMix.of(42, 10_000);
 * Map<EventType, Long> expected = mix.counts(); // known before sending anything
 * while (mix.hasNext()) {
 *     SampleEvent event = mix.next();
 *     send(event.type().topic(), event.key(), event.record());
 * }
 * }</pre>
 */
public final class SampleMix implements Iterator<SampleEvent> {

    /** The share of each input type in a mix. */
    public static final Map<EventType, Double> SHARES = shares();

    /**
     * What to generate.
     *
     * @param seed the seed of every generator
     * @param total the number of events, all types together
     * @param fleet the fleet whose telemetry is mixed in; its start is the mix's start
     */
    public record Config(long seed, long total, SyntheticFleet.Config fleet) {
        public Config {
            if (total < 0) {
                throw new IllegalArgumentException("total must not be negative: " + total);
            }
            Objects.requireNonNull(fleet, "fleet");
        }

        /** The default fleet ({@link SyntheticFleet.Config#defaults(long)}) with the same seed. */
        public static Config of(long seed, long total) {
            return new Config(seed, total, SyntheticFleet.Config.defaults(seed));
        }

        /** The same mix starting at another event time. */
        public Config withStart(Instant start) {
            return new Config(seed, total, fleet.withStart(start));
        }

        public Instant start() {
            return fleet.start();
        }
    }

    private static final List<EventType> TYPES = EventType.inputs();

    private final Config config;
    private final Map<EventType, Long> counts;
    private final long[] planned;
    private final long[] emitted;
    private final SyntheticFleet fleet;
    private final WorkloadRequestGenerator requests;
    private final AuditEventGenerator audits;
    private final EnterpriseEventGenerator enterprise;
    private long done;

    public SampleMix(Config config) {
        this.config = Objects.requireNonNull(config, "config");
        this.counts = plannedCounts(config.total());
        this.planned = new long[TYPES.size()];
        this.emitted = new long[TYPES.size()];
        for (int i = 0; i < TYPES.size(); i++) {
            planned[i] = counts.get(TYPES.get(i));
        }
        SyntheticFleet.Config fleetConfig = config.fleet();
        this.fleet = new SyntheticFleet(fleetConfig);
        Instant start = fleetConfig.start();
        List<String> fleetRegions =
                fleet.gpus().stream().map(SyntheticFleet.Gpu::region).distinct().toList();
        this.requests =
                new WorkloadRequestGenerator(
                        config.seed(), start, spacing(EventType.WORKLOAD_REQUEST), fleetRegions);
        this.audits = new AuditEventGenerator(config.seed(), start, spacing(EventType.AUDIT_EVENT));
        this.enterprise =
                new EnterpriseEventGenerator(
                        config.seed(), start, spacing(EventType.ENTERPRISE_EVENT));
    }

    /** A mix of {@code total} events from the default fleet, starting 2026-11-26T00:00Z. */
    public static SampleMix of(long seed, long total) {
        return new SampleMix(Config.of(seed, total));
    }

    /**
     * How many events of each input type a mix of {@code total} holds: {@link #SHARES} of the
     * total, rounded so that the counts add up to {@code total} exactly.
     */
    public static Map<EventType, Long> plannedCounts(long total) {
        if (total < 0) {
            throw new IllegalArgumentException("total must not be negative: " + total);
        }
        Map<EventType, Long> counts = new EnumMap<>(EventType.class);
        double[] remainders = new double[TYPES.size()];
        long assigned = 0;
        for (int i = 0; i < TYPES.size(); i++) {
            double exact = total * SHARES.get(TYPES.get(i));
            long floor = Math.min(total - assigned, (long) Math.floor(exact));
            counts.put(TYPES.get(i), floor);
            remainders[i] = exact - floor;
            assigned += floor;
        }
        // Largest remainders first; ties go to the earlier type.
        while (assigned < total) {
            int best = 0;
            for (int i = 1; i < TYPES.size(); i++) {
                if (remainders[i] > remainders[best]) {
                    best = i;
                }
            }
            counts.merge(TYPES.get(best), 1L, Long::sum);
            remainders[best] = -1;
            assigned++;
        }
        return Collections.unmodifiableMap(counts);
    }

    public Config config() {
        return config;
    }

    /** The number of events of each type this mix yields in all. */
    public Map<EventType, Long> counts() {
        return counts;
    }

    /** The fleet whose telemetry is mixed in. */
    public SyntheticFleet fleet() {
        return fleet;
    }

    /** Events yielded so far. */
    public long emitted() {
        return done;
    }

    @Override
    public boolean hasNext() {
        return done < config.total();
    }

    @Override
    public SampleEvent next() {
        if (!hasNext()) {
            throw new NoSuchElementException("All " + config.total() + " events were yielded");
        }
        // The type furthest behind its share goes next: even interleaving, exact counts.
        int chosen = -1;
        double lowest = Double.MAX_VALUE;
        for (int i = 0; i < TYPES.size(); i++) {
            if (emitted[i] < planned[i]) {
                double progress = (emitted[i] + 0.5) / planned[i];
                if (progress < lowest) {
                    lowest = progress;
                    chosen = i;
                }
            }
        }
        emitted[chosen]++;
        done++;
        return switch (TYPES.get(chosen)) {
            case GPU_SAMPLE -> SampleEvent.of(fleet.next());
            case WORKLOAD_REQUEST -> SampleEvent.of(requests.next());
            case AUDIT_EVENT -> SampleEvent.of(audits.next());
            case ENTERPRISE_EVENT -> SampleEvent.of(enterprise.next());
            default -> throw new IllegalStateException("Not an input type: " + TYPES.get(chosen));
        };
    }

    /** The mean spacing that spreads a type's events over the fleet's span of event time. */
    private Duration spacing(EventType type) {
        SyntheticFleet.Config fleetConfig = config.fleet();
        double gpuSamples = Math.max(1, counts.get(EventType.GPU_SAMPLE));
        double events = Math.max(1, counts.get(type));
        double spanMillis =
                fleetConfig.sampleInterval().toMillis() * gpuSamples / fleetConfig.totalGpus();
        return Duration.ofNanos(Math.max(1, Math.round(spanMillis / events * 1e6)));
    }

    private static Map<EventType, Double> shares() {
        Map<EventType, Double> shares = new EnumMap<>(EventType.class);
        shares.put(EventType.GPU_SAMPLE, 0.55);
        shares.put(EventType.WORKLOAD_REQUEST, 0.15);
        shares.put(EventType.AUDIT_EVENT, 0.18);
        shares.put(EventType.ENTERPRISE_EVENT, 0.12);
        return Collections.unmodifiableMap(shares);
    }
}
