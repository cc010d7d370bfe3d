package dev.substrate.jobs.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.jobs.stage.StageContext;
import dev.substrate.operators.telemetry.anomaly.AnomalyConfig;
import dev.substrate.operators.telemetry.capacity.CapacityConfig;
import dev.substrate.operators.telemetry.health.NodeHealthConfig;
import dev.substrate.operators.telemetry.health.XidTriage;
import java.time.Duration;
import java.util.List;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

class FleetHealthOptionsTest {

    @Test
    void defaultOptionsGiveTheOperatorsDefaults() {
        Configuration config = new Configuration();
        FleetHealthStage.Settings settings =
                FleetHealthStage.Settings.from(config, StageContext.from(config));
        assertThat(settings.health()).isEqualTo(NodeHealthConfig.defaults());
        assertThat(settings.anomalies()).isEqualTo(AnomalyConfig.defaults());
        assertThat(settings.capacity()).isEqualTo(CapacityConfig.defaults());
        assertThat(settings.catalog()).isNotNull();
        assertThat(settings.topics())
                .containsExactly(
                        "substrate.node-health",
                        "substrate.gpu-anomalies",
                        "substrate.cluster-capacity");
        assertThat(settings.withoutSinks().topics()).isEmpty();
    }

    @Test
    void optionsReachTheOperators() {
        Configuration config = new Configuration();
        config.set(FleetHealthOptions.HEARTBEAT_TIMEOUT, Duration.ofSeconds(10));
        config.set(FleetHealthOptions.WALL_CLOCK_TIMEOUT, Duration.ZERO);
        config.set(FleetHealthOptions.DRAIN_XIDS, List.of(79));
        config.set(FleetHealthOptions.ANOMALY_CONSECUTIVE, 5);
        config.set(FleetHealthOptions.CAPACITY_INTERVAL, Duration.ofSeconds(30));

        FleetHealthStage.Settings settings =
                FleetHealthStage.Settings.from(config, StageContext.from(config));
        assertThat(settings.health().heartbeatTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(settings.health().wallClockTimeout()).as("0 disables it").isNull();
        assertThat(settings.health().xids().actionFor(79)).isEqualTo(XidTriage.Action.DRAIN);
        assertThat(settings.health().xids().actionFor(48)).isEqualTo(XidTriage.Action.RECORD);
        assertThat(settings.anomalies().consecutive()).isEqualTo(5);
        assertThat(settings.capacity().reportInterval()).isEqualTo(Duration.ofSeconds(30));
    }
}
