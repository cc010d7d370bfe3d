package dev.substrate.samples;

import dev.substrate.events.GpuSample;
import dev.substrate.sources.telemetry.GpuSampleIds;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import javax.annotation.Nullable;

/**
 * An endless, deterministic stream of telemetry from a made-up fleet: regions × clusters × nodes ×
 * accelerators, each accelerator going through load phases (idle, training, inference,
 * memory-bound) with the power capping, thermal slowdowns, ECC errors and rare XIDs that real
 * fleets show.
 *
 * <p>Every {@link Config#sampleInterval()} each accelerator is read once; readings of one round are
 * spread evenly over the interval, so the iterator yields samples in event-time order. State is a
 * few numbers per accelerator. Every sample carries the v2 fields ({@code power_limit_w}, and
 * {@code mig_profile} on MIG nodes); whether a sample is sent as v1 is the caller's choice.
 *
 * <p>Now and then, at a known rate per sample ({@value #THERMAL_RUNAWAY_RATE}), an NVIDIA device
 * plays a thermal runaway that the shipped policy file's {@code thermal-runaway} policy should
 * catch: {@value #RUNAWAY_HOT_READINGS} readings in a row at {@value #RUNAWAY_TEMPERATURE_C} °C or
 * more, then, on the next reading, still hot, XID {@value #RUNAWAY_XID}; the fleet remembers it
 * once its XID is out ({@link #planted()}). Ordinary readings never form one: no ordinary XID is
 * raised within {@link #RUNAWAY_WINDOW} of a reading at that temperature. (Runaways are planted
 * only when the sample interval is short enough for the whole scenario to fit in that window.)
 *
 * <p>Clusters alternate between {@link AcceleratorModel}s; {@code GpuSample.model} is the {@link
 * AcceleratorModel#acceleratorType() accelerator type} ({@code H100-80GB}), the name workload
 * requests use.
 */
public final class SyntheticFleet implements Iterator<GpuSample> {

    /** Clock-event reason bits, as in nvidia-smi {@code clocks_event_reasons.active}. */
    public static final long REASON_GPU_IDLE = 0x1L;

    public static final long REASON_SW_POWER_CAP = 0x4L;
    public static final long REASON_SW_THERMAL_SLOWDOWN = 0x20L;
    public static final long REASON_HW_THERMAL_SLOWDOWN = 0x40L;

    /** XID codes the fleet raises now and then (13 app error ... 79 fallen off the bus). */
    static final List<Integer> XIDS = List.of(13, 31, 43, 48, 63, 79, 94);

    private static final double[] XID_WEIGHTS = {30, 20, 12, 10, 10, 8, 10};

    /** The chance per sample of an NVIDIA device that a thermal runaway starts on it. */
    public static final double THERMAL_RUNAWAY_RATE = 0.0005;

    /** The temperature a runaway holds, and its hot readings before the XID. */
    public static final double RUNAWAY_TEMPERATURE_C = 90;

    public static final int RUNAWAY_HOT_READINGS = 5;

    /** The XID that ends a runaway (43: the GPU stopped processing). */
    public static final int RUNAWAY_XID = 43;

    /** The thermal-runaway policy's window: no ordinary XID comes this soon after a hot reading. */
    public static final Duration RUNAWAY_WINDOW = Duration.ofMinutes(5);

    /** The shipped policy that reports a planted runaway. */
    public static final String THERMAL_RUNAWAY_POLICY = "thermal-runaway";

    /**
     * An incident the fleet planted: the policy of the shipped policy file that should report it,
     * the key it reports it on (the GPU's uuid) and the event time it started.
     */
    public record PlantedIncident(String policyId, String key, Instant at) {}

