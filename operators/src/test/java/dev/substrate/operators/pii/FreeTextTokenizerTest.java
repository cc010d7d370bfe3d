package dev.substrate.operators.pii;

import static org.assertj.core.api.Assertions.assertThat;

import dev.substrate.operators.testing.GovernanceFixtures;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Personal data in free text, in the shapes enterprise notes and logs carry it. */
class FreeTextTokenizerTest {

    private final PiiTokenizer tokens =
            new PiiTokenizer(
                    new PiiKeySource(PiiMode.PRODUCTION, null)
                            .load(Map.of(PiiKeySource.ENV_KEY, GovernanceFixtures.TEST_KEY)));
    private final FreeTextTokenizer text = new FreeTextTokenizer(tokens);

    @Test
    void anAddressAndTheNameBesideItBecomeTheTokensOfThoseValues() {
        String note =
                "Jane Doe (jane.doe@acme.example) reported slow responses. Call back on"
                        + " +1-202-555-0147.";
        String tokenized = text.tokenize(note);
        assertThat(tokenized)
                .doesNotContain("jane", "Jane", "Doe", "acme.example", "555")
                .contains(tokens.token("jane.doe@acme.example"))
                .contains(tokens.token("Jane Doe"))
                .contains(tokens.token("+1-202-555-0147"))
                .contains("reported slow responses. Call back on");
        assertThat(
                        text.tokenize(
                                "Updated the primary contact of acme to Jane Doe"
                                        + " <jane.doe@acme.example>."))
                .doesNotContain("Jane", "jane")
                .contains("Updated the primary contact of acme to");
    }

    @Test
    void phoneNumbersAndAddressesButNotDatesAmountsOrIds() {
        String log =
                "2026-11-26T10:44:05Z WARN auth-service login failed for user=bob.smith@x.io from"
                        + " 10.12.200.7";
        String tokenized = text.tokenize(log);
        assertThat(tokenized)
                .startsWith("2026-11-26T10:44:05Z WARN auth-service login failed for user=tok_")
                .doesNotContain("bob", "x.io", "10.12.200.7")
                .contains(tokens.token("10.12.200.7"));
        String order =
                "Order of 12 x H100 for ACC-000981, total 421800.00 USD, ORD-2026-000615, due"
                        + " 2026-12-20";
        assertThat(text.tokenize(order)).isEqualTo(order);
        assertThat(text.tokenize("call (202) 555-0147 or 202-555-0148 or +44 20 7946 0958"))
                .doesNotContain("555", "7946");
        assertThat(text.tokenize("llama-3.1-70b version 1.2.3 on 8 GPUs"))
                .isEqualTo("llama-3.1-70b version 1.2.3 on 8 GPUs");
    }

    @Test
    void tokenizingTwiceChangesNothing() {
        String once = text.tokenize("mail jane.doe@acme.example or +1-202-555-0147");
        assertThat(text.tokenize(once)).isEqualTo(once);
    }
}
