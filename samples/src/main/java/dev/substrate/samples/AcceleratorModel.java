package dev.substrate.samples;

import java.util.List;
import java.util.Optional;

/**
 * The accelerator models of the sample fleet, with the figures that make their readings plausible
 * (memory, power limit, clocks) and their MIG profiles.
 */
public enum AcceleratorModel {
    H100_80GB(
            "H100-80GB",
            "NVIDIA H100 80GB HBM3",
            81559,
            700,
            70,
            1980,
            2619,
            40,
            true,
            List.of(new MigProfile("1g.10gb", 9856), new MigProfile("3g.40gb", 40192))),
    A100_40GB(
            "A100-40GB",
            "NVIDIA A100-SXM4-40GB",
            40960,
            400,
            55,
            1410,
            1215,
            38,
            true,
            List.of(new MigProfile("1g.5gb", 4864), new MigProfile("3g.20gb", 19968))),
    TPU_V5E("TPU-v5e", "TPU v5 lite", 16384, 250, 40, 1500, 1600, 30, false, List.of());

    /** A MIG instance size and the framebuffer memory an instance of it reports. */
    public record MigProfile(String name, long memoryMib) {}

    private final String acceleratorType;
    private final String productName;
    private final long memoryMib;
    private final double powerLimitW;
    private final double idlePowerW;
    private final int maxSmClockMhz;
    private final int memoryClockMhz;
    private final double heatRiseC;
    private final boolean nvidia;
    private final List<MigProfile> migProfiles;

    AcceleratorModel(
            String acceleratorType,
            String productName,
            long memoryMib,
            double powerLimitW,
            double idlePowerW,
            int maxSmClockMhz,
            int memoryClockMhz,
            double heatRiseC,
            boolean nvidia,
            List<MigProfile> migProfiles) {
        this.acceleratorType = acceleratorType;
        this.productName = productName;
        this.memoryMib = memoryMib;
        this.powerLimitW = powerLimitW;
        this.idlePowerW = idlePowerW;
        this.maxSmClockMhz = maxSmClockMhz;
        this.memoryClockMhz = memoryClockMhz;
        this.heatRiseC = heatRiseC;
        this.nvidia = nvidia;
        this.migProfiles = migProfiles;
    }

    /**
     * The name schedulers use ({@code WorkloadRequest.accelerator_type}) and the sample fleet puts
     * in {@code GpuSample.model}, for example {@code H100-80GB}.
     */
    public String acceleratorType() {
        return acceleratorType;
    }

    /** The name the device reports (nvidia-smi {@code name}). */
    public String productName() {
        return productName;
    }

    /** Framebuffer memory of the whole device. */
    public long memoryMib() {
        return memoryMib;
    }

    /** The default power limit. */
    public double powerLimitW() {
        return powerLimitW;
    }

    double idlePowerW() {
        return idlePowerW;
    }

    public int maxSmClockMhz() {
        return maxSmClockMhz;
    }

    public int memoryClockMhz() {
        return memoryClockMhz;
    }

    /** How far above ambient the device runs at its power limit. */
    double heatRiseC() {
        return heatRiseC;
    }

    /** Whether the device is an NVIDIA GPU (XIDs, pstates and MIG exist only there). */
    public boolean nvidia() {
        return nvidia;
    }

    public List<MigProfile> migProfiles() {
        return migProfiles;
    }

    /** The model whose {@link #acceleratorType()} or {@link #productName()} is {@code name}. */
    public static Optional<AcceleratorModel> find(String name) {
        for (AcceleratorModel model : values()) {
            if (model.acceleratorType.equalsIgnoreCase(name)
                    || model.productName.equalsIgnoreCase(name)) {
                return Optional.of(model);
            }
        }
        return Optional.empty();
    }
}
