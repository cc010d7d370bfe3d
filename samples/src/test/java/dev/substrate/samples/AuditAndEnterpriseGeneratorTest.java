package dev.substrate.samples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.events.AuditAction;
import dev.substrate.events.AuditEvent;
import dev.substrate.events.AuditOutcome;
import dev.substrate.events.DataClassification;
import dev.substrate.events.EnterpriseEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class AuditAndEnterpriseGeneratorTest {

    private static final Instant START = Instant.parse("2026-11-26T00:00:00Z");
    private static final String EMAIL = "[a-z0-9.-]+@[a-z]+\\.example";

    private static <T> List<T> take(Iterator<T> generator, int count) {
        List<T> events = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            events.add(generator.next());
        }
        return events;
    }

    private static List<AuditEvent> audits(long seed, int count) {
        return take(new AuditEventGenerator(seed, START, Duration.ofMillis(500)), count);
    }

    private static List<EnterpriseEvent> enterprise(long seed, int count) {
        return take(new EnterpriseEventGenerator(seed, START, Duration.ofMillis(500)), count);
    }

    @Test
    void sameSeedGivesTheSameEvents() {
        assertThat(audits(1, 3000)).isEqualTo(audits(1, 3000)).isNotEqualTo(audits(2, 3000));
        assertThat(enterprise(1, 3000))
                .isEqualTo(enterprise(1, 3000))
                .isNotEqualTo(enterprise(2, 3000));
    }

    @Test
    void auditEventsLookRealAndContainWhatPoliciesLookFor() {
        List<AuditEvent> events = audits(9, 20_000);

        assertOrderedWithUniqueIds(events, AuditEvent::getTimestamp, AuditEvent::getEventId);
        assertThat(events).allSatisfy(e -> assertThat(e.getPrincipal()).matches(EMAIL));
        assertThat(events.stream().map(AuditEvent::getAction).distinct())
                .containsExactlyInAnyOrder(AuditAction.values());
        assertThat(events.stream().map(AuditEvent::getDataClassification).distinct())
                .containsExactlyInAnyOrder(DataClassification.values());
        assertThat(events)
                .filteredOn(e -> e.getAction() == AuditAction.MODEL_INVOKE)
                .allSatisfy(e -> assertThat(e.getModelVersion()).isNotNull());
        assertThat(events)
                .filteredOn(e -> e.getOutcome() == AuditOutcome.ALLOWED)
                .hasSizeGreaterThan(events.size() * 9 / 10);
        assertThat(events)
                .filteredOn(
                        e ->
                                e.getAction() == AuditAction.DATA_EXPORT
                                        && e.getDataClassification() == DataClassification.PII
                                        && e.getOutcome() == AuditOutcome.ALLOWED)
                .isNotEmpty();
        assertThat(events)
                .filteredOn(
                        e ->
                                !e.getEncryptedInTransit()
                                        && e.getDataClassification()
                                                == DataClassification.RESTRICTED)
                .isNotEmpty();
        assertThat(events)
                .filteredOn(e -> e.getResource().equals(AuditEventGenerator.EXPORTER_ROLE))
                .isNotEmpty();

        // Brute force: five or more denied logins in a row for one person from one address.
        int longestRun = 0;
        int run = 0;
        AuditEvent previous = null;
        for (AuditEvent e : events) {
            boolean deniedLogin =
                    e.getAction() == AuditAction.LOGIN && e.getOutcome() == AuditOutcome.DENIED;
            boolean continues =
                    deniedLogin
                            && previous != null
                            && previous.getPrincipal().equals(e.getPrincipal())
                            && previous.getSourceAddress().equals(e.getSourceAddress());
            run = deniedLogin ? (continues ? run + 1 : 1) : 0;
            longestRun = Math.max(longestRun, run);
            previous = deniedLogin ? e : null;
        }
        assertThat(longestRun).isGreaterThanOrEqualTo(5);
    }

    @Test
    void enterpriseEventsCarryTextAndAttributesFromEverySystem() {
        List<EnterpriseEvent> events = enterprise(4, 10_000);

        assertOrderedWithUniqueIds(
                events, EnterpriseEvent::getTimestamp, EnterpriseEvent::getEventId);
        assertThat(events.stream().map(EnterpriseEvent::getSourceSystem).distinct())
                .containsExactlyInAnyOrderElementsOf(EnterpriseEventGenerator.SOURCE_SYSTEMS);
        assertThat(events.stream().map(EnterpriseEvent::getEntityType).distinct())
                .contains(
                        "account",
                        "case",
                        "opportunity",
                        "order",
                        "invoice",
                        "shipment",
                        "service");
        assertThat(events)
                .allSatisfy(
                        e -> {
                            assertThat(e.getText()).isNotBlank();
                            assertThat(e.getAttributes()).isNotEmpty();
                            assertThat(e.getEntityId()).isNotBlank();
                            assertThat(e.getEventType()).contains(".");
                        });
        // Free text holds personal data now and then, as real notes and logs do.
        assertThat(events).anyMatch(e -> e.getText().matches(".*" + EMAIL + ".*"));
        assertThat(events).anyMatch(e -> e.getText().matches(".*\\+1-\\d{3}-555-01\\d{2}.*"));
        assertThat(events)
                .filteredOn(e -> e.getEventType().equals("log.error"))
                .allSatisfy(e -> assertThat(e.getAttributes()).containsKey("http_status"));
    }

    private static <T> void assertOrderedWithUniqueIds(
            List<T> events, Function<T, Instant> time, Function<T, String> id) {
        Set<String> ids = new HashSet<>();
        Instant previous = Instant.MIN;
        for (T event : events) {
            assertThat(time.apply(event)).isAfterOrEqualTo(previous);
            previous = time.apply(event);
            assertThat(ids.add(id.apply(event))).isTrue();
        }
        assertThat(events.get(0).equals(events.get(1))).isFalse();
    }
}
