package dev.substrate.operators.pii;

import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Tokenizes the personal data that free text (a CRM note, a log line) carries in recognisable
 * shapes: e-mail addresses, phone numbers in international ({@code +1-202-555-0147}) or North
 * American ({@code (202) 555-0147}, {@code 202-555-0147}) form, IPv4 addresses, and a person's name
 * written beside their e-mail address ({@code Jane Doe <jane.doe@acme.com>}, {@code Jane Doe
 * (jane.doe@acme.com)}). Each becomes the same keyed token {@link PiiTokenizer} gives the value in
 * a PII field, so a principal's e-mail in a note and in an audit event tokenize alike.
 *
 * <p>Names without an address beside them are not recognised: that takes entity recognition, which
 * this class does not attempt. Not thread-safe (one per task).
 */
public final class FreeTextTokenizer {

    private static final Pattern EMAIL =
            Pattern.compile("[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}");
    private static final Pattern PHONE =
            Pattern.compile(
                    "(?<![\\w+-])(?:\\+\\d{1,3}[-. ]?\\(?\\d{1,4}\\)?(?:[-. ]?\\d{2,4}){2,4}"
                            + "|\\(\\d{3}\\) ?\\d{3}[-. ]\\d{4}"
                            + "|\\d{3}[-.]\\d{3}[-.]\\d{4})(?![\\w-])");
    private static final Pattern IPV4 =
            Pattern.compile(
                    "(?<![\\w.])(?:(?:25[0-5]|2[0-4]\\d|1?\\d?\\d)\\.){3}(?:25[0-5]|2[0-4]\\d|1?\\d?\\d)(?![\\w.])");

    private final PiiTokenizer tokenizer;

    public FreeTextTokenizer(PiiTokenizer tokenizer) {
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
    }

    /** {@code text} with every recognised personal value replaced by its token. */
    public String tokenize(String text) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        Set<String> names = new LinkedHashSet<>();
        Matcher email = EMAIL.matcher(text);
        while (email.find()) {
            String local = email.group().substring(0, email.group().indexOf('@'));
            String[] parts = local.split("[._-]");
            if (parts.length >= 2) {
                names.add(String.join(" ", parts));
            }
        }
        String result = replace(EMAIL, text);
        for (String name : names) {
            // "Jane Doe", "jane doe", "Jane.Doe" beside the address
            String[] words = name.split(" ");
            StringBuilder regex = new StringBuilder("(?<![\\w])");
            for (int i = 0; i < words.length; i++) {
                if (i > 0) {
                    regex.append("[ ._-]+");
                }
                regex.append(Pattern.quote(words[i]));
            }
            regex.append("(?![\\w])");
            Pattern pattern =
                    Pattern.compile(
                            regex.toString(), Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
            result = replace(pattern, result);
        }
        result = replace(PHONE, result);
        return replace(IPV4, result);
    }

    private String replace(Pattern pattern, String text) {
        Matcher matcher = pattern.matcher(text);
        StringBuilder out = new StringBuilder(text.length());
        while (matcher.find()) {
            String value = matcher.group();
            String token = PiiTokenizer.isToken(value) ? value : tokenizer.token(value);
            matcher.appendReplacement(out, Matcher.quoteReplacement(token));
        }
        matcher.appendTail(out);
        return out.toString();
    }
}
