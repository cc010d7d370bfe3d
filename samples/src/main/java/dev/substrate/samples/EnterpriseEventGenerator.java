package dev.substrate.samples;

import dev.substrate.events.EnterpriseEvent;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An endless, deterministic stream of enterprise events: CRM notes and stage changes, ERP orders,
 * invoices and shipments, and application log lines, each with free text (sometimes holding
 * personal data such as e-mail addresses and phone numbers, as real notes do) and string
 * attributes.
 *
 * <p>Events come in event-time order, one per {@code meanSpacing} on average.
 */
public final class EnterpriseEventGenerator implements Iterator<EnterpriseEvent> {

    /** The {@code source_system} values. */
    public static final List<String> SOURCE_SYSTEMS = List.of("crm", "erp", "logs");

    private static final double[] SOURCE_WEIGHTS = {35, 35, 30};
    private static final List<String> SERVICES =
            List.of(
                    "inference-gateway",
                    "scheduler",
                    "feature-store",
                    "checkout-api",
                    "auth-service",
                    "billing-worker");
    private static final List<String> PRODUCTS =
            List.of(
                    "H100 reserved capacity",
                    "A100 on-demand",
                    "TPU v5e pods",
                    "managed inference",
                    "fine-tuning service");
    private static final List<String> STAGES =
            List.of("prospecting", "qualification", "proposal", "negotiation", "closed_won");
    private static final List<String> CURRENCIES = List.of("USD", "EUR", "GBP", "JPY");
    private static final List<String> ISSUES =
            List.of(
                    "slow responses from the inference endpoint",
                    "a billing discrepancy on the last invoice",
                    "jobs stuck in the queue since this morning",
                    "an expired API key",
                    "quota increase for the training cluster");

    private final long seed;
    private final SampleRandom random;
    private final EventClock clock;
    private long emitted;
    private long orders;
    private long invoices;
    private long shipments;
    private long cases;

    public EnterpriseEventGenerator(long seed, Instant start, Duration meanSpacing) {
        this.seed = seed;
        this.random = new SampleRandom(seed, "enterprise-events");
        this.clock = new EventClock(start, meanSpacing, new SampleRandom(seed, "enterprise-clock"));
    }

    /** Always true: enterprise systems keep talking. */
    @Override
    public boolean hasNext() {
        return true;
    }

    @Override
    public EnterpriseEvent next() {
        Instant now = clock.next();
        String system = random.weighted(SOURCE_SYSTEMS, SOURCE_WEIGHTS);
        EnterpriseEvent.Builder event =
                switch (system) {
                    case "crm" -> crm(now);
                    case "erp" -> erp(now);
                    default -> log(now);
                };
        return event.setEventId(
                        SampleRandom.uuid(
                                "enterprise-event", Long.toString(seed), Long.toString(emitted++)))
                .setTimestamp(now)
                .setSourceSystem(system)
                .build();
    }

