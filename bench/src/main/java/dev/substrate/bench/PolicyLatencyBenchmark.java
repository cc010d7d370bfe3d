package dev.substrate.bench;

import dev.substrate.events.PolicyViolation;
import dev.substrate.operators.policies.ModelApproval;
import dev.substrate.operators.policies.ModelApprovalFunction;
import dev.substrate.operators.policies.PolicyDetector;
import dev.substrate.operators.policies.PolicyFile;
import dev.substrate.operators.policies.PolicySignal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;

/**
 * Event-to-violation latency of the policy operators (all shipped policies on) at a sustained rate
 * of audit events, and the highest rate they sustain. Each event is stamped with the wall clock as
 * the source emits it (its event time), so a violation's {@code detection_latency_ms} is the time
 * from the completing event leaving the source to the violation leaving the cool-down, including
 * the watermark bound the CEP operators wait for. Kafka is not in the path (add the broker's
 * append-to-fetch time, a few ms on this machine, for the end-to-end figure).
 *
 * <pre>
 * java -cp bench.jar dev.substrate.bench.PolicyLatencyBenchmark --rates 50000,100000 --seconds 30 --bound-ms 200
 * </pre>
 */
public final class PolicyLatencyBenchmark {

    private static final AtomicLong EMITTED = new AtomicLong();

    private PolicyLatencyBenchmark() {}

    public static void main(String[] args) throws Exception {
        long[] rates =
                Arrays.stream(arg(args, "--rates", "50000").split(","))
                        .mapToLong(Long::parseLong)
                        .toArray();
        int seconds = Integer.parseInt(arg(args, "--seconds", "30"));
        long boundMs = Long.parseLong(arg(args, "--bound-ms", "200"));
        int parallelism = Integer.parseInt(arg(args, "--parallelism", "2"));
        System.out.printf(
                Locale.ROOT,
                "%d cores; all shipped policies; watermark bound %d ms; parallelism %d%n",
                Runtime.getRuntime().availableProcessors(),
                boundMs,
                parallelism);
        for (long rate : rates) {
            run(rate, seconds, boundMs, parallelism);
        }
    }

    private static void run(long rate, int seconds, long boundMs, int parallelism)
            throws Exception {
        Configuration config = new Configuration();
        config.set(PipelineOptions.GENERIC_TYPES, false);
        config.set(PipelineOptions.OBJECT_REUSE, true);
        config.set(PipelineOptions.AUTO_WATERMARK_INTERVAL, Duration.ofMillis(50));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        env.setParallelism(parallelism);
        EMITTED.set(0);
        DataGeneratorSource<PolicySignal> source =
                new DataGeneratorSource<>(
                        (GeneratorFunction<Long, PolicySignal>) PolicyLatencyBenchmark::event,
                        Long.MAX_VALUE,
                        RateLimiterStrategy.perSecond(rate),
                        TypeInformation.of(PolicySignal.class));
        DataStream<PolicySignal> events =
                env.fromSource(
                        source,
                        WatermarkStrategy.<PolicySignal>forBoundedOutOfOrderness(
                                        Duration.ofMillis(boundMs))
                                .withTimestampAssigner((s, previous) -> s.timestamp),
                        "audit events");
        DataStream<ModelApproval> registry =
                env.fromData(
                                List.of(new ModelApproval("llama-3.1-8b", "3.1.2", true, 0)),
                                TypeInformation.of(ModelApproval.class))
                        .assignTimestampsAndWatermarks(ModelApprovalFunction.registryWatermarks());
        DataStream<PolicyViolation> violations =
                PolicyDetector.builder()
                        .policies(PolicyFile.load(PolicyFile.DEFAULT))
                        .registry(registry)
                        .build()
                        .addTo(events)
                        .violations();

        List<Long> latencies = new ArrayList<>();
        long warmUpEnds = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        long ends = warmUpEnds + Duration.ofSeconds(seconds).toNanos();
        long emittedAtStart = -1;
        try (CloseableIterator<PolicyViolation> it =
                violations.executeAndCollect("policy latency")) {
            while (it.hasNext()) {
                PolicyViolation v = it.next();
                long now = System.nanoTime();
                if (now < warmUpEnds) {
                    continue;
                }
                if (emittedAtStart < 0) {
                    emittedAtStart = EMITTED.get();
                }
                if (now >= ends) {
                    break;
                }
                latencies.add(v.getDetectionLatencyMs());
            }
        }
        long emitted = EMITTED.get() - Math.max(0, emittedAtStart);
        latencies.sort(null);
        System.out.printf(
                Locale.ROOT,
                "target %,d events/s: sustained %,.0f events/s, %,d violations, latency p50 %d ms,"
                        + " p99 %d ms, max %d ms%n",
                rate,
                emitted / (double) seconds,
                latencies.size(),
                percentile(latencies, 0.50),
                percentile(latencies, 0.99),
                latencies.isEmpty() ? -1 : latencies.get(latencies.size() - 1));
    }

    /**
     * Benign audit traffic of 10,000 principals, and an unencrypted read of restricted data by a
     * new principal every 1,000 events (a violation each, never suppressed).
     */
    private static PolicySignal event(long index) {
        EMITTED.incrementAndGet();
        PolicySignal s = new PolicySignal();
        s.source = PolicySignal.Source.AUDIT;
        s.eventId = "e" + index;
        s.timestamp = System.currentTimeMillis();
        s.outcome = "ALLOWED";
        s.encrypted = true;
        s.authMethod = "oidc";
        if (index % 1_000 == 999) {
            s.principal = "victim-" + index;
            s.action = "DATA_READ";
            s.classification = "RESTRICTED";
            s.resource = "dataset/payroll";
            s.encrypted = false;
            return s;
        }
        s.principal = "p" + (index % 10_000);
        switch ((int) (index % 4)) {
            case 0 -> {
                s.action = "MODEL_INVOKE";
                s.resource = "model/llama-3.1-8b";
                s.model = "llama-3.1-8b";
                s.modelVersion = "3.1.2";
                s.tokens = 800 + index % 400;
                s.classification = "INTERNAL";
            }
            case 1 -> {
                s.action = "DATA_READ";
                s.resource = "dataset/clickstream";
                s.classification = "INTERNAL";
            }
            case 2 -> {
                s.action = "LOGIN";
                s.resource = "console";
                s.classification = "INTERNAL";
            }
            default -> {
                s.action = "DATA_EXPORT";
                s.resource = "dataset/clickstream";
                s.classification = "INTERNAL";
                s.destination = "s3://substrate-exports/x";
            }
        }
        return s;
    }

    private static long percentile(List<Long> sorted, double q) {
        if (sorted.isEmpty()) {
            return -1;
        }
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(q * sorted.size()) - 1));
    }

    private static String arg(String[] args, String name, String fallback) {
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        return fallback;
    }
}
