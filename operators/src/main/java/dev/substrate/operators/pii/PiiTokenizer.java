package dev.substrate.operators.pii;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Objects;
import javax.crypto.Mac;

/**
 * Turns a clear-text value into a keyed, deterministic token: {@code "tok_" +
 * base64url(HMAC-SHA256(key, UTF-8 value))}. The same value under the same key always gives the
 * same token, so joins and counts by principal still work; without the key a token cannot be
 * reversed or recomputed from a guess. Not thread-safe (one per task).
 */
public final class PiiTokenizer {

    /** Every token starts with this, so a token is never mistaken for (or tokenized as) a value. */
    public static final String PREFIX = "tok_";

    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();

    private final Mac mac;

    public PiiTokenizer(PiiKey key) {
        this.mac = Objects.requireNonNull(key, "key").newMac();
    }

    /** The token of {@code clear}; a value that is already a token is returned as is. */
    public String token(CharSequence clear) {
        String value = clear.toString();
        if (isToken(value)) {
            return value;
        }
        return PREFIX
                + BASE64URL.encodeToString(mac.doFinal(value.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * The token of a Kafka key, as UTF-8 bytes: a key that is the UTF-8 text of a PII value (the
     * audit producer keys by principal) gets the same token as that value in the record.
     */
    public byte[] token(byte[] clearBytes) {
        return token(new String(clearBytes, StandardCharsets.UTF_8))
                .getBytes(StandardCharsets.UTF_8);
    }

    /** True for a string shaped like a token this class produces (prefix + 43 base64url chars). */
    public static boolean isToken(String value) {
        return value.length() == PREFIX.length() + 43
                && value.startsWith(PREFIX)
                && value.substring(PREFIX.length()).chars().allMatch(PiiTokenizer::isBase64Url);
    }

    private static boolean isBase64Url(int c) {
        return (c >= 'A' && c <= 'Z')
                || (c >= 'a' && c <= 'z')
                || (c >= '0' && c <= '9')
                || c == '-'
                || c == '_';
    }
}
