package dev.substrate.operators.pii;

import java.io.IOException;
import java.io.Serial;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.Objects;
import javax.annotation.Nullable;

/**
 * Where the PII key comes from: a serializable description (mode and key-file path, never the key
 * itself) that every task resolves in {@code open()}, so the secret never travels in the job graph.
 *
 * <p>Resolution order: the environment variable {@value #ENV_KEY} (the key as text, at least 32
 * bytes), else the file named by {@value #ENV_KEY_FILE}, else the configured key file. In {@link
 * PiiMode#PRODUCTION} a missing key is an error; in {@link PiiMode#LOCAL} {@link #prepare} writes a
 * random key into the configured key file (owner-only permissions) and reports that it did.
 */
public final class PiiKeySource implements Serializable {

    @Serial private static final long serialVersionUID = 1L;

    /** The key itself, as text. */
    public static final String ENV_KEY = "SUBSTRATE_PII_KEY";

    /** A file holding the key (its bytes, a trailing newline ignored). */
    public static final String ENV_KEY_FILE = "SUBSTRATE_PII_KEY_FILE";

    private final PiiMode mode;
    @Nullable private final String keyFile;

    /**
     * @param keyFile the configured key file (option {@code pii.key-file}); required in local mode,
     *     where a generated key is written to it
     */
    public PiiKeySource(PiiMode mode, @Nullable String keyFile) {
        this.mode = Objects.requireNonNull(mode, "mode");
        this.keyFile = keyFile == null || keyFile.isBlank() ? null : keyFile;
        if (mode == PiiMode.LOCAL && this.keyFile == null) {
            throw new IllegalArgumentException(
                    "pii.mode local needs pii.key-file: where the generated key is kept");
        }
    }

    public PiiMode mode() {
        return mode;
    }

    @Nullable
    public String keyFile() {
        return keyFile;
    }

    /**
     * Called once when the job is built (on the client): fails fast in production mode without a
     * key; in local mode generates the key file when no key is given.
     *
     * @return a line for the user when a key was generated, else null; it never contains the key
     */
    @Nullable
    public String prepare(Map<String, String> environment) {
        if (given(environment) || mode == PiiMode.PRODUCTION) {
            load(environment);
            return null;
        }
        Path file = Path.of(keyFile);
        if (Files.isRegularFile(file)) {
            load(environment);
            return null;
        }
        generate(file);
        return "PII key: generated a random tokenization key into "
                + file.toAbsolutePath()
                + " (pii.mode local). Production needs "
                + ENV_KEY
                + " or "
                + ENV_KEY_FILE
                + "; keep the same key to keep tokens joinable.";
    }

    /** Resolves the key; never generates one. */
    public PiiKey load(Map<String, String> environment) {
        String inline = environment.get(ENV_KEY);
        if (inline != null && !inline.isEmpty()) {
            return new PiiKey(inline.getBytes(StandardCharsets.UTF_8), "environment " + ENV_KEY);
        }
        String fromEnv = environment.get(ENV_KEY_FILE);
        if (fromEnv != null && !fromEnv.isBlank()) {
            return read(Path.of(fromEnv), "file " + fromEnv + " (" + ENV_KEY_FILE + ")");
        }
        if (keyFile != null) {
            Path file = Path.of(keyFile);
            if (Files.isRegularFile(file) || mode == PiiMode.PRODUCTION) {
                return read(file, "file " + keyFile + " (pii.key-file)");
            }
        }
        throw new PiiKeyException(
                "No PII tokenization key (pii.mode "
                        + mode.name().toLowerCase(java.util.Locale.ROOT)
                        + "): set "
                        + ENV_KEY
                        + " to a secret of at least "
                        + PiiKey.MIN_LENGTH_BYTES
                        + " bytes, or "
                        + ENV_KEY_FILE
                        + " (or pii.key-file) to a file holding one."
                        + (mode == PiiMode.PRODUCTION
                                ? " Production mode never makes one up; the local run does"
                                        + " (pii.mode local)."
                                : ""));
    }

    private static boolean given(Map<String, String> environment) {
        String inline = environment.get(ENV_KEY);
        String file = environment.get(ENV_KEY_FILE);
        return (inline != null && !inline.isEmpty()) || (file != null && !file.isBlank());
    }

    private static PiiKey read(Path file, String origin) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new PiiKeyException("Cannot read the PII key from " + origin + ": " + e, e);
        }
        int end = bytes.length;
        while (end > 0 && (bytes[end - 1] == '\n' || bytes[end - 1] == '\r')) {
            end--;
        }
        return new PiiKey(java.util.Arrays.copyOf(bytes, end), origin);
    }

    private static void generate(Path file) {
        byte[] random = new byte[48];
        new SecureRandom().nextBytes(random);
        byte[] text =
                (Base64.getEncoder().encodeToString(random) + "\n")
                        .getBytes(StandardCharsets.US_ASCII);
        try {
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, ".pii-key", ".tmp");
            try {
                ownerOnly(tmp);
                Files.write(tmp, text);
                try {
                    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, file);
                }
            } catch (FileAlreadyExistsException raced) {
                // Another process generated it first: use theirs.
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write the generated PII key to " + file, e);
        }
    }

    private static void ownerOnly(Path file) throws IOException {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException notPosix) {
            // Windows: the data directory's ACLs apply.
        }
    }

    @Override
    public String toString() {
        return "PiiKeySource{mode=" + mode + ", keyFile=" + keyFile + "}";
    }
}