    /**
     * The shape of the fleet.
     *
     * @param regions number of regions (names from {@link SampleVocabulary#REGIONS})
     * @param clustersPerRegion clusters in each region
     * @param nodesPerCluster nodes in each cluster
     * @param gpusPerNode accelerators in each node
     * @param seed the seed of every random draw
     * @param sampleInterval how often each accelerator is read (at least 1 ms)
     * @param start the event time of the first round
     */
    public record Config(
            int regions,
            int clustersPerRegion,
            int nodesPerCluster,
            int gpusPerNode,
            long seed,
            Duration sampleInterval,
            Instant start) {

        /** The event time the sample data starts at unless told otherwise. */
        public static final Instant DEFAULT_START = Instant.parse("2026-11-26T00:00:00Z");

        public Config {
            requirePositive(regions, "regions");
            requirePositive(clustersPerRegion, "clustersPerRegion");
            requirePositive(nodesPerCluster, "nodesPerCluster");
            requirePositive(gpusPerNode, "gpusPerNode");
            Objects.requireNonNull(sampleInterval, "sampleInterval");
            Objects.requireNonNull(start, "start");
            if (sampleInterval.toMillis() < 1) {
                throw new IllegalArgumentException(
                        "sampleInterval must be at least 1 ms: " + sampleInterval);
            }
            start = Instant.ofEpochMilli(start.toEpochMilli());
        }

        /** 2 regions × 2 clusters × 4 nodes × 8 GPUs (128), read every 10 s from 2026-11-26. */
        public static Config defaults(long seed) {
            return new Config(2, 2, 4, 8, seed, Duration.ofSeconds(10), DEFAULT_START);
        }

        public Config withStart(Instant newStart) {
            return new Config(
                    regions,
                    clustersPerRegion,
                    nodesPerCluster,
                    gpusPerNode,
                    seed,
                    sampleInterval,
                    newStart);
        }

        public Config withSampleInterval(Duration interval) {
            return new Config(
                    regions,
                    clustersPerRegion,
                    nodesPerCluster,
                    gpusPerNode,
                    seed,
                    interval,
                    start);
        }

        /** The number of accelerators (and so of samples per round). */
        public int totalGpus() {
            long total = (long) regions * clustersPerRegion * nodesPerCluster * gpusPerNode;
            if (total > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("Fleet too large: " + total + " GPUs");
            }
            return (int) total;
        }

        private static void requirePositive(int value, String name) {
            if (value < 1) {
                throw new IllegalArgumentException(name + " must be at least 1: " + value);
            }
        }
    }

    /** One accelerator of the fleet and where it sits. */
    public record Gpu(
            String region,
            String cluster,
            String node,
            String uuid,
            int index,
            AcceleratorModel model,
            @Nullable String migProfile) {}

    private enum Phase {
        IDLE(20),
        TRAINING(60),
        INFERENCE(30),
        MEMORY_BOUND(15);

        /** How many rounds a phase lasts on average. */
        final double meanRounds;

        Phase(double meanRounds) {
            this.meanRounds = meanRounds;
        }
    }

    private static final List<Phase> PHASES = List.of(Phase.values());
    private static final double[] PHASE_WEIGHTS = {25, 35, 30, 10};

    private final Config config;
    private final SampleRandom random;
    private final List<Gpu> gpus;
    private final long intervalMillis;

    // Per-accelerator state, indexed like gpus.
    private final double[] powerLimit;
    private final double[] ambient;
    private final double[] extraHeat;
    private final double[] eccRate;
    private final double[] xidRate;
    private final Phase[] phase;
    private final int[] phaseLeft;
    private final double[] phaseIntensity;
    private final double[] phaseMemory;
    private final double[] temperature;
    private final long[] eccCorrected;
    private final long[] eccUncorrected;
    private final int[] lostRounds;
    private final int[] runawayReadings;
    private final Instant[] runawayStart;
    private final long[] lastHotAt;
    private final SampleRandom incidents;
    private final boolean plantsRunaways;
    private final List<PlantedIncident> planted = new ArrayList<>();

    private long round;
    private int next;

