package dev.substrate.operators.scheduling.config;

import java.io.Serializable;

/**
 * A tenant's token buckets for inference, as AI gateways keep them: each bucket holds at most one
 * minute's worth and refills continuously in event time. A placed inference request takes one
 * request and its {@code tokens_per_minute} from them.
 *
 * @param requestsPerMinute inference requests placed per minute; 0 for no limit
 * @param tokensPerMinute tokens per minute of the requests placed per minute; 0 for no limit
 */
public record InferenceLimits(long requestsPerMinute, long tokensPerMinute)
        implements Serializable {

    public InferenceLimits {
        if (requestsPerMinute < 0 || tokensPerMinute < 0) {
            throw new IllegalArgumentException(
                    "inference limits must not be negative: "
                            + requestsPerMinute
                            + " requests, "
                            + tokensPerMinute
                            + " tokens per minute");
        }
    }
}
