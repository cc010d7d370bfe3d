package dev.substrate.dashboard.live;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class UpdateHubTest {

    private static List<String> keys(List<Update> updates) {
        return updates.stream().map(Update::key).toList();
    }

    @Test
    void aNewSubscriberStartsFromASnapshotOfTheNewestValues() {
        UpdateHub hub = UpdateHub.startingAt(1, 10, 10, 10);
        hub.publish("windows", "a|1", "{\"v\":1}");
        hub.publish("windows", "b|1", "{\"v\":2}");
        hub.publish("windows", "a|1", "{\"v\":3}"); // a late revision of a|1

        Subscriber.Batch batch = hub.subscribe(null).take();

        assertThat(batch.snapshot().lastId()).isEqualTo(3);
        assertThat(batch.snapshot().updates())
                .extracting(Update::key, Update::json)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("b|1", "{\"v\":2}"),
                        org.assertj.core.groups.Tuple.tuple("a|1", "{\"v\":3}"));
    }

    @Test
    void aReconnectGetsExactlyWhatItMissedFromTheReplayBuffer() {
        UpdateHub hub = UpdateHub.startingAt(100, 10, 10, 10);
        for (int i = 0; i < 5; i++) {
            hub.publish("list", "k" + i, "{}"); // ids 100..104
        }

        Subscriber.Batch batch = hub.subscribe(102L).take();

        assertThat(batch.snapshot()).isNull();
        assertThat(batch.updates()).extracting(Update::id).containsExactly(103L, 104L);
        assertThat(hub.subscribe(104L).take()).isNull(); // up to date: nothing to send
    }

    @Test
    void aReconnectOlderThanTheReplayBufferGetsASnapshotNotAGap() {
        UpdateHub hub = UpdateHub.startingAt(1, 100, 3, 10);
        for (int i = 1; i <= 10; i++) {
            hub.publish("list", "k" + i, "{}");
        }

        Subscriber.Batch batch = hub.subscribe(2L).take();

        assertThat(batch.snapshot()).isNotNull();
        assertThat(batch.snapshot().updates()).hasSize(10);
        // An id from the future (a restarted dashboard) is not trusted either.
        assertThat(hub.subscribe(999L).take().snapshot()).isNotNull();
    }

    @Test
    void aSlowSubscriberKeepsOnlyTheNewestValueOfEachThing() {
        UpdateHub hub = UpdateHub.startingAt(1, 10, 100, 5);
        Subscriber slow = hub.subscribe(hub.lastId());
        for (int i = 0; i < 50; i++) {
            hub.publish("windows", "cluster-" + (i % 3), "{\"i\":" + i + "}");
        }

        assertThat(slow.pendingCount()).isEqualTo(3);
        assertThat(slow.conflated()).isEqualTo(47);
        Subscriber.Batch batch = slow.take();
        assertThat(batch.updates())
                .extracting(Update::json)
                .containsExactly("{\"i\":47}", "{\"i\":48}", "{\"i\":49}");
    }

    @Test
    void aSubscriberTooFarBehindGetsOneSnapshotAndMemoryStaysBounded() {
        UpdateHub hub = UpdateHub.startingAt(1, 4, 100, 5);
        Subscriber slow = hub.subscribe(hub.lastId());
        for (int i = 0; i < 1_000; i++) {
            hub.publish("anomalies", "a" + i, "{}");
        }

        assertThat(slow.overflows()).isEqualTo(1);
        assertThat(slow.pendingCount()).isZero();
        Subscriber.Batch batch = slow.take();
        assertThat(keys(batch.snapshot().updates()))
                .containsExactly("a996", "a997", "a998", "a999");
        assertThat(hub.panel("anomalies")).hasSize(4);

        hub.publish("anomalies", "a1000", "{}");
        assertThat(keys(slow.take().updates())).containsExactly("a1000");
    }

    @Test
    void aClosedSubscriberIsForgotten() {
        UpdateHub hub = UpdateHub.create(10, 10, 10);
        Subscriber subscriber = hub.subscribe(null);
        assertThat(hub.subscriberCount()).isEqualTo(1);
        subscriber.close();
        assertThat(hub.subscriberCount()).isZero();
    }
}