    public SyntheticFleet(Config config) {
        this.config = Objects.requireNonNull(config, "config");
        this.random = new SampleRandom(config.seed(), "fleet");
        this.intervalMillis = config.sampleInterval().toMillis();
        this.gpus = layout(config, new SampleRandom(config.seed(), "fleet-layout"));
        int n = gpus.size();
        powerLimit = new double[n];
        ambient = new double[n];
        extraHeat = new double[n];
        eccRate = new double[n];
        xidRate = new double[n];
        phase = new Phase[n];
        phaseLeft = new int[n];
        phaseIntensity = new double[n];
        phaseMemory = new double[n];
        temperature = new double[n];
        eccCorrected = new long[n];
        eccUncorrected = new long[n];
        lostRounds = new int[n];
        runawayReadings = new int[n];
        runawayStart = new Instant[n];
        lastHotAt = new long[n];
        Arrays.fill(lastHotAt, Long.MIN_VALUE / 2);
        // A stream of its own: planting leaves every ordinary draw as it was.
        incidents = new SampleRandom(config.seed(), "fleet-incidents");
        plantsRunaways =
                intervalMillis * (RUNAWAY_HOT_READINGS + 1) < RUNAWAY_WINDOW.toMillis() / 2;
        SampleRandom setup = new SampleRandom(config.seed(), "fleet-setup");
        String lastNode = null;
        double nodeLimitFactor = 1;
        double nodeAmbient = 30;
        for (int g = 0; g < n; g++) {
            Gpu gpu = gpus.get(g);
            if (!gpu.node().equals(lastNode)) {
                lastNode = gpu.node();
                // Some operators run nodes below the default power limit: they cap sooner.
                nodeLimitFactor = setup.chance(0.12) ? 0.85 : 1.0;
                nodeAmbient = setup.between(26.0, 34.0);
            }
            powerLimit[g] = gpu.model().powerLimitW() * nodeLimitFactor;
            ambient[g] = nodeAmbient + setup.between(-1.0, 1.0);
            // A few devices with poor airflow run hot enough for thermal slowdowns.
            extraHeat[g] = setup.chance(0.04) ? setup.between(14.0, 20.0) : setup.between(0, 4.0);
            boolean weakMemory = setup.chance(0.02);
            eccRate[g] = weakMemory ? 0.05 : 0.0015;
            xidRate[g] = gpu.model().nvidia() ? (weakMemory ? 0.002 : 0.00015) : 0;
            temperature[g] = ambient[g] + 8;
            phase[g] = Phase.IDLE;
            phaseLeft[g] = setup.between(1, 10);
            phaseMemory[g] = 0.01;
            phaseIntensity[g] = 1;
        }
    }

    public Config config() {
        return config;
    }

    /** The incidents planted so far whose last sample is out, in the order they completed. */
    public List<PlantedIncident> planted() {
        return List.copyOf(planted);
    }

    /** The accelerators in the order each round reads them. */
    public List<Gpu> gpus() {
        return gpus;
    }

    /** Always true: the fleet never stops reporting. */
    @Override
    public boolean hasNext() {
        return true;
    }

    @Override
    public GpuSample next() {
        int g = next;
        Instant timestamp =
                Instant.ofEpochMilli(
                        config.start().toEpochMilli()
                                + round * intervalMillis
                                + (long) ((double) g * intervalMillis / gpus.size()));
        GpuSample sample = read(g, timestamp);
        next++;
        if (next == gpus.size()) {
            next = 0;
            round++;
        }
        return sample;
    }

