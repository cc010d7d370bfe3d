package dev.substrate.operators.quality;

import static dev.substrate.operators.quality.QualityFixtures.NOW;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.util.Utf8;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every rule of every shipped rule file gives the same verdict and the same error, translated and
 * interpreted, on good records, on records with each field pushed to boundary, odd and null values,
 * and on random mixes of them, as specific records and as generic ones (Utf8 strings, epoch-milli
 * timestamps).
 */
class RuleTranslationEquivalenceTest {

    private static final long SEED = 20261126L;
    private static final int RANDOM_RECORDS = 800;

    private static final List<String> STRINGS =
            List.of(
                    "",
                    " ",
                    " \t\u2003",
                    "x",
                    "A",
                    "P0",
                    "P15",
                    "P16",
                    "P1\n",
                    "1g.10gb",
                    "1g.10gb+me",
                    "9g.10gb",
                    "GPU-bdf0c82b-71b1-6951-de56-987b1c98685f",
                    "GPU-bdf0c82b-71b1-6951-de56-987b1c98685f\n",
                    "MIG-GPU-bdf0c82b-71b1-6951-de56-987b1c98685f/1/0",
                    "TPU-0a1b2c3d-4e5f-3a6b-9c7d-8e9f0a1b2c3d",
                    "gpu-bdf0c82b-71b1-6951-de56-987b1c98685f",
                    "10.12.3.45",
                    "256.1.1.1",
                    "2001:db8::8a2e:370:7334",
                    ":::",
                    "localhost",
                    "PUBLIC",
                    "PII",
                    "RESTRICTED",
                    "DATA_EXPORT",
                    "MODEL_INVOKE",
                    "oidc",
                    "mtls",
                    "telnet",
                    "crm",
                    "logs",
                    "sap",
                    "order.placed",
                    "Order Placed",
                    "a.b.",
                    "us-east-1",
                    "us-east",
                    "eu-west-12",
                    "H100-80GB",
                    "H800",
                    "INFERENCE",
                    "SUBMITTED",
                    "\u00e9t\u00e9",
                    "\uD83D\uDE00",
                    " \uD83D\uDE00 ",
                    "\u00a0\u1680\u205f");

    /** Values that are slow to interpret: each is tried once per field, not in random mixes. */
    private static final List<String> LARGE_STRINGS =
            List.of(
                    "x".repeat(65536),
                    "x".repeat(65537),
                    "\uD83D\uDE00".repeat(65536),
                    // Quadratic for a backtracking engine on the IPv6 pattern: the budget path.
                    ":".repeat(3000) + "x");

    private static final List<Integer> INTS =
            List.of(
                    -1,
                    0,
                    1,
                    7,
                    9,
                    10,
                    63,
                    64,
                    999,
                    1000,
                    1024,
                    1025,
                    4000,
                    4001,
                    20000,
                    20001,
                    Integer.MIN_VALUE,
                    Integer.MAX_VALUE);

    private static final List<Long> LONGS =
            List.of(
                    -1L,
                    0L,
                    1L,
                    4864L,
                    78835L,
                    81559L,
                    1048576L,
                    1048577L,
                    Long.MIN_VALUE,
                    Long.MAX_VALUE,
                    (1L << 53) + 1);

    private static final List<Double> DOUBLES =
            List.of(
                    -0.0,
                    0.0,
                    -10.0,
                    -10.000001,
                    0.5,
                    89.99,
                    90.0,
                    100.0,
                    100.0000001,
                    120.0,
                    120.1,
                    400.0,
                    630.0,
                    699.4,
                    700.0,
                    770.0,
                    770.0000000001,
                    1500.0,
                    1500.0001,
                    Double.NaN,
                    Double.POSITIVE_INFINITY,
                    Double.NEGATIVE_INFINITY,
                    Double.MIN_VALUE,
                    9.3e18);

    private static final List<Instant> INSTANTS =
            List.of(
                    NOW,
                    NOW.minusSeconds(60),
                    NOW.plusMillis(299_999),
                    NOW.plusMillis(300_000),
                    NOW.plusMillis(300_001),
                    NOW.plusMillis(300_000).plusNanos(1),
                    Instant.parse("2000-01-01T00:00:00Z"),
                    Instant.parse("1999-12-31T23:59:59.999Z"),
                    Instant.EPOCH,
                    Instant.ofEpochSecond(1_700_000),
                    Instant.parse("2300-01-01T00:00:00Z"),
                    Instant.parse("9999-12-31T23:59:59Z"),
                    Instant.parse("+12000-01-01T00:00:00Z"),
                    Instant.parse("1500-01-01T00:00:00Z"));

