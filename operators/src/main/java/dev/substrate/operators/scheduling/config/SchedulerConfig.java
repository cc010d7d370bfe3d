package dev.substrate.operators.scheduling.config;

import dev.substrate.operators.config.ConfigFileException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import javax.annotation.Nullable;

/**
 * Everything the scheduler decides by: its {@link SchedulerPolicy}, the shared pool tenants borrow
 * from and each tenant's {@link TenantQuota}, read from a quota file (YAML) that is validated as a
 * whole when read ({@link #load}); a defect names the file, the line and the reason.
 *
 * <pre>{@code
 * policy:
 *   placement: BIN_PACK
 * shared_pool: {H100-80GB: 8}
 * tenants:
 *   acme-research:
 *     nominal: {H100-80GB: 16}
 *     borrowing_limit: {H100-80GB: 8}
 *     over_quota: QUEUE
 *     inference: {requests_per_minute: 60, tokens_per_minute: 2000000}
 * default_tenant: {nominal: {}, over_quota: REJECT}
 * }</pre>
 *
 * @param sharedPool GPUs per accelerator type that no tenant owns and any may borrow
 * @param defaultTenant the quota of tenants not listed, or null to reject their requests
 * @param source where it was read from, for messages
 */
public record SchedulerConfig(
        SchedulerPolicy policy,
        SortedMap<String, Integer> sharedPool,
        SortedMap<String, TenantQuota> tenants,
        @Nullable TenantQuota defaultTenant,
        String source)
        implements Serializable {

    /** The quota file shipped with Substrate, sized for the sample fleet. */
    public static final String DEFAULT_RESOURCE = "scheduling/quotas.yaml";

    /** A location naming a classpath resource rather than a file. */
    public static final String CLASSPATH_PREFIX = "classpath:";

    public SchedulerConfig {
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(source, "source");
        sharedPool = Collections.unmodifiableSortedMap(new TreeMap<>(sharedPool));
        tenants = Collections.unmodifiableSortedMap(new TreeMap<>(tenants));
    }

    /** The quota of {@code tenant}: its own, else the default tenant's, else null. */
    @Nullable
    public TenantQuota quotaOf(String tenant) {
        TenantQuota quota = tenants.get(tenant);
        return quota != null ? quota : defaultTenant;
    }

    /** GPUs of {@code acceleratorType} in the shared pool. */
    public int poolOf(String acceleratorType) {
        return sharedPool.getOrDefault(acceleratorType, 0);
    }

    /** The same quotas under another policy. */
    public SchedulerConfig withPolicy(SchedulerPolicy newPolicy) {
        return new SchedulerConfig(newPolicy, sharedPool, tenants, defaultTenant, source);
    }

    /**
     * Reads and checks a quota file: the empty string for {@link #DEFAULT_RESOURCE}, {@code
     * classpath:<resource>} for another resource, else a file path.
     *
     * @throws ConfigFileException naming the file (and line) when it is missing or wrong
     */
    public static SchedulerConfig load(String location) {
        if (location == null || location.isBlank()) {
            return fromResource(DEFAULT_RESOURCE);
        }
        if (location.startsWith(CLASSPATH_PREFIX)) {
            return fromResource(location.substring(CLASSPATH_PREFIX.length()));
        }
        Path path = Path.of(location);
        String text;
        try {
            text = Files.readString(path, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ConfigFileException(
                    location,
                    0,
                    "no such file (working directory "
                            + Path.of("").toAbsolutePath()
                            + "); give the path of a quota file, or leave scheduling.quota-file"
                            + " empty for the default "
                            + DEFAULT_RESOURCE,
                    e);
        } catch (IOException e) {
            throw new ConfigFileException(location, 0, "cannot be read: " + e, e);
        }
        return parse(text, location);
    }

    /** Parses quota-file text; {@code source} names it in messages. */
    public static SchedulerConfig parse(String text, String source) {
        return SchedulerConfigParser.parse(text, source);
    }

    private static SchedulerConfig fromResource(String resource) {
        String name = CLASSPATH_PREFIX + resource;
        try (InputStream in =
                SchedulerConfig.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new ConfigFileException(name, 0, "no such classpath resource");
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), name);
        } catch (IOException e) {
            throw new ConfigFileException(name, 0, "cannot be read: " + e, e);
        }
    }

    /** A configuration of {@code tenants} under {@code policy}, for tests and tools. */
    public static SchedulerConfig of(
            SchedulerPolicy policy,
            Map<String, Integer> sharedPool,
            Map<String, TenantQuota> tenants,
            @Nullable TenantQuota defaultTenant) {
        return new SchedulerConfig(
                policy,
                new TreeMap<>(sharedPool),
                new TreeMap<>(tenants),
                defaultTenant,
                "(built in code)");
    }
}
