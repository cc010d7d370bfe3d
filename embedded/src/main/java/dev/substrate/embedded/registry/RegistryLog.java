package dev.substrate.embedded.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded registry's durable state: an append-only JSON-lines file, one change per line,
 * forced to disk on every append and replayed on start. The file is locked so two registries cannot
 * share a state directory.
 */
final class RegistryLog implements Closeable {

    static final String FILE_NAME = "schema-registry.jsonl";

    private static final Logger LOG = LoggerFactory.getLogger(RegistryLog.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;

    private RegistryLog(Path file, FileChannel channel, FileLock lock) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Opens (or creates) the log in {@code stateDir} and hands every stored record to {@code
     * replay}, in order. A torn last line, left by a crash in the middle of an append, is cut off;
     * any other unreadable line fails the start rather than silently losing registrations.
     */
    static RegistryLog open(Path stateDir, Consumer<JsonNode> replay) throws IOException {
        Files.createDirectories(stateDir);
        Path file = stateDir.resolve(FILE_NAME);
        FileChannel channel =
                FileChannel.open(
                        file,
                        StandardOpenOption.CREATE,
                        StandardOpenOption.READ,
                        StandardOpenOption.WRITE);
        try {
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                throw new IOException(
                        "Another schema registry is using the state directory " + stateDir);
            }
            long validLength = replay(file, channel, replay);
            if (validLength < channel.size()) {
                LOG.warn(
                        "Cutting an incomplete last record ({} bytes) off the registry log {}",
                        channel.size() - validLength,
                        file);
                channel.truncate(validLength);
                channel.force(true);
            }
            channel.position(validLength);
            return new RegistryLog(file, channel, lock);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private static long replay(Path file, FileChannel channel, Consumer<JsonNode> replay)
            throws IOException {
        byte[] content = Files.readAllBytes(file);
        int start = 0;
        int lineNumber = 0;
        while (start < content.length) {
            int end = indexOf(content, (byte) '\n', start);
            if (end < 0) {
                // No newline: the last append was torn by a crash. It was never acknowledged.
                return start;
            }
            lineNumber++;
            String line = new String(content, start, end - start, StandardCharsets.UTF_8).strip();
            if (!line.isEmpty()) {
                JsonNode record;
                try {
                    record = JSON.readTree(line);
                } catch (JsonProcessingException e) {
                    throw new IOException(
                            "Registry log " + file + " is corrupt at line " + lineNumber, e);
                }
                replay.accept(record);
            }
            start = end + 1;
        }
        return start;
    }

    private static int indexOf(byte[] bytes, byte value, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] == value) {
                return i;
            }
        }
        return -1;
    }

    /** Appends one record and forces it to disk before returning. */
    void append(ObjectNode record) throws IOException {
        ByteBuffer buffer =
                ByteBuffer.wrap(
                        (JSON.writeValueAsString(record) + "\n").getBytes(StandardCharsets.UTF_8));
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
        channel.force(false);
    }

    static ObjectNode newRecord(String type) {
        return JSON.createObjectNode().put("type", type);
    }

    Path file() {
        return file;
    }

    @Override
    public void close() throws IOException {
        try {
            if (lock.isValid()) {
                lock.release();
            }
        } finally {
            channel.close();
        }
    }
}