    @ParameterizedTest
    @ValueSource(strings = {"GpuSample", "WorkloadRequest", "AuditEvent", "EnterpriseEvent"})
    void everyShippedRuleIsTranslated(String type) {
        RuleEvaluator evaluator = RuleSet.load(type).newEvaluator();

        for (int i = 0; i < evaluator.rules().size(); i++) {
            assertThat(evaluator.isCompiled(i))
                    .as("%s %s: %s", type, evaluator.rules().get(i).name(), "translated")
                    .isTrue();
            assertThat(evaluator.interpretedBecause(i)).isNull();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"GpuSample", "WorkloadRequest", "AuditEvent", "EnterpriseEvent"})
    void translatedAndInterpretedRulesAgreeOnEveryRecord(String type) {
        RuleSet rules = RuleSet.load(type);
        RuleEvaluator translated = rules.newEvaluator();
        RuleEvaluator interpreted = RuleEvaluator.interpretedOnly(rules);
        List<SpecificRecord> good = goodRecords(type);
        Random random = new Random(SEED + type.hashCode());

        List<IndexedRecord> records = new ArrayList<>(good);
        for (SpecificRecord base : good) {
            // Large values are slow to interpret: one base record is enough for them.
            records.addAll(eachFieldVaried(base, base == good.get(0)));
        }
        for (int n = 0; n < RANDOM_RECORDS; n++) {
            records.add(randomMix(good.get(random.nextInt(good.size())), random));
        }
        int generic = records.size();
        for (int n = 0; n < generic; n++) {
            records.add(asGeneric(records.get(n)));
        }
        for (SpecificRecord base : good) {
            records.addAll(eachFieldNull(base));
        }

        int evaluations = 0;
        int failures = 0;
        int errors = 0;
        for (IndexedRecord record : records) {
            for (Instant now : List.of(NOW, NOW.plusSeconds(3600))) {
                int expected = interpreted.evaluate(record, now);
                int actual =
                        now.equals(NOW)
                                ? translated.evaluate(record, now)
                                : translated.evaluate(record, now.toEpochMilli());
                assertThat(actual).as("failures on %s", record).isEqualTo(expected);
                for (int i = 0; i < rules.rules().size(); i++) {
                    String rule = rules.rules().get(i).name();
                    assertThat(translated.passed(i))
                            .as("%s on %s", rule, record)
                            .isEqualTo(interpreted.passed(i));
                    assertThat(translated.error(i))
                            .as("%s error on %s", rule, record)
                            .isEqualTo(interpreted.error(i));
                    evaluations++;
                    failures += interpreted.passed(i) ? 0 : 1;
                    errors += interpreted.error(i) == null ? 0 : 1;
                }
            }
        }
        // The inputs reach both verdicts and errors, and most verdicts are the translation's own.
        assertThat(failures).isGreaterThan(evaluations / 50);
        assertThat(errors).isPositive();
        assertThat(translated.deferredToInterpreter()).isLessThan(evaluations / 5);
    }

    @Test
    void goodRecordsNeverNeedTheInterpreter() {
        for (String type :
                List.of("GpuSample", "WorkloadRequest", "AuditEvent", "EnterpriseEvent")) {
            RuleEvaluator evaluator = RuleSet.load(type).newEvaluator();
            for (SpecificRecord record : goodRecords(type)) {
                assertThat(evaluator.evaluate(record, NOW)).as("%s", record).isZero();
                assertThat(evaluator.evaluate(asGeneric(record), NOW.toEpochMilli())).isZero();
            }
            assertThat(evaluator.deferredToInterpreter()).as(type).isZero();
        }
    }

    private static List<SpecificRecord> goodRecords(String type) {
        return new ArrayList<>(QualityFixtures.goodRecords().get(type));
    }

    /** Copies of a record, each with one field set to one value of that field's pool. */
    private static List<IndexedRecord> eachFieldVaried(SpecificRecord base, boolean large) {
        List<IndexedRecord> out = new ArrayList<>();
        for (Schema.Field field : base.getSchema().getFields()) {
            for (Object value : large ? largeValues(field.schema()) : List.of()) {
                SpecificRecord copy = copy(base);
                copy.put(field.pos(), value);
                out.add(copy);
            }
            for (Object value : pool(field.schema())) {
                SpecificRecord copy = copy(base);
                copy.put(field.pos(), value);
                out.add(copy);
            }
        }
        return out;
    }

    private static IndexedRecord randomMix(SpecificRecord base, Random random) {
        SpecificRecord copy = copy(base);
        for (Schema.Field field : base.getSchema().getFields()) {
            if (random.nextInt(4) == 0) {
                List<Object> pool = pool(field.schema());
                Object value =
                        random.nextInt(3) == 0
                                ? randomValue(field.schema(), random)
                                : pool.get(random.nextInt(pool.size()));
                copy.put(field.pos(), value);
            }
        }
        return copy;
    }

    private static SpecificRecord copy(SpecificRecord record) {
        return SpecificData.get().deepCopy(record.getSchema(), record);
    }

