package dev.substrate.collector;

import dev.substrate.collector.input.InputStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A snapshot of what a {@link GpuCollector} has done: per input the readings read, and for Kafka
 * the readings acknowledged, waiting in the buffer, in flight and dropped because the buffer was
 * full. Every reading read is in exactly one of sent, buffered, in flight and dropped.
 *
 * @param inputs each input's counters, in the order the inputs were given
 * @param sent readings Kafka acknowledged
 * @param buffered readings waiting in the buffer
 * @param bufferCapacity the most readings the buffer holds
 * @param inFlight readings handed to the Kafka producer, not acknowledged yet
 * @param dropped readings dropped (the oldest first) because the buffer was full
 * @param lastKafkaError the latest Kafka problem, or null when there was none
 * @param kafkaStalledFor how long readings have been in flight without an acknowledgement
 */
public record CollectorStatus(
        List<InputStatus> inputs,
        long sent,
        int buffered,
        int bufferCapacity,
        int inFlight,
        long dropped,
        String lastKafkaError,
        Duration kafkaStalledFor) {

    /** How long in-flight readings may wait for Kafka before the status line says so. */
    static final Duration STALL_REPORTED_AFTER = Duration.ofSeconds(5);

    private static final int ERRORS_SHOWN = 2;

    public CollectorStatus {
        inputs = List.copyOf(inputs);
    }

    /** Readings read by all inputs. */
    public long read() {
        return inputs.stream().mapToLong(InputStatus::read).sum();
    }

    /** Readings read but not acknowledged by Kafka (yet): buffered plus in flight. */
    public long undelivered() {
        return (long) buffered + inFlight;
    }

    /** Whether every input is finished (file replays that read their last line). */
    public boolean inputsFinished() {
        return inputs.stream().allMatch(InputStatus::finished);
    }

    /**
     * The one-line status {@code substrate collect} prints every few seconds, e.g. {@code read:
     * nvidia-smi 1,204 │ sent 1,180 │ buffered 24/20,000 │ in flight 0 │ dropped 0}.
     */
    public String line() {
        StringBuilder line = new StringBuilder("read:");
        for (InputStatus input : inputs) {
            line.append(' ')
                    .append(input.name())
                    .append(' ')
                    .append(String.format("%,d", input.read()));
            if (input.errors() > 0) {
                line.append(String.format(" (%,d errors)", input.errors()));
            }
            line.append(',');
        }
        line.setLength(line.length() - 1);
        line.append(
                String.format(
                        " │ sent %,d │ buffered %,d/%,d │ in flight %,d │ dropped %,d",
                        sent, buffered, bufferCapacity, inFlight, dropped));
        List<String> problems = new ArrayList<>();
        if (kafkaStalledFor.compareTo(STALL_REPORTED_AFTER) >= 0) {
            problems.add(
                    "Kafka has acknowledged nothing for " + kafkaStalledFor.toSeconds() + " s");
        }
        if (lastKafkaError != null) {
            problems.add("Kafka: " + lastKafkaError);
        }
        for (InputStatus input : inputs) {
            String error = input.lastError();
            if (error != null) {
                problems.add(error.startsWith(input.name()) ? error : input.name() + ": " + error);
            }
        }
        if (!problems.isEmpty()) {
            line.append(" │ last errors: ")
                    .append(
                            String.join(
                                    "; ",
                                    problems.subList(0, Math.min(ERRORS_SHOWN, problems.size()))));
            if (problems.size() > ERRORS_SHOWN) {
                line.append(" (+").append(problems.size() - ERRORS_SHOWN).append(" more)");
            }
        }
        return line.toString();
    }
}