    private EnterpriseEvent.Builder crm(Instant now) {
        String account = String.format("ACC-%06d", random.between(1, 5000));
        String tenant = random.pick(SampleVocabulary.TENANTS);
        String person = person();
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put("account_id", account);
        attributes.put("owner", random.pick(SampleVocabulary.FIRST_NAMES));
        attributes.put("tier", random.pick(List.of("enterprise", "growth", "startup")));
        double draw = random.uniform();
        if (draw < 0.35) {
            String opportunity = String.format("OPP-%06d", random.between(1, 20000));
            int stage = random.between(0, STAGES.size() - 2);
            String product = random.pick(PRODUCTS);
            long amount = random.between(5, 900) * 1000L;
            attributes.put("stage_from", STAGES.get(stage));
            attributes.put("stage_to", STAGES.get(stage + 1));
            attributes.put("amount", Long.toString(amount));
            attributes.put("currency", random.pick(CURRENCIES));
            attributes.put("product", product);
            return EnterpriseEvent.newBuilder()
                    .setEntityType("opportunity")
                    .setEntityId(opportunity)
                    .setEventType("opportunity.stage_changed")
                    .setText(
                            String.format(
                                    Locale.ROOT,
                                    "Moved %s from %s to %s after a call with %s; %s, expected"
                                            + " close %s.",
                                    product,
                                    STAGES.get(stage),
                                    STAGES.get(stage + 1),
                                    capitalised(person),
                                    tenant,
                                    LocalDate.ofInstant(now, ZoneOffset.UTC)
                                            .plusDays(random.between(7, 90))))
                    .setAttributes(attributes);
        } else if (draw < 0.7) {
            String caseId = String.format("CASE-%06d", ++cases);
            String issue = random.pick(ISSUES);
            attributes.put("priority", random.pick(List.of("low", "normal", "high", "urgent")));
            attributes.put("channel", random.pick(List.of("phone", "email", "chat")));
            return EnterpriseEvent.newBuilder()
                    .setEntityType("case")
                    .setEntityId(caseId)
                    .setEventType("case.opened")
                    .setText(
                            String.format(
                                    Locale.ROOT,
                                    "%s (%s) reported %s. Call back on %s.",
                                    capitalised(person),
                                    email(person, tenant),
                                    issue,
                                    phone()))
                    .setAttributes(attributes);
        } else {
            attributes.put("field", random.pick(List.of("billing_address", "phone", "contact")));
            return EnterpriseEvent.newBuilder()
                    .setEntityType("account")
                    .setEntityId(account)
                    .setEventType("account.updated")
                    .setText(
                            String.format(
                                    Locale.ROOT,
                                    "Updated the primary contact of %s to %s <%s>.",
                                    tenant,
                                    capitalised(person),
                                    email(person, tenant)))
                    .setAttributes(attributes);
        }
    }

    private EnterpriseEvent.Builder erp(Instant now) {
        String customer = String.format("ACC-%06d", random.between(1, 5000));
        String currency = random.pick(CURRENCIES);
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put("customer_id", customer);
        attributes.put("currency", currency);
        double draw = random.uniform();
        if (draw < 0.4) {
            String order = String.format("ORD-%d-%06d", year(now), ++orders);
            int quantity = random.between(1, 16);
            String product = random.pick(PRODUCTS);
            double amount = quantity * random.between(1500.0, 48000.0);
            attributes.put("sku", product.toUpperCase(Locale.ROOT).replace(' ', '-'));
            attributes.put("quantity", Integer.toString(quantity));
            attributes.put("amount", String.format(Locale.ROOT, "%.2f", amount));
            attributes.put("status", "placed");
            return EnterpriseEvent.newBuilder()
                    .setEntityType("order")
                    .setEntityId(order)
                    .setEventType("order.placed")
                    .setText(
                            String.format(
                                    Locale.ROOT,
                                    "Order of %d x %s for %s, net 30, total %.2f %s.",
                                    quantity,
                                    product,
                                    customer,
                                    amount,
                                    currency))
                    .setAttributes(attributes);
        } else if (draw < 0.8) {
            String invoice = String.format("INV-%d-%06d", year(now), ++invoices);
            String eventType =
                    random.weighted(
                            List.of("invoice.issued", "invoice.paid", "invoice.overdue"),
                            new double[] {50, 40, 10});
            double amount = random.between(800.0, 250000.0);
            attributes.put("amount", String.format(Locale.ROOT, "%.2f", amount));
            attributes.put("status", eventType.substring("invoice.".length()));
            String text =
                    switch (eventType) {
                        case "invoice.paid" ->
                                String.format(
                                        Locale.ROOT,
                                        "Payment of %.2f %s received for %s by bank transfer.",
                                        amount,
                                        currency,
                                        invoice);
                        case "invoice.overdue" ->
                                String.format(
                                        Locale.ROOT,
                                        "%s for %s is %d days overdue; reminder sent to accounts"
                                                + " payable.",
                                        invoice,
                                        customer,
                                        random.between(1, 60));
                        default ->
                                String.format(
                                        Locale.ROOT,
                                        "Issued %s to %s for %.2f %s, due in 30 days.",
                                        invoice,
                                        customer,
                                        amount,
                                        currency);
                    };
            return EnterpriseEvent.newBuilder()
                    .setEntityType("invoice")
                    .setEntityId(invoice)
                    .setEventType(eventType)
                    .setText(text)
                    .setAttributes(attributes);
        } else {
            String shipment = String.format("SHP-%06d", ++shipments);
            String region = random.pick(SampleVocabulary.REGIONS);
            attributes.put("carrier", random.pick(List.of("dhl", "ups", "fedex", "maersk")));
            attributes.put("destination_region", region);
            return EnterpriseEvent.newBuilder()
                    .setEntityType("shipment")
                    .setEntityId(shipment)
                    .setEventType("shipment.dispatched")
                    .setText(
                            String.format(
                                    Locale.ROOT,
                                    "Dispatched %d GPU servers to the %s data center for %s.",
                                    random.between(1, 12),
                                    region,
                                    customer))
                    .setAttributes(attributes);
        }
    }

