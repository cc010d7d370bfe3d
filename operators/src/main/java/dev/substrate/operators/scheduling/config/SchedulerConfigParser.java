package dev.substrate.operators.scheduling.config;

import dev.substrate.operators.config.ConfigFileException;
import dev.substrate.operators.scheduling.config.YamlTree.Entry;
import dev.substrate.operators.scheduling.config.YamlTree.Mapping;
import dev.substrate.operators.scheduling.config.YamlTree.Node;
import dev.substrate.operators.scheduling.config.YamlTree.Scalar;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** Turns the YAML of a quota file into a {@link SchedulerConfig}, checking every value. */
final class SchedulerConfigParser {

    private static final Set<String> FILE_KEYS =
            Set.of("policy", "shared_pool", "tenants", "default_tenant");
    private static final List<String> POLICY_KEYS =
            List.of(
                    "placement",
                    "preemption",
                    "fair_share_half_life",
                    "aging_step",
                    "reservation_timeout",
                    "cross_region_penalty",
                    "unhealthy_region_below",
                    "telemetry_stale_after",
                    "finished_retention",
                    "max_pending",
                    "retry_limit",
                    "region_distances");
    private static final List<String> TENANT_KEYS =
            List.of("nominal", "borrowing_limit", "over_quota", "inference");
    private static final List<String> INFERENCE_KEYS =
            List.of("requests_per_minute", "tokens_per_minute");
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");

    private final String file;

    private SchedulerConfigParser(String file) {
        this.file = file;
    }

    static SchedulerConfig parse(String text, String file) {
        return new SchedulerConfigParser(file).config(YamlTree.parse(text, file));
    }

    private SchedulerConfig config(Node root) {
        if (root == null) {
            throw new ConfigFileException(
                    file, 1, "the file is empty; expected policy, shared_pool and tenants");
        }
        Mapping top = mapping(root, "the file", FILE_KEYS);
        SchedulerPolicy policy = SchedulerPolicy.defaults();
        Entry policyEntry = top.entries().get("policy");
        if (policyEntry != null) {
            policy = policy(policyEntry);
        }
        Map<String, Integer> pool = new TreeMap<>();
        Entry poolEntry = top.entries().get("shared_pool");
        if (poolEntry != null) {
            pool = gpuCounts(poolEntry);
        }
        Map<String, TenantQuota> tenants = new TreeMap<>();
        Entry tenantsEntry = top.entries().get("tenants");
        if (tenantsEntry == null) {
            throw new ConfigFileException(
                    file, 1, "no 'tenants': list each tenant's nominal quota under it");
        }
        if (!isNull(tenantsEntry.value())) {
            for (Entry tenant :
                    mapping(tenantsEntry.value(), "'tenants'", null).entries().values()) {
                tenants.put(tenant.key(), tenant(tenant, "tenant '" + tenant.key() + "'", pool));
            }
        }
        TenantQuota defaultTenant = null;
        Entry defaultEntry = top.entries().get("default_tenant");
        if (defaultEntry != null && !isNull(defaultEntry.value())) {
            defaultTenant = tenant(defaultEntry, "'default_tenant'", pool);
        }
        return new SchedulerConfig(
                policy, new TreeMap<>(pool), new TreeMap<>(tenants), defaultTenant, file);
    }

