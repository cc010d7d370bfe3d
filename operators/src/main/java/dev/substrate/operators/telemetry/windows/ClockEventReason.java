package dev.substrate.operators.telemetry.windows;

/**
 * The clock-event (throttle) reasons of nvidia-smi's {@code clocks_event_reasons.active} and DCGM's
 * {@code DCGM_FI_DEV_CLOCKS_EVENT_REASONS} bitmask whose time share the windows report.
 */
public enum ClockEventReason {
    GPU_IDLE(0x1L),
    APPLICATIONS_CLOCKS_SETTING(0x2L),
    SW_POWER_CAP(0x4L),
    HW_SLOWDOWN(0x8L),
    SYNC_BOOST(0x10L),
    SW_THERMAL_SLOWDOWN(0x20L),
    HW_THERMAL_SLOWDOWN(0x40L),
    HW_POWER_BRAKE_SLOWDOWN(0x80L);

    private static final ClockEventReason[] ALL = values();

    private final long bit;

    ClockEventReason(long bit) {
        this.bit = bit;
    }

    /** The reason's bit in the bitmask. */
    public long bit() {
        return bit;
    }

    /** Whether {@code reasons} has this reason's bit set. */
    public boolean isActiveIn(long reasons) {
        return (reasons & bit) != 0;
    }

    /** Every reason, in bit order; the array is shared, do not modify it. */
    static ClockEventReason[] all() {
        return ALL;
    }

    /** Number of reasons tracked: the bits 0x1 to 0x80. */
    public static final int COUNT = 8;
}
