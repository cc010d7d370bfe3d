package dev.substrate.jobs.vectors;

import dev.substrate.events.DeadLetter;
import dev.substrate.operators.pii.FreeTextTokenizer;
import dev.substrate.schemas.EventType;
import dev.substrate.schemas.RecordIds;
import dev.substrate.vectors.VectorDocument;

/**
 * Dead letters as documents, so that "why was my record refused?" finds the answer: where the
 * record came from, the reason and rule, and the message (from the lake's dead letters, already
 * without clear PII; tokenized again as free text to be sure).
 *
 * <p>Text: {@code Dead letter from substrate.gpu-samples partition 1 offset 20417:
 * QUALITY_RULE_FAILED by rule timestamp_not_in_future. <message>}
 */
public final class DeadLetterDocuments implements DocumentMapper<DeadLetter> {

    private static final long serialVersionUID = 1L;

    public static final String KIND = "dead-letter";

    private transient FreeTextTokenizer freeText;

    @Override
    public String name() {
        return KIND;
    }

    @Override
    public void open(MapperContext context) {
        freeText = context.freeText();
    }

    @Override
    public VectorDocument toDocument(DeadLetter deadLetter) {
        String text =
                "Dead letter from "
                        + deadLetter.getSourceTopic()
                        + " partition "
                        + deadLetter.getSourcePartition()
                        + " offset "
                        + deadLetter.getSourceOffset()
                        + ": "
                        + deadLetter.getReason()
                        + (deadLetter.getRule() == null ? "" : " by rule " + deadLetter.getRule())
                        + ". "
                        + freeText.tokenize(deadLetter.getMessage());
        return VectorDocument.builder()
                .id(KIND + ":" + RecordIds.of(deadLetter))
                .kind(KIND)
                .text(text)
                .time(deadLetter.getDeadLetteredAt())
                .metadata("severity", "error")
                .metadata("topic", deadLetter.getSourceTopic())
                .metadata("reason", deadLetter.getReason().name())
                .metadata("rule", deadLetter.getRule())
                .source(
                        EventType.DEAD_LETTER.tableName(),
                        Lineage.and(
                                Lineage.equals("source_topic", deadLetter.getSourceTopic()),
                                "source_partition = " + deadLetter.getSourcePartition(),
                                "source_offset = " + deadLetter.getSourceOffset()))
                .build();
    }
}
