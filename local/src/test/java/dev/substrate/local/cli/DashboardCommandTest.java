package dev.substrate.local.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class DashboardCommandTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @Test
    void aNonLoopbackBindWithoutATokenIsRefusedBeforeAnythingStarts() {
        int code =
                cli().execute(
                                "dashboard",
                                "--kafka",
                                "127.0.0.1:1",
                                "--registry",
                                "http://127.0.0.1:1",
                                "--host",
                                "0.0.0.0");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString())
                .contains("Refusing to serve the dashboard on 0.0.0.0 without a token")
                .contains("SUBSTRATE_DASHBOARD_TOKEN");
    }

    @Test
    void kafkaAndTheRegistryAreRequired() {
        assertThat(cli().execute("dashboard")).isEqualTo(2);
        assertThat(err.toString()).contains("--kafka").contains("--registry");
    }

    private CommandLine cli() {
        CommandLine cli = new CommandLine(new SubstrateCli());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli;
    }
}