    private GpuSample read(int g, Instant timestamp) {
        Gpu gpu = gpus.get(g);
        AcceleratorModel model = gpu.model();
        if (--phaseLeft[g] <= 0) {
            startPhase(g);
        }
        Phase current = lostRounds[g] > 0 ? Phase.IDLE : phase[g];
        double limit = powerLimit[g];

        double utilization;
        double memoryUtilization;
        switch (current) {
            case TRAINING -> {
                utilization = random.between(93.0, 100.0);
                memoryUtilization = random.between(25.0, 55.0);
            }
            case INFERENCE -> {
                // Bursty: batches arrive unevenly.
                utilization =
                        random.chance(0.15) ? random.between(0, 10.0) : random.between(25, 90.0);
                memoryUtilization = utilization * random.between(0.2, 0.45);
            }
            case MEMORY_BOUND -> {
                utilization = random.between(55.0, 90.0);
                memoryUtilization = random.between(70.0, 97.0);
            }
            default -> {
                utilization = random.chance(0.9) ? 0 : random.between(0, 3.0);
                memoryUtilization = 0;
            }
        }
        utilization = Math.rint(clamp(utilization, 0, 100));
        memoryUtilization = Math.rint(clamp(memoryUtilization, 0, 100));

        long memoryTotal = memoryTotal(gpu);
        double memoryFraction =
                current == Phase.IDLE && lostRounds[g] > 0
                        ? 0
                        : clamp(phaseMemory[g] + random.gaussian() * 0.005, 0, 1);
        long memoryUsed = Math.min(memoryTotal, Math.round(memoryTotal * memoryFraction));

        long reasons = 0;
        int smClock = model.maxSmClockMhz();
        double idle = model.idlePowerW() * random.between(0.95, 1.25);
        double wanted =
                idle + (model.powerLimitW() - idle) * (utilization / 100.0) * phaseIntensity[g];
        double power;
        if (current == Phase.IDLE) {
            power = idle;
            reasons |= REASON_GPU_IDLE;
            smClock = (int) (model.maxSmClockMhz() * random.between(0.2, 0.3));
        } else if (wanted > limit) {
            // The driver holds power at the limit by lowering clocks (SW power cap).
            power = limit * random.between(0.985, 1.0);
            reasons |= REASON_SW_POWER_CAP;
            smClock = (int) (model.maxSmClockMhz() * clamp(Math.pow(limit / wanted, 1.6), 0.6, 1));
        } else {
            power = wanted * random.between(0.97, 1.03);
        }
        power = clamp(power, 0, limit);

        double target = ambient[g] + extraHeat[g] + model.heatRiseC() * power / model.powerLimitW();
        temperature[g] += (target - temperature[g]) * 0.2 + random.gaussian() * 0.3;
        double temp = Math.rint(temperature[g]);
        if (runawayReadings[g] == 0
                && plantsRunaways
                && model.nvidia()
                && lostRounds[g] == 0
                && incidents.chance(THERMAL_RUNAWAY_RATE)) {
            runawayStart[g] = timestamp;
            runawayReadings[g] = 1;
        } else if (runawayReadings[g] > 0) {
            runawayReadings[g]++;
        }
        if (runawayReadings[g] > 0) {
            temp = Math.max(temp, RUNAWAY_TEMPERATURE_C + incidents.between(2, 7));
        }
        boolean recentlyHot = timestamp.toEpochMilli() - lastHotAt[g] <= RUNAWAY_WINDOW.toMillis();
        if (temp >= RUNAWAY_TEMPERATURE_C) {
            lastHotAt[g] = timestamp.toEpochMilli();
            recentlyHot = true;
        }
        if (temp >= 84) {
            reasons |= REASON_SW_THERMAL_SLOWDOWN;
            smClock = (int) (smClock * 0.9);
        }
        if (temp >= 88) {
            reasons |= REASON_HW_THERMAL_SLOWDOWN;
            smClock = (int) (smClock * 0.8);
        }

        if (random.chance(eccRate[g])) {
            eccCorrected[g] += random.between(1, 4);
        }
        int xid = 0;
        if (runawayReadings[g] > RUNAWAY_HOT_READINGS) {
            xid = RUNAWAY_XID;
            runawayReadings[g] = 0;
            // Remembered once complete: a scenario cut off by the end of a run is no incident.
            planted.add(new PlantedIncident(THERMAL_RUNAWAY_POLICY, gpu.uuid(), runawayStart[g]));
        } else if (lostRounds[g] > 0) {
            lostRounds[g]--;
            smClock = 0;
            reasons = 0;
            power = idle * 0.5;
        } else if (random.chance(xidRate[g])) {
            xid = random.weighted(XIDS, XID_WEIGHTS);
            if (recentlyHot) {
                // An XID soon after a hot reading would look like a runaway: those are planted.
                xid = 0;
            } else if (xid == 48) {
                eccUncorrected[g]++;
            } else if (xid == 79) {
                // Fallen off the bus: the device does no work until it is reset.
                lostRounds[g] = random.between(10, 30);
            }
        }
        smClock = smClock / 15 * 15;

        return GpuSample.newBuilder()
                .setEventId(GpuSampleIds.eventId(gpu.uuid(), timestamp))
                .setTimestamp(timestamp)
                .setRegion(gpu.region())
                .setCluster(gpu.cluster())
                .setNode(gpu.node())
                .setGpuUuid(gpu.uuid())
                .setGpuIndex(gpu.index())
                .setModel(model.acceleratorType())
                .setUtilizationPct(utilization)
                .setMemoryUtilizationPct(memoryUtilization)
                .setMemoryUsedMib(memoryUsed)
                .setMemoryTotalMib(memoryTotal)
                .setTemperatureC(temp)
                .setMemoryTemperatureC(Math.rint(temp + 2 + utilization * 0.04))
                .setPowerDrawW(Math.round(power * 100) / 100.0)
                .setSmClockMhz(smClock)
                .setMemoryClockMhz(model.memoryClockMhz())
                .setClockEventReasons(reasons)
                .setEccCorrected(eccCorrected[g])
                .setEccUncorrected(eccUncorrected[g])
                .setXid(xid)
                .setPstate(model.nvidia() ? (current == Phase.IDLE ? "P8" : "P0") : null)
                .setPowerLimitW(limit)
                .setMigProfile(gpu.migProfile())
                .build();
    }