    /** Interesting values for a field of this schema, as the specific record holds them. */
    private static List<Object> pool(Schema schema) {
        Schema s = schema;
        List<Object> values = new ArrayList<>();
        if (s.getType() == Schema.Type.UNION) {
            s = AvroCel.nonNullBranch(s);
        }
        // Null also where the schema has no null (a record built without validation), where the
        // Java field is an object; nulls in primitive fields come with the generic records.
        if (s != schema || isObject(s)) {
            values.add(null);
        }
        switch (s.getType()) {
            case STRING -> values.addAll(STRINGS);
            case ENUM -> {
                for (String symbol : s.getEnumSymbols()) {
                    values.add(SpecificData.get().createEnum(symbol, s));
                }
            }
            case INT -> values.addAll(INTS);
            case LONG -> {
                if (s.getLogicalType() instanceof LogicalTypes.TimestampMillis) {
                    values.addAll(INSTANTS);
                } else {
                    values.addAll(LONGS);
                }
            }
            case DOUBLE -> values.addAll(DOUBLES);
            case BOOLEAN -> values.addAll(List.of(true, false));
            case ARRAY -> values.addAll(List.of(List.of(), List.of("x"), List.of("a", "b")));
            case MAP -> {
                values.add(Map.of());
                values.add(Map.of("account_id", "1"));
                values.add(Map.of("Account ID", "1"));
                values.add(Map.of("a", "b", "B", "c"));
            }
            default -> throw new IllegalStateException("no pool for " + s);
        }
        return values;
    }

    private static List<Object> largeValues(Schema schema) {
        return switch (schema.getType()) {
            case STRING -> List.copyOf(LARGE_STRINGS);
            case MAP -> {
                // Past CEL's comprehension budget of 10 000 iterations.
                Map<String, String> huge = new LinkedHashMap<>();
                for (int i = 0; i < 10_001; i++) {
                    huge.put("k" + i, "v");
                }
                yield List.of(huge);
            }
            default -> List.of();
        };
    }

    private static boolean isObject(Schema s) {
        return switch (s.getType()) {
            case INT, DOUBLE, FLOAT, BOOLEAN -> false;
            case LONG -> s.getLogicalType() != null;
            default -> true;
        };
    }

    /** Generic copies of a record with one field null, whatever its type. */
    private static List<IndexedRecord> eachFieldNull(SpecificRecord base) {
        List<IndexedRecord> out = new ArrayList<>();
        for (Schema.Field field : base.getSchema().getFields()) {
            IndexedRecord copy = asGeneric(base);
            copy.put(field.pos(), null);
            out.add(copy);
        }
        return out;
    }

    private static Object randomValue(Schema schema, Random random) {
        Schema s = schema.getType() == Schema.Type.UNION ? AvroCel.nonNullBranch(schema) : schema;
        return switch (s.getType()) {
            case STRING -> randomString(random);
            case INT -> random.nextInt(2100) - 50;
            case LONG ->
                    s.getLogicalType() instanceof LogicalTypes.TimestampMillis
                            ? NOW.plusMillis(random.nextLong() % 1_000_000_000L)
                            : random.nextLong() % 2_000_000L;
            case DOUBLE -> (random.nextDouble() - 0.1) * 1700.0;
            case BOOLEAN -> random.nextBoolean();
            default -> {
                List<Object> pool = pool(schema);
                yield pool.get(random.nextInt(pool.size()));
            }
        };
    }

    private static String randomString(Random random) {
        String alphabet = "aP0159g.-:x \tGPUT\u00e9\uD83D\uDE00";
        StringBuilder b = new StringBuilder();
        int length = random.nextInt(12);
        for (int i = 0; i < length; i++) {
            b.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return b.toString();
    }

    /** The record as a generic record: Utf8 strings, enum symbols, epoch-milli timestamps. */
    private static IndexedRecord asGeneric(IndexedRecord record) {
        Schema schema = record.getSchema();
        GenericData.Record generic = new GenericData.Record(schema);
        for (Schema.Field field : schema.getFields()) {
            generic.put(field.pos(), generic(record.get(field.pos()), field.schema()));
        }
        return generic;
    }

    private static Object generic(Object value, Schema schema) {
        if (value == null) {
            return null;
        }
        Schema s = schema.getType() == Schema.Type.UNION ? AvroCel.nonNullBranch(schema) : schema;
        if (value instanceof CharSequence text) {
            return new Utf8(text.toString());
        }
        if (value instanceof Enum<?> symbol) {
            return new GenericData.EnumSymbol(s, symbol.name());
        }
        if (value instanceof Instant instant) {
            return instant.toEpochMilli();
        }
        if (value instanceof List<?> list) {
            List<Object> out = new ArrayList<>();
            list.forEach(v -> out.add(new Utf8(Objects.toString(v))));
            return out;
        }
        if (value instanceof Map<?, ?> map) {
            Map<Object, Object> out = new HashMap<>();
            map.forEach((k, v) -> out.put(new Utf8(k.toString()), new Utf8(v.toString())));
            return out;
        }
        return value;
    }
}
