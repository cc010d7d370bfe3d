package dev.substrate.operators.quality;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The fast regex path finds exactly what RE2 finds, and RE2 answers whenever it might not. */
class RegexMatcherTest {

    /** The patterns of the shipped rule files. */
    private static final List<String> SHIPPED =
            List.of(
                    "^((MIG-)?GPU|MIG|TPU)-[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}(/[0-9]+/[0-9]+)?$",
                    "^P([0-9]|1[0-5])$",
                    "^[1-8]g\\.[0-9]+gb(\\+me)?$",
                    "^((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\\.){3}"
                            + "(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])$",
                    "^[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*$",
                    "^[a-z][a-z0-9_]*(\\.[a-z0-9_]+)*$",
                    "^[a-z][a-z0-9_]*$",
                    "^[a-z]{2}(-[a-z]+)+-[0-9]+$");

    /** A match of each shipped pattern, in the same order. */
    private static final List<String> SAMPLES =
            List.of(
                    "GPU-bdf0c82b-71b1-6951-de56-987b1c98685f",
                    "P15",
                    "1g.10gb+me",
                    "10.12.3.45",
                    "2001:db8::1",
                    "order.placed",
                    "account_id",
                    "us-east-1");

    @Test
    void shippedPatternsTakeTheFastPathAndFindWhatRe2Finds() {
        Random random = new Random(7);
        for (String pattern : SHIPPED) {
            RegexMatcher matcher = new RegexMatcher(pattern, -1);
            assertThat(matcher.hasFastPath()).as(pattern).isTrue();
            agreesWithRe2(
                    matcher,
                    random,
                    "0123456789abcdefgGPUMITP-:./_+me\n\u00e9\uD83D\uDE00",
                    SAMPLES.get(SHIPPED.indexOf(pattern)));
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiterString = " => ",
            value = {
                "\\s+x => \tx",
                "(?i)gpu => GpU",
                "a*+ => aa",
                "[[:alpha:]]+ => b",
                "a{,3} => a{,3}",
                "\\bP0 => P0",
                "[a&&b] => &",
                "(?P<n>a) => a",
                "\\x41 => A",
                "caf\u00e9 => caf\u00e9"
            })
    void constructsThatMightDifferStayWithRe2(String pattern, String sample) {
        RegexMatcher matcher;
        try {
            matcher = new RegexMatcher(pattern, -1);
        } catch (RuntimeException refusedByRe2) {
            // CEL fails on such a pattern too; the translator then leaves the rule interpreted.
            return;
        }

        assertThat(matcher.hasFastPath()).isFalse();
        agreesWithRe2(matcher, new Random(11), "aAbPx0 \t\n3{},&\u00e9", sample);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiterString = " => ",
            value = {
                "a.c => a\rc",
                "^a|b$ => a",
                "[^a-c]x => dx",
                "[-a]|[a-] => a-",
                "(?:ab)*?c => ababc",
                "\\d{2,}\\w => 12_",
                "\\D\\W => a.",
                "[\\d.]+$ => 1.2",
                "x{0}y => y"
            })
    void translatedConstructsFindWhatRe2Finds(String pattern, String sample) {
        RegexMatcher matcher = new RegexMatcher(pattern, -1);

        assertThat(matcher.hasFastPath()).as(pattern).isTrue();
        agreesWithRe2(
                matcher, new Random(13), "abcxyAB019._- \n\r\u2028\u00e9\uD83D\uDE00", sample);
    }

    @Test
    void aCatastrophicBacktrackIsHandedToRe2() {
        RegexMatcher matcher = new RegexMatcher("^(a|a)*b$", -1);
        assertThat(matcher.hasFastPath()).isTrue();

        // Without the budget, a backtracking engine takes 2^60 steps here.
        assertTimeoutPreemptively(
                Duration.ofSeconds(5),
                () -> assertThat(matcher.find("a".repeat(60) + "c")).isFalse());
        assertThat(matcher.find("a".repeat(60) + "b")).isTrue();
    }

    @Test
    void patternsRe2RefusesOrTooLargeAreRefused() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new RegexMatcher("(a", -1))
                .isInstanceOf(RuntimeException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new RegexMatcher("[a-z]{50}", 10))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static void agreesWithRe2(
            RegexMatcher matcher, Random random, String alphabet, String sample) {
        com.google.re2j.Pattern re2 = com.google.re2j.Pattern.compile(matcher.pattern());
        int found = 0;
        for (int n = 0; n < 3000; n++) {
            StringBuilder b = new StringBuilder();
            int length = random.nextInt(n % 3 == 0 ? 3 : 48);
            for (int i = 0; i < length; i++) {
                b.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            // Some inputs are a match with a little around it, so both answers occur.
            String input =
                    switch (n % 3) {
                        case 0 -> sample;
                        case 1 -> sample + b;
                        default -> b.toString();
                    };
            if (n % 6 == 0) {
                input = b + sample;
            }
            boolean expected = re2.matcher(input).find();
            assertThat(matcher.find(input))
                    .as("%s on '%s'", matcher.pattern(), input)
                    .isEqualTo(expected);
            found += expected ? 1 : 0;
        }
        assertThat(found).as("inputs that match " + matcher.pattern()).isPositive();
    }
}
