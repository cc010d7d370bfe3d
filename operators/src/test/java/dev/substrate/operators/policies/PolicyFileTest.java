package dev.substrate.operators.policies;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.substrate.events.PolicySeverity;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class PolicyFileTest {

    private static final String GOOD =
            """
            policies:
              - id: stuffing
                version: 3
                severity: high
                description: Guessing.
                template: credential_stuffing
                key: principal
                cooldown: 2m
                thresholds:
                  attempts: 4
                  within: 90s
            """;

    @Test
    void theShippedCatalogueHasAPolicyOfEveryTemplate() {
        List<Policy> policies = PolicyFile.load(PolicyFile.DEFAULT);

        assertThat(policies).hasSizeGreaterThanOrEqualTo(10);
        assertThat(policies).extracting(Policy::template).contains(PolicyTemplate.values());
        assertThat(policies)
                .extracting(Policy::uid)
                .doesNotHaveDuplicates()
                .allSatisfy(uid -> assertThat(uid).matches("policy-[a-z0-9-]+-v[0-9]+"));
        // Every policy compiles.
        policies.forEach(PolicyPatterns::compile);
    }

    @Test
    void readsEveryField() {
        Policy policy = PolicyFile.parse(GOOD, "good.yaml").get(0);

        assertThat(policy.id()).isEqualTo("stuffing");
        assertThat(policy.version()).isEqualTo(3);
        assertThat(policy.uid()).isEqualTo("policy-stuffing-v3");
        assertThat(policy.severity()).isEqualTo(PolicySeverity.HIGH);
        assertThat(policy.key()).isEqualTo(PolicyKey.PRINCIPAL);
        assertThat(policy.coolDown()).isEqualTo(Duration.ofMinutes(2));
        assertThat(policy.thresholds().count("attempts")).isEqualTo(4);
        assertThat(policy.thresholds().duration("within")).isEqualTo(Duration.ofSeconds(90));
    }

    @Test
    void aBrokenPolicyNamesTheFileThePolicyAndTheReason() {
        assertRefused(GOOD.replace("attempts: 4", "attempts: 0"), "'stuffing'", "'attempts'");
        assertRefused(GOOD.replace("within: 90s", "within: soon"), "'stuffing'", "duration");
        assertRefused(GOOD.replace("      within: 90s\n", ""), "'stuffing'", "'within' is missing");
        assertRefused(
                GOOD.replace("within: 90s", "within: 90s\n      tries: 3"),
                "'stuffing'",
                "unknown threshold 'tries'");
        assertRefused(
                GOOD.replace("key: principal", "key: tenant"), "'stuffing'", "must be principal");
        assertRefused(
                GOOD.replace("credential_stuffing", "telepathy"),
                "'stuffing'",
                "'template' must be one of");
        assertRefused(GOOD.replace("severity: high", "severity: dire"), "'stuffing'", "severity");
        assertRefused(GOOD.replace("version: 3", "version: 0"), "'stuffing'", "version");
        assertRefused(GOOD.replace("id: stuffing", "id: Stuffing!"), "'Stuffing!'", "the id");
        assertRefused(GOOD + GOOD.substring("policies:\n".length()), "'stuffing'", "twice");
        assertRefused(GOOD.replace("cooldown: 2m", "colldown: 2m"), "'stuffing'", "colldown");
        assertRefused("policies: [", null, "not valid YAML");
        assertRefused("rules: []", null, "'policies'");
    }

    @Test
    void aMissingFileIsNamed() {
        assertThatThrownBy(() -> PolicyFile.load("/nowhere/policies.yaml"))
                .isInstanceOf(PolicyFileException.class)
                .hasMessageContaining("/nowhere/policies.yaml")
                .hasMessageContaining("no such file");
    }

    private static void assertRefused(String text, String policy, String reason) {
        assertThatThrownBy(() -> PolicyFile.parse(text, "broken.yaml"))
                .isInstanceOf(PolicyFileException.class)
                .hasMessageStartingWith("broken.yaml")
                .hasMessageContaining(policy == null ? "broken.yaml" : policy)
                .hasMessageContaining(reason);
    }
}
