package dev.substrate.operators.pii;

import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The secret of the PII tokenizer: HMAC-SHA256 key bytes and where they came from. Deliberately not
 * serializable and never printed: {@link #toString()} shows only the origin and length.
 */
public final class PiiKey {

    /** Shorter keys are refused: HMAC-SHA256 wants at least 256 bits of secret. */
    public static final int MIN_LENGTH_BYTES = 32;

    static final String ALGORITHM = "HmacSHA256";

    private final byte[] secret;
    private final String origin;

    PiiKey(byte[] secret, String origin) {
        if (secret.length < MIN_LENGTH_BYTES) {
            throw new PiiKeyException(
                    "The PII key from "
                            + origin
                            + " has "
                            + secret.length
                            + " bytes; at least "
                            + MIN_LENGTH_BYTES
                            + " are required (e.g. `openssl rand -base64 48`)");
        }
        this.secret = secret.clone();
        this.origin = origin;
    }

    /** Where the key came from (an environment variable's name or a file path), never the key. */
    public String origin() {
        return origin;
    }

    /** A fresh HMAC-SHA256 instance keyed with this key (Mac instances are not thread-safe). */
    Mac newMac() {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(new SecretKeySpec(secret, ALGORITHM));
            return mac;
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new PiiKeyException("HMAC-SHA256 is unavailable in this JVM", e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PiiKey other && Arrays.equals(secret, other.secret);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(secret);
    }

    @Override
    public String toString() {
        return "PiiKey{from " + origin + ", " + secret.length + " bytes}";
    }
}
