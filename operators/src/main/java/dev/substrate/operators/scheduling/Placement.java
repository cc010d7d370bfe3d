package dev.substrate.operators.scheduling;

import dev.substrate.events.ScoreParts;
import dev.substrate.operators.scheduling.state.Target;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Where a unit (a request, or a gang's members) fits: the GPUs of each member, its score and the
 * score's parts, the region chosen, and the running work it would evict (empty unless preempting).
 */
final class Placement {

    /** One member's GPUs and score. */
    record Member(List<Target> targets, double score, ScoreParts parts) {}

    final Map<String, Member> members = new LinkedHashMap<>();
    final SortedSet<String> victims = new TreeSet<>();
    String region;
    String cluster;
    double score;
    int maxVictimPriority = -1;
    int victimGpus;

    /** Set when the unit goes outside its preferred region: why the preferred one was not used. */
    String notPreferredBecause;

    boolean preempts() {
        return !victims.isEmpty();
    }
}
