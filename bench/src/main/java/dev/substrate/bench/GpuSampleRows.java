package dev.substrate.bench;

import dev.substrate.events.GpuSample;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.RowTypeInfo;
import org.apache.flink.types.Row;

/** A GpuSample as a Row with all its columns (event time travels as the record's timestamp). */
final class GpuSampleRows {

    static final RowTypeInfo TYPE =
            new RowTypeInfo(
                    new TypeInformation<?>[] {
                        Types.STRING,
                        Types.STRING,
                        Types.STRING,
                        Types.STRING,
                        Types.STRING,
                        Types.INT,
                        Types.STRING,
                        Types.DOUBLE,
                        Types.DOUBLE,
                        Types.LONG,
                        Types.LONG,
                        Types.DOUBLE,
                        Types.DOUBLE,
                        Types.DOUBLE,
                        Types.INT,
                        Types.INT,
                        Types.LONG,
                        Types.LONG,
                        Types.LONG,
                        Types.INT,
                        Types.STRING,
                        Types.DOUBLE,
                        Types.STRING
                    },
                    new String[] {
                        "event_id",
                        "region",
                        "cluster",
                        "node",
                        "gpu_uuid",
                        "gpu_index",
                        "model",
                        "utilization_pct",
                        "memory_utilization_pct",
                        "memory_used_mib",
                        "memory_total_mib",
                        "temperature_c",
                        "memory_temperature_c",
                        "power_draw_w",
                        "sm_clock_mhz",
                        "memory_clock_mhz",
                        "clock_event_reasons",
                        "ecc_corrected",
                        "ecc_uncorrected",
                        "xid",
                        "pstate",
                        "power_limit_w",
                        "mig_profile"
                    });

    private GpuSampleRows() {}

    static Row toRow(GpuSample s) {
        return Row.of(
                s.getEventId(),
                s.getRegion(),
                s.getCluster(),
                s.getNode(),
                s.getGpuUuid(),
                s.getGpuIndex(),
                s.getModel(),
                s.getUtilizationPct(),
                s.getMemoryUtilizationPct(),
                s.getMemoryUsedMib(),
                s.getMemoryTotalMib(),
                s.getTemperatureC(),
                s.getMemoryTemperatureC(),
                s.getPowerDrawW(),
                s.getSmClockMhz(),
                s.getMemoryClockMhz(),
                s.getClockEventReasons(),
                s.getEccCorrected(),
                s.getEccUncorrected(),
                s.getXid(),
                s.getPstate(),
                s.getPowerLimitW(),
                s.getMigProfile());
    }
}
