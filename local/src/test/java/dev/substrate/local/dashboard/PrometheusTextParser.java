package dev.substrate.local.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The npm package {@code parse-prometheus-text-format}, run by Node: a parser of the Prometheus
 * text format that Substrate does not use to write it, so a test of {@code /metrics} checks the
 * output against someone else's reading of the format. Installed with npm into {@code target/} on
 * first use.
 */
final class PrometheusTextParser {

    static final String PACKAGE = "parse-prometheus-text-format@1.1.1";

    private static final Path PREFIX = Path.of("target", "node");

    private static final String SCRIPT =
            "const parse = require('parse-prometheus-text-format');let text = '';"
                    + "process.stdin.setEncoding('utf8');process.stdin.on('data', d => text +="
                    + " d);process.stdin.on('end', () =>"
                    + " process.stdout.write(JSON.stringify(parse(text))));";

    private PrometheusTextParser() {}

    /** The metric families as the npm parser reads them: name, type, help, metrics. */
    static JsonNode parse(String text) throws IOException, InterruptedException {
        install();
        ProcessBuilder node = new ProcessBuilder("node", "-e", SCRIPT);
        node.environment()
                .put("NODE_PATH", PREFIX.resolve("node_modules").toAbsolutePath().toString());
        node.redirectErrorStream(false);
        Process process = node.start();
        process.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
        process.getOutputStream().close();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new AssertionError("parse-prometheus-text-format refused the text: " + err);
        }
        return new ObjectMapper().readTree(out);
    }

    private static synchronized void install() throws IOException, InterruptedException {
        if (Files.isDirectory(
                PREFIX.resolve("node_modules").resolve("parse-prometheus-text-format"))) {
            return;
        }
        Files.createDirectories(PREFIX);
        Process npm =
                new ProcessBuilder(
                                List.of(
                                        "npm",
                                        "install",
                                        "--prefix",
                                        PREFIX.toAbsolutePath().toString(),
                                        "--no-audit",
                                        "--no-fund",
                                        PACKAGE))
                        .redirectErrorStream(true)
                        .start();
        String out = new String(npm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!npm.waitFor(180, TimeUnit.SECONDS) || npm.exitValue() != 0) {
            throw new AssertionError(
                    "npm could not install " + PACKAGE + " (is node/npm installed?): " + out);
        }
    }
}
