package dev.substrate.jobs.vectors;

import dev.substrate.events.PolicyViolation;
import dev.substrate.jobs.policies.PolicyStage;
import dev.substrate.operators.pii.FreeTextTokenizer;
import dev.substrate.vectors.VectorDocument;
import java.util.Locale;

/**
 * Policy violations as documents: their narrative, found by what happened ("a service account
 * exported customer data at night") rather than by policy id. A repeat within the cool-down raises
 * the violation's revision; the store upserts by id, so it keeps the newest revision, once.
 */
public final class PolicyViolationDocuments implements DocumentMapper<PolicyViolation> {

    private static final long serialVersionUID = 1L;

    public static final String KIND = "policy-violation";

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
    public VectorDocument toDocument(PolicyViolation violation) {
        // The narrative names principals and resources from the events: tokenize what looks like
        // PII in it, as for any free text, before it reaches the store.
        return VectorDocument.builder()
                .id(KIND + ":" + violation.getViolationId())
                .kind(KIND)
                .text(freeText.tokenize(violation.getNarrative()))
                .time(violation.getLastEventAt())
                .metadata("severity", violation.getSeverity().name().toLowerCase(Locale.ROOT))
                .metadata("policy", violation.getPolicyId())
                .metadata("policy_version", String.valueOf(violation.getPolicyVersion()))
                .metadata(violation.getKeyKind(), violation.getKey())
                .source(
                        PolicyStage.VIOLATIONS_TABLE,
                        Lineage.equals("violation_id", violation.getViolationId()))
                .build();
    }
}
