package dev.substrate.local;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad local configuration fails before anything starts, with a message that says the fix. */
class PreflightTest {

    @TempDir Path temp;

    @Test
    void portInUseNamesThePortAndTheOption() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            assertThatThrownBy(() -> Preflight.checkPortFree(port, "Flink web UI", "--web-ui-port"))
                    .isInstanceOf(LocalRunException.class)
                    .hasMessageContaining("Port " + port)
                    .hasMessageContaining("Flink web UI")
                    .hasMessageContaining("--web-ui-port");
        }
        assertThatCode(() -> Preflight.checkPortFree(0, "any", "--any")).doesNotThrowAnyException();
    }

    @Test
    void unwritableDataDirectoryNamesTheDirectoryAndTheOption() throws Exception {
        Path file = Files.createFile(temp.resolve("not-a-directory"));
        assertThatThrownBy(() -> Preflight.checkDataDir(file.resolve("data")))
                .isInstanceOf(LocalRunException.class)
                .hasMessageContaining(file.resolve("data").toString())
                .hasMessageContaining("--data-dir");
        assertThatCode(() -> Preflight.checkDataDir(temp.resolve("fresh")))
                .doesNotThrowAnyException();
    }

    @Test
    void unreachableKafkaNamesTheAddressAndTheOption() throws Exception {
        int closedPort;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = probe.getLocalPort();
        }
        String address = "127.0.0.1:" + closedPort;
        assertThatThrownBy(() -> Preflight.checkKafkaReachable(address, Duration.ofSeconds(2)))
                .isInstanceOf(LocalRunException.class)
                .hasMessageContaining(address)
                .hasMessageContaining("--kafka");
    }
}
