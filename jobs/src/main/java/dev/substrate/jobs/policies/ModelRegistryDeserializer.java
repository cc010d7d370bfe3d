package dev.substrate.jobs.policies;

import dev.substrate.operators.policies.ModelApproval;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the approved-model registry topic: key {@code <model>:<version>} (UTF-8), value {@code
 * approved} or {@code revoked} (a tombstone revokes), the record's timestamp when the change holds.
 * A record that is neither is logged with its offset and skipped: the registry is configuration,
 * and a typo must not stop every policy.
 */
public class ModelRegistryDeserializer implements KafkaRecordDeserializationSchema<ModelApproval> {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ModelRegistryDeserializer.class);

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<ModelApproval> out) {
        ModelApproval approval = parse(record.key(), record.value(), record.timestamp());
        if (approval == null) {
            LOG.warn(
                    "Skipped model registry record {}-{}@{}: the key must be <model>:<version> and"
                            + " the value approved, revoked or empty (a tombstone)",
                    record.topic(),
                    record.partition(),
                    record.offset());
            return;
        }
        out.collect(approval);
    }

    /** The change a registry record stands for, or null when it is malformed. */
    public static ModelApproval parse(byte[] key, byte[] value, long timestamp) {
        if (key == null) {
            return null;
        }
        String text = new String(key, StandardCharsets.UTF_8);
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            return null;
        }
        boolean approved;
        if (value == null) {
            approved = false;
        } else {
            String state =
                    new String(value, StandardCharsets.UTF_8).trim().toLowerCase(Locale.ROOT);
            if (state.equals("approved")) {
                approved = true;
            } else if (state.equals("revoked") || state.isEmpty()) {
                approved = false;
            } else {
                return null;
            }
        }
        return new ModelApproval(
                text.substring(0, colon), text.substring(colon + 1), approved, timestamp);
    }

    @Override
    public TypeInformation<ModelApproval> getProducedType() {
        return TypeInformation.of(ModelApproval.class);
    }
}
