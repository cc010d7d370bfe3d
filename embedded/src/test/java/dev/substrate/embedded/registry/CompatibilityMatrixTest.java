package dev.substrate.embedded.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.substrate.schemas.registry.CompatibilityCheck;
import dev.substrate.schemas.registry.CompatibilityLevel;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.schemas.registry.SchemaRegistryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every compatibility level against every kind of schema change, through real HTTP. Expected
 * outcomes come from the hand-written table below (Avro's resolution rules), not from the checker
 * under test.
 */
class CompatibilityMatrixTest {

    /*
     * Avro resolution rules behind the table: a reader field missing from the writer needs a
     * default; a writer field missing from the reader is skipped; int is promoted to long but
     * never to string (nor long demoted to int); a reader field's aliases match a renamed writer
     * field, but the old reader has no alias for the new name.
     * BACKWARD = new schema reads old data, FORWARD = old schema reads new data, FULL = both.
     * With only two versions the transitive levels behave like their plain counterparts.
     */
    private static final String EXPECTED =
            """
            change                  NONE  BACKWARD  BACKWARD_TRANSITIVE  FORWARD  FORWARD_TRANSITIVE  FULL  FULL_TRANSITIVE
            ADD_WITH_DEFAULT        ok    ok        ok                   ok       ok                  ok    ok
            ADD_WITHOUT_DEFAULT     ok    no        no                   ok       ok                  no    no
            REMOVE_WITH_DEFAULT     ok    ok        ok                   ok       ok                  ok    ok
            REMOVE_WITHOUT_DEFAULT  ok    ok        ok                   no       no                  no    no
            INT_TO_STRING           ok    no        no                   no       no                  no    no
            INT_TO_LONG             ok    ok        ok                   no       no                  no    no
            RENAME_WITH_ALIAS       ok    ok        ok                   no       no                  no    no
            """;

    private static final String ID = "{\"name\":\"id\",\"type\":\"string\"}";
    private static final String NOTE = "{\"name\":\"note\",\"type\":\"string\"}";
    private static final String NOTE_DEFAULT =
            "{\"name\":\"note\",\"type\":\"string\",\"default\":\"\"}";
    private static final String NOTE_INT_DEFAULT =
            "{\"name\":\"note\",\"type\":\"int\",\"default\":0}";
    private static final String COUNT_INT = "{\"name\":\"count\",\"type\":\"int\"}";
    private static final String COUNT_LONG = "{\"name\":\"count\",\"type\":\"long\"}";
    private static final String COUNT_STRING = "{\"name\":\"count\",\"type\":\"string\"}";
    private static final String NAME = "{\"name\":\"name\",\"type\":\"string\"}";
    private static final String TITLE_ALIAS_OF_NAME =
            "{\"name\":\"title\",\"type\":\"string\",\"aliases\":[\"name\"]}";

    /** One schema change: the registered schema and its proposed successor. */
    enum Change {
        ADD_WITH_DEFAULT(record(ID), record(ID, NOTE_DEFAULT)),
        ADD_WITHOUT_DEFAULT(record(ID), record(ID, NOTE)),
        REMOVE_WITH_DEFAULT(record(ID, NOTE_DEFAULT), record(ID)),
        REMOVE_WITHOUT_DEFAULT(record(ID, NOTE), record(ID)),
        INT_TO_STRING(record(ID, COUNT_INT), record(ID, COUNT_STRING)),
        INT_TO_LONG(record(ID, COUNT_INT), record(ID, COUNT_LONG)),
        RENAME_WITH_ALIAS(record(ID, NAME), record(ID, TITLE_ALIAS_OF_NAME));

        final Schema before;
        final Schema after;

        Change(Schema before, Schema after) {
            this.before = before;
            this.after = after;
        }
    }

    /**
     * Three versions where each step passes the plain level but the last fails against version 1,
     * so only the transitive level refuses it.
     */
    enum TransitiveSequence {
        BACKWARD(
                CompatibilityLevel.BACKWARD,
                CompatibilityLevel.BACKWARD_TRANSITIVE,
                // v3 drops the default of note; v1 has no note to read it from.
                record(ID),
                record(ID, NOTE_DEFAULT),
                record(ID, NOTE)),
        FORWARD(
                CompatibilityLevel.FORWARD,
                CompatibilityLevel.FORWARD_TRANSITIVE,
                // v3 drops note; a v1 reader needs it and has no default.
                record(ID, NOTE),
                record(ID, NOTE_DEFAULT),
                record(ID)),
        FULL(
                CompatibilityLevel.FULL,
                CompatibilityLevel.FULL_TRANSITIVE,
                // note comes back as a string; v1 had it as an int.
                record(ID, NOTE_INT_DEFAULT),
                record(ID),
                record(ID, NOTE_DEFAULT));

        final CompatibilityLevel plain;
        final CompatibilityLevel transitive;
        final List<Schema> versions;

        TransitiveSequence(
                CompatibilityLevel plain,
                CompatibilityLevel transitive,
                Schema v1,
                Schema v2,
                Schema v3) {
            this.plain = plain;
            this.transitive = transitive;
            this.versions = List.of(v1, v2, v3);
        }
    }

    @TempDir static Path stateDir;
    private static EmbeddedSchemaRegistry registry;
    private static SchemaRegistryClient client;

    @BeforeAll
    static void startRegistry() throws Exception {
        registry = EmbeddedSchemaRegistry.start(stateDir, "127.0.0.1", 0);
        client = new SchemaRegistryClient(SchemaRegistryConfig.of(registry.url()));
    }

    @AfterAll
    static void stopRegistry() {
        client.close();
        registry.close();
    }

    static Stream<Arguments> matrix() {
        List<String> lines = EXPECTED.strip().lines().toList();
        List<String> header = List.of(lines.get(0).trim().split("\\s+"));
        List<Arguments> cases = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] cells = line.trim().split("\\s+");
            Change change = Change.valueOf(cells[0]);
            for (int column = 1; column < cells.length; column++) {
                CompatibilityLevel level = CompatibilityLevel.valueOf(header.get(column));
                cases.add(Arguments.of(level, change, cells[column].equals("ok")));
            }
        }
        // Keeps the table complete: every level a column, every change a row.
        if (cases.size() != Change.values().length * CompatibilityLevel.values().length) {
            throw new IllegalStateException(
                    "The expectation table must cover every level and change");
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} {1} accepted={2}")
    @MethodSource("matrix")
    void levelAcceptsOrRefusesChange(CompatibilityLevel level, Change change, boolean accepted)
            throws Exception {
        String subject = "matrix-" + level + "-" + change;
        client.setCompatibility(subject, level);
        int firstId = client.register(subject, change.before);

        CompatibilityCheck check = client.testCompatibility(subject, change.after);
        assertThat(check.compatible()).as("compatibility test").isEqualTo(accepted);
        if (accepted) {
            assertThat(check.messages()).isEmpty();
            int secondId = client.register(subject, change.after);
            assertThat(secondId).isNotEqualTo(firstId);
            assertThat(client.getVersions(subject)).containsExactly(1, 2);
            assertThat(client.getLatest(subject).schema()).isEqualTo(change.after);
        } else {
            assertThat(check.messages()).isNotEmpty();
            assertThatThrownBy(() -> client.register(subject, change.after))
                    .isInstanceOfSatisfying(
                            SchemaRegistryException.class,
                            e -> {
                                assertThat(e.httpStatus()).isEqualTo(409);
                                assertThat(e.errorCode()).isEqualTo(409);
                                assertThat(e.isRetryable()).isFalse();
                                assertThat(e.getMessage()).contains(level.name());
                            });
            assertThat(client.getVersions(subject)).containsExactly(1);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("transitiveSequences")
    void onlyTheTransitiveLevelComparesWithEveryEarlierVersion(TransitiveSequence sequence)
            throws Exception {
        String plainSubject = "sequence-" + sequence.plain;
        client.setCompatibility(plainSubject, sequence.plain);
        for (Schema version : sequence.versions) {
            client.register(plainSubject, version);
        }
        assertThat(client.getVersions(plainSubject)).containsExactly(1, 2, 3);

        String transitiveSubject = "sequence-" + sequence.transitive;
        client.setCompatibility(transitiveSubject, sequence.transitive);
        client.register(transitiveSubject, sequence.versions.get(0));
        client.register(transitiveSubject, sequence.versions.get(1));
        Schema third = sequence.versions.get(2);

        CompatibilityCheck check = client.testCompatibility(transitiveSubject, third);
        assertThat(check.compatible()).isFalse();
        // The conflict is with version 1 only: version 2 is compatible with the third schema.
        assertThat(check.messages())
                .isNotEmpty()
                .allSatisfy(message -> assertThat(message).contains("version 1"));
        assertThatThrownBy(() -> client.register(transitiveSubject, third))
                .isInstanceOfSatisfying(
                        SchemaRegistryException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(409));
        assertThat(client.getVersions(transitiveSubject)).containsExactly(1, 2);
    }

    static Stream<TransitiveSequence> transitiveSequences() {
        return Stream.of(TransitiveSequence.values());
    }

    /** A record named Reading with the given field definitions. */
    private static Schema record(String... fields) {
        String json =
                "{\"type\":\"record\",\"name\":\"Reading\",\"namespace\":\"dev.substrate.test\","
                        + "\"fields\":["
                        + String.join(",", fields)
                        + "]}";
        return new Schema.Parser().parse(json);
    }
}
