package dev.substrate.jobs.vectors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.substrate.events.DeadLetter;
import dev.substrate.events.DeadLetterReason;
import dev.substrate.vectors.EmbeddedDocument;
import dev.substrate.vectors.VectorDocument;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Lets embedded documents through to the store and turns each document that could not be embedded
 * into a dead letter (side output {@link #DEAD_LETTERS}): never lost, with the reason. Its
 * coordinates say where it came from: source topic {@code vectors/<kind>} (no Kafka record: the
 * document was made inside the job), partition and offset -1, rule {@value #RULE}; the original key
 * is the document id and the original value the document as JSON (text already tokenized).
 */
final class EmbeddingDeadLetters extends ProcessFunction<EmbeddedDocument, EmbeddedDocument> {

    private static final long serialVersionUID = 1L;

    /** The {@code rule} of an embedding failure's dead letter. */
    static final String RULE = "vector-embedding";

    /** The {@code source_topic} prefix of embedding failures. */
    static final String SOURCE_PREFIX = "vectors/";

    static final OutputTag<DeadLetter> DEAD_LETTERS =
            new OutputTag<>("vector-dead-letters", new AvroTypeInfo<>(DeadLetter.class));

    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public void processElement(
            EmbeddedDocument document, Context context, Collector<EmbeddedDocument> out) {
        if (document.isStorable()) {
            out.collect(document);
        } else {
            context.output(DEAD_LETTERS, deadLetter(document, Instant.now()));
        }
    }

    static DeadLetter deadLetter(EmbeddedDocument failed, Instant now) {
        VectorDocument document = failed.document();
        return DeadLetter.newBuilder()
                .setSourceTopic(SOURCE_PREFIX + document.kind())
                .setSourcePartition(-1)
                .setSourceOffset(-1L)
                .setSourceTimestamp(document.time())
                .setDeadLetteredAt(now)
                .setReason(DeadLetterReason.OTHER)
                .setRule(RULE)
                .setMessage(
                        "Document "
                                + document.id()
                                + " (from "
                                + document.sourceTable()
                                + " where "
                                + document.sourceRow()
                                + ") could not be embedded by "
                                + failed.model()
                                + ": "
                                + failed.failure())
                .setOriginalKey(ByteBuffer.wrap(document.id().getBytes(StandardCharsets.UTF_8)))
                .setOriginalValue(ByteBuffer.wrap(json(document)))
                .build();
    }

    /** The record id of an embedding failure's dead letter: its document's id. */
    static String recordId(DeadLetter deadLetter) {
        return RULE + ":" + StandardCharsets.UTF_8.decode(deadLetter.getOriginalKey().duplicate());
    }

    private static byte[] json(VectorDocument document) {
        ObjectNode json = JSON.createObjectNode();
        json.put("id", document.id());
        json.put("kind", document.kind());
        json.put("text", document.text());
        json.put("time", document.time().toString());
        ObjectNode metadata = json.putObject("metadata");
        document.metadata().forEach(metadata::put);
        json.put("source_table", document.sourceTable());
        json.put("source_row", document.sourceRow());
        return json.toString().getBytes(StandardCharsets.UTF_8);
    }
}
