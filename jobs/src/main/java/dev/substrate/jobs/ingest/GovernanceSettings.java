package dev.substrate.jobs.ingest;

import dev.substrate.jobs.config.EventTimeOptions;
import dev.substrate.jobs.config.SubstrateOptions;
import dev.substrate.operators.pii.PiiKeySource;
import java.time.Duration;
import java.util.Objects;
import org.apache.flink.configuration.ReadableConfig;

/**
 * How the ingest governs what it reads: watermarks, lateness, deduplication, PII key and how often
 * the raw tables look for new schema versions. Built from the job's {@link SubstrateOptions}.
 *
 * @param outOfOrderness {@link EventTimeOptions#OUT_OF_ORDERNESS}
 * @param idleTimeout {@link EventTimeOptions#IDLENESS}
 * @param maxFutureSkew {@link EventTimeOptions#MAX_FUTURE_SKEW}
 * @param allowedLateness {@link SubstrateOptions#ALLOWED_LATENESS}
 * @param dedupHorizon {@link SubstrateOptions#DEDUP_HORIZON}
 * @param piiKeys {@link SubstrateOptions#PII_MODE} and {@link SubstrateOptions#PII_KEY_FILE}
 * @param lakeSchemaRefresh {@link SubstrateOptions#LAKE_SCHEMA_REFRESH}
 */
public record GovernanceSettings(
        Duration outOfOrderness,
        Duration idleTimeout,
        Duration maxFutureSkew,
        Duration allowedLateness,
        Duration dedupHorizon,
        PiiKeySource piiKeys,
        Duration lakeSchemaRefresh) {

    public GovernanceSettings {
        Objects.requireNonNull(outOfOrderness, "outOfOrderness");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(maxFutureSkew, "maxFutureSkew");
        Objects.requireNonNull(allowedLateness, "allowedLateness");
        Objects.requireNonNull(dedupHorizon, "dedupHorizon");
        Objects.requireNonNull(piiKeys, "piiKeys");
        Objects.requireNonNull(lakeSchemaRefresh, "lakeSchemaRefresh");
    }

    public static GovernanceSettings from(ReadableConfig config) {
        return new GovernanceSettings(
                config.get(EventTimeOptions.OUT_OF_ORDERNESS),
                config.get(EventTimeOptions.IDLENESS),
                config.get(EventTimeOptions.MAX_FUTURE_SKEW),
                config.get(SubstrateOptions.ALLOWED_LATENESS),
                config.get(SubstrateOptions.DEDUP_HORIZON),
                new PiiKeySource(
                        config.get(SubstrateOptions.PII_MODE),
                        config.get(SubstrateOptions.PII_KEY_FILE)),
                config.get(SubstrateOptions.LAKE_SCHEMA_REFRESH));
    }
}
