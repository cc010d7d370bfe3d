package dev.substrate.jobs.vectors;

import dev.substrate.events.EnterpriseEvent;
import dev.substrate.operators.pii.FreeTextTokenizer;
import dev.substrate.schemas.EventType;
import dev.substrate.vectors.VectorDocument;
import java.util.Locale;
import javax.annotation.Nullable;

/**
 * Enterprise events with free text as documents, one kind per source system ({@code crm-event},
 * {@code erp-event}, {@code logs-event}, ...). The free text's personal data (e-mail addresses,
 * phone numbers, IP addresses, names beside an address) is tokenized first, with the job's PII key.
 * Events without text are not documents.
 *
 * <p>Text: {@code crm case.opened on case CASE-000412: tok_... reported slow responses from the
 * inference endpoint. Call back on tok_...}
 */
public final class EnterpriseEventDocuments implements DocumentMapper<EnterpriseEvent> {

    private static final long serialVersionUID = 1L;

    /** Ids are {@code enterprise-event:<event_id>}. */
    public static final String ID_PREFIX = "enterprise-event:";

    private transient FreeTextTokenizer freeText;

    @Override
    public String name() {
        return "enterprise-events";
    }

    @Override
    public void open(MapperContext context) {
        freeText = context.freeText();
    }

    /** The kind of an event of {@code sourceSystem}: {@code <system>-event}, lower-case. */
    public static String kindOf(String sourceSystem) {
        String system = sourceSystem.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
        return (system.isEmpty() ? "other" : system) + "-event";
    }

    @Override
    @Nullable
    public VectorDocument toDocument(EnterpriseEvent event) {
        if (event.getText() == null || event.getText().isBlank()) {
            return null;
        }
        String text =
                event.getSourceSystem()
                        + " "
                        + event.getEventType()
                        + " on "
                        + event.getEntityType()
                        + " "
                        + event.getEntityId()
                        + ": "
                        + freeText.tokenize(event.getText());
        String level = event.getAttributes().get("level");
        return VectorDocument.builder()
                .id(ID_PREFIX + event.getEventId())
                .kind(kindOf(event.getSourceSystem()))
                .text(text)
                .time(event.getTimestamp())
                .metadata("source_system", event.getSourceSystem())
                .metadata("entity_type", event.getEntityType())
                .metadata("event_type", event.getEventType())
                .metadata("severity", level == null ? null : level.toLowerCase(Locale.ROOT))
                .source(
                        EventType.ENTERPRISE_EVENT.tableName(),
                        Lineage.equals("event_id", event.getEventId()))
                .build();
    }
}
