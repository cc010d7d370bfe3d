package dev.substrate.operators.scheduling.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.substrate.operators.config.ConfigFileException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SchedulerConfigTest {

    private static final String GOOD =
            """
            policy:
              placement: spread
              preemption: NEVER
              fair_share_half_life: 30m
              region_distances:
                us-east-1: {us-west-2: 2.5}
            shared_pool: {H100-80GB: 8}
            tenants:
              acme:
                nominal: {H100-80GB: 16, A100-40GB: 4}
                borrowing_limit: {H100-80GB: 4}
                over_quota: REJECT
                inference: {requests_per_minute: 60, tokens_per_minute: 100000}
              globex:
                nominal: {}
            default_tenant:
              nominal: {H100-80GB: 1}
            """;

    @Test
    void readsPolicyPoolTenantsAndTheDefaultTenant() {
        SchedulerConfig config = SchedulerConfig.parse(GOOD, "quotas.yaml");

        assertThat(config.policy().placement()).isEqualTo(PlacementStrategy.SPREAD);
        assertThat(config.policy().preemption()).isEqualTo(PreemptionPolicy.NEVER);
        assertThat(config.policy().fairShareHalfLife()).isEqualTo(Duration.ofMinutes(30));
        assertThat(config.policy().agingStep()).isEqualTo(Duration.ofMinutes(5));
        assertThat(config.policy().distance("us-west-2", "us-east-1")).isEqualTo(2.5);
        assertThat(config.policy().distance("us-east-1", "eu-west-1")).isEqualTo(1.0);
        assertThat(config.poolOf("H100-80GB")).isEqualTo(8);
        TenantQuota acme = config.quotaOf("acme");
        assertThat(acme.nominalOf("H100-80GB")).isEqualTo(16);
        assertThat(acme.borrowingLimitOf("H100-80GB")).isEqualTo(4);
        assertThat(acme.borrowingLimitOf("A100-40GB")).isZero();
        assertThat(acme.overQuota()).isEqualTo(OverQuotaAction.REJECT);
        assertThat(acme.inference()).isEqualTo(new InferenceLimits(60, 100_000));
        assertThat(config.quotaOf("globex").overQuota()).isEqualTo(OverQuotaAction.QUEUE);
        assertThat(config.quotaOf("someone-else").nominalOf("H100-80GB")).isEqualTo(1);
    }

    @Test
    void theShippedFileIsValidAndCoversTheSampleTenants() {
        SchedulerConfig config = SchedulerConfig.load("");

        assertThat(config.source()).isEqualTo("classpath:scheduling/quotas.yaml");
        assertThat(config.tenants()).hasSize(8).containsKey("cyberdyne-robotics");
        assertThat(config.quotaOf("cyberdyne-robotics").overQuota())
                .isEqualTo(OverQuotaAction.REJECT);
        assertThat(config.quotaOf("hooli-ads").inference()).isNotNull();
        assertThat(config.policy().fairShareHalfLife()).isEqualTo(Duration.ofHours(1));
        assertThat(config.quotaOf("not-a-sample-tenant").nominal()).isEmpty();
    }

    @Test
    void aFileOnDiskIsReadByItsPath(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("q.yaml");
        Files.writeString(file, GOOD);
        assertThat(SchedulerConfig.load(file.toString()).source()).isEqualTo(file.toString());
    }

    @Test
    void aMissingFileSaysSoAndHowToFixIt() {
        assertThatThrownBy(() -> SchedulerConfig.load("/no/such/quotas.yaml"))
                .isInstanceOf(ConfigFileException.class)
                .hasMessageStartingWith("/no/such/quotas.yaml: no such file")
                .hasMessageContaining("leave scheduling.quota-file empty for the default");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "unknown top key|shared_pool: {}\\n"
                        + "tenants: {}\\n"
                        + "quota: 1|3|unknown key 'quota' in the file",
                "unknown policy key|policy:\\n"
                        + "  placment: SPREAD\\n"
                        + "tenants: {}|2|unknown key 'placment' in 'policy'",
                "bad strategy|policy:\\n"
                    + "  placement: RANDOM\\n"
                    + "tenants: {}|2|'placement' is 'RANDOM'; it must be one of BIN_PACK, SPREAD",
                "bad duration|policy:\\n"
                        + "  aging_step: 5 minutes\\n"
                        + "tenants: {}|2|a duration is a number and a unit",
                "zero half-life|policy:\\n"
                        + "  fair_share_half_life: 0s\\n"
                        + "tenants: {}|2|must be longer than zero",
                "share out of range|policy:\\n"
                        + "  unhealthy_region_below: 1.5\\n"
                        + "tenants: {}|2|must be between 0 and 1",
                "negative quota|tenants:\\n"
                        + "  a:\\n"
                        + "    nominal: {H100-80GB: -2}|3|it must be between 0 and",
                "not a number|tenants:\\n"
                        + "  a:\\n"
                        + "    nominal: {H100-80GB: many}|3|it must be a whole number",
                "no nominal|tenants:\\n"
                        + "  a:\\n"
                        + "    over_quota: QUEUE|2|tenant 'a' has no 'nominal' quota",
                "borrow without pool|tenants:\\n"
                        + "  a:\\n"
                        + "    nominal: {}\\n"
                        + "    borrowing_limit:\\n"
                        + "      H100-80GB: 4|5|the shared_pool has none of that type",
                "repeated tenant|tenants:\\n"
                        + "  a:\\n"
                        + "    nominal: {}\\n"
                        + "  a:\\n"
                        + "    nominal: {}|4|'a' is given twice (first on line 2)",
                "no tenants|shared_pool: {}|1|no 'tenants'",
                "not a mapping|tenants:\\n  - a\\n  - b|2|'tenants' must be a mapping",
                "bad over_quota|tenants:\\n"
                        + "  a:\\n"
                        + "    nominal: {}\\n"
                        + "    over_quota: WAIT|4|it must be one of QUEUE, REJECT",
                "broken yaml|tenants: {a: [}|1|not valid YAML",
            })
    void aDefectNamesTheFileTheLineAndTheReason(String what, String text, int line, String reason) {
        assertThatThrownBy(() -> SchedulerConfig.parse(text.replace("\\n", "\n"), "q.yaml"))
                .isInstanceOfSatisfying(
                        ConfigFileException.class,
                        e -> {
                            assertThat(e.file()).isEqualTo("q.yaml");
                            assertThat(e.line()).as(what).isEqualTo(line);
                            assertThat(e.reason()).as(what).contains(reason);
                            assertThat(e.getMessage()).startsWith("q.yaml:" + line + ": ");
                        });
    }

    @Test
    void anEmptyFileIsAnError() {
        assertThatThrownBy(() -> SchedulerConfig.parse("", "q.yaml"))
                .isInstanceOf(ConfigFileException.class)
                .hasMessage(
                        "q.yaml:1: the file is empty; expected policy, shared_pool and tenants");
    }
}
