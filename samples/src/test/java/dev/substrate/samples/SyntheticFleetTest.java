package dev.substrate.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.substrate.events.GpuSample;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class SyntheticFleetTest {

    private static List<GpuSample> take(SyntheticFleet fleet, int count) {
        List<GpuSample> samples = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            samples.add(fleet.next());
        }
        return samples;
    }

    @Test
    void sameSeedGivesTheSameSamplesAndAnotherSeedOthers() {
        List<GpuSample> first = take(new SyntheticFleet(SyntheticFleet.Config.defaults(7)), 5000);
        List<GpuSample> again = take(new SyntheticFleet(SyntheticFleet.Config.defaults(7)), 5000);
        List<GpuSample> other = take(new SyntheticFleet(SyntheticFleet.Config.defaults(8)), 5000);

        assertThat(again).isEqualTo(first);
        assertThat(other).isNotEqualTo(first);
        // The fleet's layout (names, uuids) does not depend on the seed, its behaviour does.
        assertThat(other.get(0).getGpuUuid()).isEqualTo(first.get(0).getGpuUuid());
    }

    @Test
    void layoutFollowsTheConfig() {
        SyntheticFleet.Config config =
                new SyntheticFleet.Config(
                        3,
                        2,
                        5,
                        4,
                        1,
                        Duration.ofSeconds(5),
                        Instant.parse("2026-12-01T00:00:00Z"));
        SyntheticFleet fleet = new SyntheticFleet(config);

        assertThat(fleet.gpus()).hasSize(120);
        assertThat(config.totalGpus()).isEqualTo(120);
        assertThat(fleet.gpus().stream().map(SyntheticFleet.Gpu::region).distinct())
                .containsExactly("us-east-1", "us-west-2", "eu-west-1");
        assertThat(fleet.gpus().stream().map(SyntheticFleet.Gpu::cluster).distinct()).hasSize(6);
        assertThat(fleet.gpus().stream().map(SyntheticFleet.Gpu::node).distinct()).hasSize(30);
        assertThat(fleet.gpus().stream().map(SyntheticFleet.Gpu::uuid).distinct()).hasSize(120);
        assertThat(fleet.gpus().get(0).node()).isEqualTo("use1-h100-a-n001");
        assertThat(fleet.gpus().stream().map(SyntheticFleet.Gpu::model).distinct())
                .containsExactlyInAnyOrder(AcceleratorModel.values());
        assertThat(fleet.gpus()).anyMatch(gpu -> gpu.migProfile() != null);
        assertThat(fleet.gpus())
                .filteredOn(gpu -> gpu.model() == AcceleratorModel.TPU_V5E)
                .allMatch(gpu -> gpu.migProfile() == null && gpu.uuid().startsWith("TPU-"));

        // A round reads every device once, spread over the interval, in event-time order.
        List<GpuSample> round = take(fleet, 120);
        assertThat(round.stream().map(GpuSample::getGpuUuid).distinct()).hasSize(120);
        assertThat(round.get(0).getTimestamp()).isEqualTo(config.start());
        assertThat(round.get(119).getTimestamp()).isBefore(config.start().plusSeconds(5));
        assertThat(fleet.next().getTimestamp()).isEqualTo(config.start().plusSeconds(5));
    }

    @Test
    void valuesStayPlausibleAndShowCappingThermalsEccAndXids() {
        SyntheticFleet fleet = new SyntheticFleet(SyntheticFleet.Config.defaults(42));
        int rounds = 1500;
        Instant previous = Instant.MIN;
        Set<String> ids = new HashSet<>();
        long capped = 0;
        long thermal = 0;
        long idle = 0;
        long mig = 0;
        long xids = 0;
        Set<Integer> xidCodes = new HashSet<>();
        long maxCorrected = 0;
        for (int i = 0; i < rounds * 128; i++) {
            GpuSample s = fleet.next();
            assertThat(s.getTimestamp()).isAfterOrEqualTo(previous);
            previous = s.getTimestamp();
            assertThat(ids.add(s.getEventId())).isTrue();
            assertThat(s.getUtilizationPct()).isBetween(0.0, 100.0);
            assertThat(s.getMemoryUtilizationPct()).isBetween(0.0, 100.0);
            assertThat(s.getMemoryUsedMib()).isBetween(0L, s.getMemoryTotalMib());
            assertThat(s.getPowerLimitW()).isNotNull();
            assertThat(s.getPowerDrawW()).isBetween(0.0, s.getPowerLimitW());
            assertThat(s.getTemperatureC()).isBetween(15.0, 100.0);
            assertThat(s.getSmClockMhz()).isBetween(0, 1980);
            AcceleratorModel model = AcceleratorModel.find(s.getModel()).orElseThrow();
            assertThat(s.getMemoryTotalMib()).isLessThanOrEqualTo(model.memoryMib());
            if ((s.getClockEventReasons() & SyntheticFleet.REASON_SW_POWER_CAP) != 0) {
                capped++;
                assertThat(s.getPowerDrawW()).isGreaterThan(s.getPowerLimitW() * 0.98);
            }
            if ((s.getClockEventReasons()
                            & (SyntheticFleet.REASON_SW_THERMAL_SLOWDOWN
                                    | SyntheticFleet.REASON_HW_THERMAL_SLOWDOWN))
                    != 0) {
                thermal++;
                assertThat(s.getTemperatureC()).isGreaterThanOrEqualTo(84.0);
            }
            if ((s.getClockEventReasons() & SyntheticFleet.REASON_GPU_IDLE) != 0) {
                idle++;
            }
            if (s.getMigProfile() != null) {
                mig++;
            }
            if (s.getXid() != 0) {
                xids++;
                xidCodes.add(s.getXid());
                assertThat(model.nvidia()).isTrue();
            }
            maxCorrected = Math.max(maxCorrected, s.getEccCorrected());
        }
        long total = rounds * 128L;
        assertThat(capped).isBetween(total / 100, total / 2);
        assertThat(thermal).isPositive().isLessThan(total / 20);
        assertThat(idle).isBetween(total / 20, total / 2);
        assertThat(mig).isPositive();
        assertThat(xids).isPositive().isLessThan(total / 500);
        assertThat(SyntheticFleet.XIDS).containsAll(xidCodes);
        assertThat(maxCorrected).isPositive();
    }

    @Test
    void plantsThermalRunawaysAtItsRateAndOrdinaryReadingsFormNone() {
        SyntheticFleet fleet = new SyntheticFleet(SyntheticFleet.Config.defaults(42));
        int rounds = 600;
        Map<String, List<GpuSample>> byGpu = new HashMap<>();
        long nvidiaSamples = 0;
        for (int i = 0; i < rounds * 128; i++) {
            GpuSample s = fleet.next();
            byGpu.computeIfAbsent(s.getGpuUuid(), k -> new ArrayList<>()).add(s);
            if (AcceleratorModel.find(s.getModel()).orElseThrow().nvidia()) {
                nvidiaSamples++;
            }
        }
        // What the thermal-runaway policy looks for, counted independently: an XID whose GPU read
        // at least RUNAWAY_HOT_READINGS readings in a row at the temperature just before it, the
        // first within the window.
        Map<String, Integer> runaways = new TreeMap<>();
        long window = SyntheticFleet.RUNAWAY_WINDOW.toMillis();
        for (List<GpuSample> readings : byGpu.values()) {
            for (int i = 0; i < readings.size(); i++) {
                GpuSample xid = readings.get(i);
                if (xid.getXid() == 0 || i < SyntheticFleet.RUNAWAY_HOT_READINGS) {
                    continue;
                }
                boolean hot = true;
                for (int k = i - SyntheticFleet.RUNAWAY_HOT_READINGS; k < i; k++) {
                    GpuSample before = readings.get(k);
                    hot &=
                            before.getTemperatureC() >= SyntheticFleet.RUNAWAY_TEMPERATURE_C
                                    && xid.getTimestamp().toEpochMilli()
                                                    - before.getTimestamp().toEpochMilli()
                                            <= window;
                }
                if (hot) {
                    runaways.merge(xid.getGpuUuid(), 1, Integer::sum);
                }
            }
        }
        Map<String, Integer> planted = new TreeMap<>();
        for (SyntheticFleet.PlantedIncident incident : fleet.planted()) {
            assertThat(incident.policyId()).isEqualTo(SyntheticFleet.THERMAL_RUNAWAY_POLICY);
            planted.merge(incident.key(), 1, Integer::sum);
        }

        assertThat(runaways).isEqualTo(planted);
        double expected = nvidiaSamples * SyntheticFleet.THERMAL_RUNAWAY_RATE;
        assertThat((double) fleet.planted().size()).isBetween(expected / 2, expected * 2);
    }

    @Test
    void rejectsAnEmptyFleet() {
        assertThatThrownBy(
                        () ->
                                new SyntheticFleet.Config(
                                        1, 0, 1, 1, 1, Duration.ofSeconds(1), Instant.EPOCH))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("clustersPerRegion");
    }
}