    private SchedulerPolicy policy(Entry entry) {
        SchedulerPolicy.Builder b = SchedulerPolicy.builder();
        for (Entry e : mapping(entry.value(), "'policy'", POLICY_KEYS).entries().values()) {
            switch (e.key()) {
                case "placement" -> b.placement(choice(e, PlacementStrategy.class));
                case "preemption" -> b.preemption(choice(e, PreemptionPolicy.class));
                case "fair_share_half_life" -> b.fairShareHalfLife(duration(e));
                case "aging_step" -> b.agingStep(duration(e));
                case "reservation_timeout" -> b.reservationTimeout(duration(e));
                case "cross_region_penalty" -> b.crossRegionPenalty(number(e, 0, 1e6));
                case "unhealthy_region_below" -> b.unhealthyRegionBelow(number(e, 0, 1));
                case "telemetry_stale_after" -> b.telemetryStaleAfter(duration(e));
                case "finished_retention" -> b.finishedRetention(duration(e));
                case "max_pending" -> b.maxPending((int) integer(e, 1, 100_000_000));
                case "retry_limit" -> b.retryLimit((int) integer(e, 1, 1_000_000));
                case "region_distances" -> {
                    for (Entry from :
                            mapping(e.value(), "'region_distances'", null).entries().values()) {
                        for (Entry to :
                                mapping(from.value(), "region '" + from.key() + "'", null)
                                        .entries()
                                        .values()) {
                            b.regionDistance(from.key(), to.key(), number(to, 0, 1e6));
                        }
                    }
                }
                default -> throw new IllegalStateException(e.key());
            }
        }
        try {
            return b.build();
        } catch (IllegalArgumentException ex) {
            throw new ConfigFileException(file, entry.line(), ex.getMessage());
        }
    }

    private TenantQuota tenant(Entry entry, String what, Map<String, Integer> pool) {
        Mapping m = mapping(entry.value(), what, TENANT_KEYS);
        Map<String, Integer> nominal = new TreeMap<>();
        Map<String, Integer> borrowing = new TreeMap<>();
        OverQuotaAction overQuota = OverQuotaAction.QUEUE;
        InferenceLimits inference = null;
        Entry nominalEntry = m.entries().get("nominal");
        if (nominalEntry == null) {
            throw new ConfigFileException(
                    file,
                    entry.line(),
                    what + " has no 'nominal' quota (GPUs per accelerator type; {} for none)");
        }
        nominal = gpuCounts(nominalEntry);
        Entry borrowingEntry = m.entries().get("borrowing_limit");
        if (borrowingEntry != null) {
            borrowing = gpuCounts(borrowingEntry);
            for (Map.Entry<String, Integer> limit : borrowing.entrySet()) {
                if (limit.getValue() > 0 && pool.getOrDefault(limit.getKey(), 0) == 0) {
                    throw new ConfigFileException(
                            file,
                            lineOf(borrowingEntry, limit.getKey()),
                            what
                                    + " may borrow "
                                    + limit.getKey()
                                    + " GPUs, but the shared_pool has none of that type: add it"
                                    + " to shared_pool or check the name");
                }
            }
        }
        Entry overQuotaEntry = m.entries().get("over_quota");
        if (overQuotaEntry != null) {
            overQuota = choice(overQuotaEntry, OverQuotaAction.class);
        }
        Entry inferenceEntry = m.entries().get("inference");
        if (inferenceEntry != null) {
            Mapping limits = mapping(inferenceEntry.value(), what + " inference", INFERENCE_KEYS);
            long requests = 0;
            long tokens = 0;
            for (Entry e : limits.entries().values()) {
                long value = integer(e, 0, Long.MAX_VALUE / 4);
                if (e.key().equals("requests_per_minute")) {
                    requests = value;
                } else {
                    tokens = value;
                }
            }
            inference = new InferenceLimits(requests, tokens);
        }
        return new TenantQuota(
                new TreeMap<>(nominal), new TreeMap<>(borrowing), overQuota, inference);
    }

    private Map<String, Integer> gpuCounts(Entry entry) {
        Map<String, Integer> counts = new TreeMap<>();
        if (isNull(entry.value())) {
            return counts;
        }
        for (Entry e : mapping(entry.value(), "'" + entry.key() + "'", null).entries().values()) {
            counts.put(e.key(), (int) integer(e, 0, 10_000_000));
        }
        return counts;
    }