    private EnterpriseEvent.Builder log(Instant now) {
        String service = random.pick(SERVICES);
        String level = random.weighted(List.of("INFO", "WARN", "ERROR"), new double[] {70, 20, 10});
        String host = String.format("%s-%d", service, random.between(1, 6));
        String traceId = SampleRandom.uuid("trace", Long.toString(seed), Long.toString(emitted));
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put("level", level);
        attributes.put("host", host);
        attributes.put("trace_id", traceId);
        String text;
        switch (level) {
            case "ERROR" -> {
                int status = random.pick(List.of(500, 502, 503, 504));
                attributes.put("http_status", Integer.toString(status));
                SampleVocabulary.ModelSpec model = random.pick(SampleVocabulary.MODELS);
                text =
                        String.format(
                                Locale.ROOT,
                                "%s ERROR %s upstream %s returned %d after %d ms (model=%s,"
                                        + " trace_id=%s)",
                                now,
                                service,
                                random.pick(SERVICES),
                                status,
                                random.between(1000, 30000),
                                model.name(),
                                traceId);
            }
            case "WARN" -> {
                String tenant = random.pick(SampleVocabulary.TENANTS);
                String person = person();
                text =
                        random.chance(0.5)
                                ? String.format(
                                        Locale.ROOT,
                                        "%s WARN %s login failed for user=%s from %s",
                                        now,
                                        service,
                                        email(person, tenant),
                                        "10."
                                                + random.between(10, 17)
                                                + "."
                                                + random.between(0, 249)
                                                + "."
                                                + random.between(20, 219))
                                : String.format(
                                        Locale.ROOT,
                                        "%s WARN %s queue depth %d above threshold for tenant=%s",
                                        now,
                                        service,
                                        random.between(500, 5000),
                                        tenant);
            }
            default -> {
                int latency = random.between(3, 900);
                attributes.put("http_status", "200");
                attributes.put("latency_ms", Integer.toString(latency));
                text =
                        String.format(
                                Locale.ROOT,
                                "%s INFO %s %s %s 200 %d ms",
                                now,
                                service,
                                random.pick(List.of("GET", "POST")),
                                random.pick(
                                        List.of(
                                                "/v1/completions",
                                                "/v1/embeddings",
                                                "/v1/jobs",
                                                "/healthz",
                                                "/v1/features")),
                                latency);
            }
        }
        return EnterpriseEvent.newBuilder()
                .setEntityType("service")
                .setEntityId(service)
                .setEventType("log." + level.toLowerCase(Locale.ROOT))
                .setText(text)
                .setAttributes(attributes);
    }

    /** {@code first.last} of a person. */
    private String person() {
        return random.pick(SampleVocabulary.FIRST_NAMES)
                + "."
                + random.pick(SampleVocabulary.LAST_NAMES);
    }

    private static String email(String person, String tenant) {
        return person + "@" + SampleVocabulary.domainOf(tenant);
    }

    private String phone() {
        // The fictional 555-01xx range.
        return String.format(
                Locale.ROOT, "+1-%03d-555-01%02d", random.between(201, 989), random.between(0, 99));
    }

    private static String capitalised(String person) {
        StringBuilder name = new StringBuilder();
        for (String part : person.split("\\.")) {
            if (name.length() > 0) {
                name.append(' ');
            }
            name.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
        }
        return name.toString();
    }

    private static int year(Instant now) {
        return LocalDate.ofInstant(now, ZoneOffset.UTC).getYear();
    }
}
