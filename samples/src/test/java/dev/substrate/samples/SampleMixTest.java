package dev.substrate.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.substrate.schemas.EventType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SampleMixTest {

    private static List<SampleEvent> all(SampleMix mix) {
        List<SampleEvent> events = new ArrayList<>();
        mix.forEachRemaining(events::add);
        return events;
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 1, 3, 7, 100, 1001, 12_345})
    void yieldsExactlyThePlannedCountOfEachType(long total) {
        Map<EventType, Long> planned = SampleMix.plannedCounts(total);
        assertThat(planned.keySet()).containsExactlyInAnyOrderElementsOf(EventType.inputs());
        assertThat(planned.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(total);

        SampleMix mix = SampleMix.of(42, total);
        assertThat(mix.counts()).isEqualTo(planned);
        Map<EventType, Long> seen = new EnumMap<>(EventType.class);
        for (SampleEvent event : all(mix)) {
            seen.merge(event.type(), 1L, Long::sum);
            assertThat(event.record()).isInstanceOf(event.type().recordClass());
        }
        for (EventType type : EventType.inputs()) {
            assertThat(seen.getOrDefault(type, 0L)).as("%s", type).isEqualTo(planned.get(type));
        }
        assertThat(mix.hasNext()).isFalse();
        assertThat(mix.emitted()).isEqualTo(total);
        assertThatThrownBy(mix::next).isInstanceOf(NoSuchElementException.class);
    }

    @Test
    void plannedCountsFollowTheSharesForAnyTotal() {
        Map<EventType, Long> counts = SampleMix.plannedCounts(10_000);
        assertThat(counts)
                .containsEntry(EventType.GPU_SAMPLE, 5500L)
                .containsEntry(EventType.WORKLOAD_REQUEST, 1500L)
                .containsEntry(EventType.AUDIT_EVENT, 1800L)
                .containsEntry(EventType.ENTERPRISE_EVENT, 1200L);
        assertThat(
                        SampleMix.plannedCounts(Long.MAX_VALUE).values().stream()
                                .mapToLong(Long::longValue)
                                .reduce(0L, Math::addExact))
                .isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void sameSeedGivesTheSameSequence() {
        List<SampleEvent> first = all(SampleMix.of(5, 4000));
        assertThat(all(SampleMix.of(5, 4000))).isEqualTo(first);
        assertThat(all(SampleMix.of(6, 4000))).isNotEqualTo(first);
    }

    @Test
    void typesAreInterleavedAndRoughlyInEventTimeOrder() {
        Instant start = Instant.parse("2026-12-24T18:00:00Z");
        SampleMix mix = new SampleMix(SampleMix.Config.of(77, 20_000).withStart(start));
        List<SampleEvent> events = all(mix);

        assertThat(events.get(0).timestamp()).isAfterOrEqualTo(start);
        // Within every window of 100 events all four types appear.
        for (int from = 0; from + 100 <= events.size(); from += 100) {
            assertThat(events.subList(from, from + 100).stream().map(SampleEvent::type).distinct())
                    .hasSize(4);
        }
        Instant latest = Instant.MIN;
        Duration worstLag = Duration.ZERO;
        for (SampleEvent event : events) {
            Instant t = event.timestamp();
            if (t.isBefore(latest)) {
                Duration lag = Duration.between(t, latest);
                worstLag = lag.compareTo(worstLag) > 0 ? lag : worstLag;
            } else {
                latest = t;
            }
        }
        assertThat(worstLag).isLessThan(Duration.ofSeconds(5));
        // All types span about the same stretch of event time.
        Map<EventType, Instant> lastByType = new EnumMap<>(EventType.class);
        events.forEach(e -> lastByType.put(e.type(), e.timestamp()));
        Instant end = lastByType.get(EventType.GPU_SAMPLE);
        assertThat(lastByType.values())
                .allSatisfy(
                        t ->
                                assertThat(Duration.between(t, end).abs())
                                        .isLessThan(Duration.ofSeconds(30)));
    }

    @Test
    void everyEventIsValidForItsSchemaAndUniqueAndSomeCarryV2Fields() throws IOException {
        List<SampleEvent> events = all(SampleMix.of(13, 5000));
        Set<String> ids = new HashSet<>();
        long withMig = 0;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        for (SampleEvent event : events) {
            SpecificRecord record = event.record();
            new SpecificDatumWriter<SpecificRecord>(record.getSchema()).write(record, encoder);
            ids.add(event.type() + "/" + record.get(record.getSchema().getField("event_id").pos()));
            if (record instanceof dev.substrate.events.GpuSample sample) {
                assertThat(sample.getPowerLimitW()).isNotNull();
                assertThat(event.key()).isEqualTo(sample.getGpuUuid());
                if (sample.getMigProfile() != null) {
                    withMig++;
                }
            }
        }
        encoder.flush();
        assertThat(out.size()).isPositive();
        assertThat(ids).hasSize(events.size());
        assertThat(withMig).isPositive();
    }
}