    private int lineOf(Entry mapEntry, String key) {
        if (mapEntry.value() instanceof Mapping m && m.entries().containsKey(key)) {
            return m.entries().get(key).line();
        }
        return mapEntry.line();
    }

    /** The node as a mapping whose keys are all in {@code allowed} (null: any key). */
    private Mapping mapping(Node node, String what, java.util.Collection<String> allowed) {
        if (!(node instanceof Mapping m)) {
            throw new ConfigFileException(
                    file,
                    node.line(),
                    what
                            + " must be a mapping"
                            + (allowed == null
                                    ? ""
                                    : " with the keys " + String.join(", ", sorted(allowed))));
        }
        if (allowed != null) {
            for (Entry e : m.entries().values()) {
                if (!allowed.contains(e.key())) {
                    throw new ConfigFileException(
                            file,
                            e.line(),
                            "unknown key '"
                                    + e.key()
                                    + "' in "
                                    + what
                                    + "; it may have "
                                    + String.join(", ", sorted(allowed)));
                }
            }
        }
        return m;
    }

    private static List<String> sorted(java.util.Collection<String> keys) {
        return keys instanceof List<String> list ? list : keys.stream().sorted().toList();
    }

    private String scalar(Entry e) {
        if (!(e.value() instanceof Scalar s) || s.text() == null) {
            throw new ConfigFileException(
                    file, e.line(), "'" + e.key() + "' must be a single value");
        }
        return s.text().trim();
    }

    private <E extends Enum<E>> E choice(Entry e, Class<E> type) {
        String text = scalar(e);
        try {
            return Enum.valueOf(type, text.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException ex) {
            throw new ConfigFileException(
                    file,
                    e.line(),
                    "'"
                            + e.key()
                            + "' is '"
                            + text
                            + "'; it must be one of "
                            + Arrays.stream(type.getEnumConstants())
                                    .map(Enum::name)
                                    .collect(Collectors.joining(", ")));
        }
    }

    private Duration duration(Entry e) {
        String text = scalar(e);
        Matcher m = DURATION.matcher(text);
        if (!m.matches()) {
            throw new ConfigFileException(
                    file,
                    e.line(),
                    "'"
                            + e.key()
                            + "' is '"
                            + text
                            + "'; a duration is a number and a unit: 500ms, 30s, 5m, 1h, 2d");
        }
        long n = Long.parseLong(m.group(1));
        Duration d =
                switch (m.group(2)) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    default -> Duration.ofDays(n);
                };
        if (d.isZero()) {
            throw new ConfigFileException(
                    file, e.line(), "'" + e.key() + "' must be longer than zero");
        }
        return d;
    }

    private double number(Entry e, double min, double max) {
        String text = scalar(e);
        double value;
        try {
            value = Double.parseDouble(text);
        } catch (NumberFormatException ex) {
            throw new ConfigFileException(
                    file, e.line(), "'" + e.key() + "' is '" + text + "'; it must be a number");
        }
        if (!(value >= min && value <= max)) {
            throw new ConfigFileException(
                    file,
                    e.line(),
                    "'"
                            + e.key()
                            + "' is "
                            + text
                            + "; it must be between "
                            + fmt(min)
                            + " and "
                            + fmt(max));
        }
        return value;
    }

    private long integer(Entry e, long min, long max) {
        String text = scalar(e);
        long value;
        try {
            value = Long.parseLong(text);
        } catch (NumberFormatException ex) {
            throw new ConfigFileException(
                    file,
                    e.line(),
                    "'" + e.key() + "' is '" + text + "'; it must be a whole number");
        }
        if (value < min || value > max) {
            throw new ConfigFileException(
                    file,
                    e.line(),
                    "'"
                            + e.key()
                            + "' is "
                            + value
                            + "; it must be between "
                            + min
                            + " and "
                            + max);
        }
        return value;
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }

    private static boolean isNull(Node node) {
        return node instanceof Scalar s && s.text() == null;
    }
}