    private void startPhase(int g) {
        Phase chosen = random.weighted(PHASES, PHASE_WEIGHTS);
        phase[g] = chosen;
        phaseLeft[g] = random.geometric(chosen.meanRounds);
        switch (chosen) {
            case TRAINING -> {
                phaseIntensity[g] = random.between(0.95, 1.3);
                phaseMemory[g] = random.between(0.75, 0.96);
            }
            case INFERENCE -> {
                phaseIntensity[g] = random.between(0.7, 1.0);
                phaseMemory[g] = random.between(0.3, 0.65);
            }
            case MEMORY_BOUND -> {
                phaseIntensity[g] = random.between(0.75, 0.95);
                phaseMemory[g] = random.between(0.85, 0.97);
            }
            default -> {
                phaseIntensity[g] = 1;
                phaseMemory[g] = random.chance(0.3) ? random.between(0.01, 0.05) : 0.001;
            }
        }
    }

    private static long memoryTotal(Gpu gpu) {
        if (gpu.migProfile() != null) {
            for (AcceleratorModel.MigProfile profile : gpu.model().migProfiles()) {
                if (profile.name().equals(gpu.migProfile())) {
                    return profile.memoryMib();
                }
            }
        }
        return gpu.model().memoryMib();
    }

    private static List<Gpu> layout(Config config, SampleRandom random) {
        List<Gpu> gpus = new ArrayList<>(config.totalGpus());
        AcceleratorModel[] models = AcceleratorModel.values();
        for (int r = 0; r < config.regions(); r++) {
            String region = nameAt(SampleVocabulary.REGIONS, r, "region-");
            String code = nameAt(SampleVocabulary.REGION_CODES, r, "r");
            for (int c = 0; c < config.clustersPerRegion(); c++) {
                AcceleratorModel model =
                        models[(r * config.clustersPerRegion() + c) % models.length];
                String cluster =
                        code
                                + "-"
                                + model.acceleratorType().toLowerCase().replaceAll("-.*", "")
                                + "-"
                                + clusterLetter(c);
                for (int n = 0; n < config.nodesPerCluster(); n++) {
                    String node = String.format("%s-n%03d", cluster, n + 1);
                    String mig = null;
                    // Every fourth node of an NVIDIA cluster is partitioned with MIG.
                    if (!model.migProfiles().isEmpty() && n % 4 == 3) {
                        mig = random.pick(model.migProfiles()).name();
                    }
                    for (int i = 0; i < config.gpusPerNode(); i++) {
                        String prefix = mig != null ? "MIG-" : model.nvidia() ? "GPU-" : "TPU-";
                        String uuid = prefix + SampleRandom.uuid("fleet-gpu", node, "" + i);
                        gpus.add(new Gpu(region, cluster, node, uuid, i, model, mig));
                    }
                }
            }
        }
        return List.copyOf(gpus);
    }

    private static String nameAt(List<String> names, int index, String prefix) {
        return index < names.size() ? names.get(index) : prefix + (index + 1);
    }

    private static String clusterLetter(int index) {
        StringBuilder letters = new StringBuilder();
        int i = index;
        do {
            letters.insert(0, (char) ('a' + i % 26));
            i = i / 26 - 1;
        } while (i >= 0);
        return letters.toString();
    }

    private static double clamp(double value, double low, double high) {
        return Math.max(low, Math.min(high, value));
    }
}
