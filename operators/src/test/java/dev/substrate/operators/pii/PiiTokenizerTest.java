package dev.substrate.operators.pii;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.substrate.events.AuditEvent;
import dev.substrate.events.GpuSample;
import dev.substrate.operators.testing.GovernanceFixtures;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PiiTokenizerTest {

    @TempDir Path dir;

    private static PiiKey key(String secret) {
        return new PiiKeySource(PiiMode.PRODUCTION, null)
                .load(Map.of(PiiKeySource.ENV_KEY, secret));
    }

    @Test
    void sameInputAndKeyGiveTheSameTokenAndOtherKeysOtherTokens() {
        PiiTokenizer a = new PiiTokenizer(key(GovernanceFixtures.TEST_KEY));
        PiiTokenizer again = new PiiTokenizer(key(GovernanceFixtures.TEST_KEY));
        PiiTokenizer other = new PiiTokenizer(key(GovernanceFixtures.TEST_KEY + "-rotated"));

        String token = a.token("alice@example.com");
        assertThat(token).startsWith("tok_").hasSize(47).doesNotContain("alice");
        assertThat(PiiTokenizer.isToken(token)).isTrue();
        assertThat(again.token("alice@example.com")).isEqualTo(token);
        assertThat(a.token("bob@example.com")).isNotEqualTo(token);
        assertThat(other.token("alice@example.com")).isNotEqualTo(token);
        assertThat(a.token(token)).as("tokenizing twice changes nothing").isEqualTo(token);
        assertThat(
                        new String(
                                a.token("alice@example.com".getBytes(StandardCharsets.UTF_8)),
                                StandardCharsets.UTF_8))
                .as("a Kafka key gets the token of the same value")
                .isEqualTo(token);
    }

    @Test
    void piiFieldsComeFromTheSchemaProperty() {
        assertThat(PiiFields.of(AuditEvent.getClassSchema()))
                .containsExactly("principal", "source_address");
        assertThat(PiiFields.hasPii(GpuSample.getClassSchema())).isFalse();
    }

    @Test
    void keyComesFromTheEnvironmentThenTheKeyFileVariableThenTheOption() throws Exception {
        Path optionFile = dir.resolve("option.key");
        Files.writeString(optionFile, GovernanceFixtures.TEST_KEY + "-option\n");
        Path envFile = dir.resolve("env.key");
        Files.writeString(envFile, GovernanceFixtures.TEST_KEY + "-envfile\n");
        PiiKeySource source = new PiiKeySource(PiiMode.PRODUCTION, optionFile.toString());

        assertThat(source.load(Map.of()).origin()).contains("pii.key-file");
        assertThat(source.load(Map.of(PiiKeySource.ENV_KEY_FILE, envFile.toString())).origin())
                .contains(PiiKeySource.ENV_KEY_FILE);
        PiiKey inline =
                source.load(
                        Map.of(
                                PiiKeySource.ENV_KEY,
                                GovernanceFixtures.TEST_KEY,
                                PiiKeySource.ENV_KEY_FILE,
                                envFile.toString()));
        assertThat(inline.origin()).contains(PiiKeySource.ENV_KEY);
        assertThat(inline).isEqualTo(key(GovernanceFixtures.TEST_KEY));
        assertThat(inline.toString()).doesNotContain(GovernanceFixtures.TEST_KEY).contains("bytes");
        // The trailing newline of a key file is not part of the key.
        assertThat(source.load(Map.of(PiiKeySource.ENV_KEY_FILE, envFile.toString())))
                .isEqualTo(key(GovernanceFixtures.TEST_KEY + "-envfile"));
    }

    @Test
    void productionModeRefusesToStartWithoutAKeyAndNeverMakesOneUp() {
        PiiKeySource production = new PiiKeySource(PiiMode.PRODUCTION, null);
        assertThatThrownBy(() -> production.prepare(Map.of()))
                .isInstanceOf(PiiKeyException.class)
                .hasMessageContaining(PiiKeySource.ENV_KEY)
                .hasMessageContaining(PiiKeySource.ENV_KEY_FILE)
                .hasMessageContaining("never makes one up");
        Path missing = dir.resolve("absent.key");
        assertThatThrownBy(
                        () ->
                                new PiiKeySource(PiiMode.PRODUCTION, missing.toString())
                                        .prepare(Map.of()))
                .isInstanceOf(PiiKeyException.class)
                .hasMessageContaining(missing.toString());
        assertThat(missing).doesNotExist();
        assertThatThrownBy(() -> key("too-short"))
                .isInstanceOf(PiiKeyException.class)
                .hasMessageContaining("at least 32")
                .hasMessageNotContaining("too-short");
    }

    @Test
    void localModeGeneratesAKeyOnceSaysSoAndReusesIt() throws Exception {
        Path file = dir.resolve("data").resolve("pii.key");
        PiiKeySource local = new PiiKeySource(PiiMode.LOCAL, file.toString());

        String notice = local.prepare(Map.of());
        assertThat(notice).contains("generated").contains(file.toAbsolutePath().toString());
        assertThat(file).isRegularFile();
        String secret = Files.readString(file).trim();
        assertThat(notice).doesNotContain(secret);
        PiiKey first = local.load(Map.of());

        assertThat(local.prepare(Map.of())).as("second run: reused, nothing to say").isNull();
        assertThat(local.load(Map.of())).isEqualTo(first);
        assertThat(Files.readString(file).trim()).isEqualTo(secret);
        // A given key wins over the generated one, even locally.
        assertThat(local.load(Map.of(PiiKeySource.ENV_KEY, GovernanceFixtures.TEST_KEY)))
                .isNotEqualTo(first);
    }
}
