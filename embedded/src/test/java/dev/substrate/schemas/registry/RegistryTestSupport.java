package dev.substrate.schemas.registry;

import org.apache.avro.Schema;

/** What the registry tests share: expecting a registry error, and a small test record schema. */
public final class RegistryTestSupport {

    private RegistryTestSupport() {}

    /** A registry call expected to fail. */
    public interface Call {
        void run() throws Exception;
    }

    /** The {@link SchemaRegistryException} the call throws; fails the test if it throws none. */
    public static SchemaRegistryException failure(Call call) {
        try {
            call.run();
        } catch (SchemaRegistryException e) {
            return e;
        } catch (Exception e) {
            throw new AssertionError("expected a SchemaRegistryException", e);
        }
        throw new AssertionError("expected a SchemaRegistryException, the call succeeded");
    }

    /** Record {@code dev.substrate.test.Reading} with the given field definitions (JSON). */
    public static Schema reading(String... fields) {
        return new Schema.Parser()
                .parse(
                        "{\"type\":\"record\",\"name\":\"Reading\",\"namespace\":\"dev.substrate.test\","
                            + "\"fields\":["
                                + String.join(",", fields)
                                + "]}");
    }
}
