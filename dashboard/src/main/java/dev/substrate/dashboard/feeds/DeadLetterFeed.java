package dev.substrate.dashboard.feeds;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.substrate.dashboard.live.UpdateHub;
import dev.substrate.dashboard.metrics.DashboardMetrics;
import dev.substrate.events.DeadLetter;
import dev.substrate.schemas.RecordIds;
import java.util.Set;

/**
 * {@code substrate.dead-letters}: the latest dead letters (panel {@value #PANEL}, keyed by source
 * topic, partition and offset) and the count per reason ({@value #REASONS_PANEL}) and per quality
 * rule that refused records ({@value #RULES_PANEL}), each dead letter counted once however often
 * the at-least-once topic repeats it (within the dashboard's memory of ids seen).
 *
 * <p>The topic holds the original key, value and headers in the clear; none of them reach the
 * browser.
 */
public final class DeadLetterFeed extends TopicFeed<DeadLetter> {

    public static final String PANEL = "dead-letters";
    public static final String REASONS_PANEL = "dead-letter-reasons";
    public static final String RULES_PANEL = "dead-letter-rules";

    private static final Set<String> NEVER_SENT =
            Set.of("original_key", "original_value", "original_headers");

    private final DashboardMetrics metrics;

    public DeadLetterFeed(String topic, DashboardMetrics metrics) {
        super(topic, DeadLetter.class);
        this.metrics = metrics;
    }

    @Override
    public void accept(DeadLetter deadLetter, UpdateHub hub) {
        String id = RecordIds.of(deadLetter);
        hub.publish(PANEL, id, RecordJson.of(deadLetter, NEVER_SENT).toString());
        if (!metrics.firstSeen(topic(), id)) {
            return;
        }
        String reason = deadLetter.getReason().name();
        long byReason = metrics.deadLetter(reason);
        hub.publish(REASONS_PANEL, reason, count("reason", reason, byReason));
        if (deadLetter.getRule() != null) {
            String rule = deadLetter.getRule().toString();
            long byRule = metrics.qualityRuleDeadLetter(rule);
            hub.publish(RULES_PANEL, rule, count("rule", rule, byRule));
        }
    }

    private static String count(String field, String name, long count) {
        ObjectNode json = JsonNodeFactory.instance.objectNode();
        json.put(field, name);
        json.put("count", count);
        return json.toString();
    }
}
