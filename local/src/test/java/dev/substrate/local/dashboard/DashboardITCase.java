package dev.substrate.local.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.substrate.dashboard.metrics.DashboardMetrics;
import dev.substrate.dashboard.metrics.FlinkRestMetrics;
import dev.substrate.events.GpuSample;
import dev.substrate.events.NodeHealth;
import dev.substrate.events.NodeStatus;
import dev.substrate.local.LocalRunner;
import dev.substrate.local.LocalSettings;
import dev.substrate.local.cli.SubstrateCli;
import dev.substrate.schemas.registry.SchemaRegistryClient;
import dev.substrate.schemas.registry.SchemaRegistryConfig;
import dev.substrate.schemas.wire.AvroWireEncoder;
import dev.substrate.sources.telemetry.DcgmMetricsParser;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;
import picocli.CommandLine;

/**
 * The dashboard of a real local run ({@code substrate local}: embedded Kafka and registry, the job
 * on a MiniCluster, the sample producer) in real headless Chromium, and its {@code /metrics} read
 * by a parser Substrate does not write it with. One run serves every test here.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DashboardITCase {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Path SCREENSHOT = Path.of("..", "docs", "dashboard.png");

    /** Set to 1 to write the screenshot to {@code docs/dashboard.png} for the README. */
    private static final String UPDATE_SCREENSHOT = "SUBSTRATE_UPDATE_SCREENSHOT";

    /** The policies whose incidents the sample generator plants in the audit events. */
    private static final List<String> PLANTED_POLICIES =
            List.of(
                    "credential-stuffing",
                    "privilege-escalation",
                    "unencrypted-sensitive-transfer",
                    "data-exfiltration",
                    "unapproved-model",
                    "denial-of-wallet",
                    "data-residency",
                    "after-hours-bulk-export");

    private static final String XSS = "<script>alert(1)</script><img src=x onerror=alert(2)>";
    private static final Pattern DASHBOARD_URL = Pattern.compile("Dashboard: +(http://\\S+)");
    private static final Pattern KAFKA = Pattern.compile("Kafka \\(embedded\\): +(\\S+)");
    private static final Pattern REGISTRY = Pattern.compile("Schema registry: +(\\S+)");
    private static final Pattern FLINK = Pattern.compile("Flink web UI: +(http://\\S+)");

    @TempDir static Path dataDir;

    private static final ByteArrayOutputStream OUTPUT = new ByteArrayOutputStream();
    private static final AtomicReference<Throwable> FAILURE = new AtomicReference<>();
    private static LocalRunner runner;
    private static Thread running;
    private static URI dashboard;
    private static long tasksRunningNanos;
    private static WebDriver browser;

    @BeforeAll
    static void startALocalRun() throws Exception {
        LocalSettings settings =
                LocalSettings.builder()
                        .dataDir(dataDir)
                        .ports(0, 0, 0)
                        .dashboardPort(0)
                        // Any free port: others' runs on a shared machine may hold the default.
                        .searchPort(0)
                        .checkpointInterval(Duration.ofSeconds(1))
                        .eventsPerSecond(100)
                        .seed(15L)
                        .build();
        runner = new LocalRunner(settings, new PrintStream(OUTPUT, true, StandardCharsets.UTF_8));
        running =
                new Thread(
                        () -> {
                            try {
                                runner.run();
                            } catch (Throwable t) {
                                FAILURE.set(t);
                            }
                        },
                        "local-run");
        running.start();
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (!printed().contains("Job running.")) {
            if (FAILURE.get() != null || System.nanoTime() > deadline) {
                throw new AssertionError(
                        "The local run did not start: " + printed(), FAILURE.get());
            }
            Thread.sleep(100);
        }
        dashboard = URI.create(find(DASHBOARD_URL));
        // The browser is up and the page open before the job's tasks run, so what is timed below
        // is how fast data reaches the charts, not how fast Chromium starts.
        browser = chromium();
        browser.get(dashboard.toString());
        awaitTasksRunning(URI.create(find(FLINK)));
        tasksRunningNanos = System.nanoTime();
    }

    /** Waits until every task of the job runs (submission, deployment and restore are done). */
    private static void awaitTasksRunning(URI flink) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (true) {
            JsonNode jobs =
                    new ObjectMapper()
                            .readTree(
                                    http.send(
                                                    HttpRequest.newBuilder(
                                                                    flink.resolve("/jobs/overview"))
                                                            .build(),
                                                    HttpResponse.BodyHandlers.ofString())
                                            .body())
                            .path("jobs");
            // The pipeline, not the lake maintenance job that runs beside it.
            for (JsonNode job : jobs) {
                JsonNode tasks = job.path("tasks");
                if ("substrate (local)".equals(job.path("name").asText())
                        && tasks.path("total").asInt() > 0
                        // the policy stage's registry-at-start source finishes once read
                        && tasks.path("running").asInt() + tasks.path("finished").asInt()
                                == tasks.path("total").asInt()) {
                    return;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("The job's tasks never all ran: " + jobs);
            }
            Thread.sleep(100);
        }
    }

    @AfterAll
    static void stopTheRun() throws Exception {
        if (browser != null) {
            browser.quit();
        }
        if (runner != null) {
            runner.requestStop();
            running.join(Duration.ofMinutes(3).toMillis());
        }
    }

    private static String printed() {
        return OUTPUT.toString(StandardCharsets.UTF_8);
    }

    private static String find(Pattern pattern) {
        Matcher matcher = pattern.matcher(printed());
        assertThat(matcher.find()).as("%s in %s", pattern, printed()).isTrue();
        return matcher.group(1);
    }

    @Test
    @Order(1)
    void theDashboardShowsTheRunLiveEscapesEventStringsAndSearches() throws Exception {
        assertThat(dashboard.getHost()).isEqualTo("127.0.0.1");
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(10));
        wait.until(b -> "live".equals(b.findElement(By.id("status")).getText()));

        // Live data: the dead letters of the producer's broken records and the first
        // node-health records arrive within seconds of the job starting.
        wait.until(b -> count(b, "chart-dead-letter-reasons", "points") > 0);
        wait.until(b -> count(b, "list-node-health", "items") > 0);
        Duration sinceTasksRunning = Duration.ofNanos(System.nanoTime() - tasksRunningNanos);
        System.out.printf(
                "Charts had live data %d ms after the job's tasks were running%n",
                sinceTasksRunning.toMillis());
        assertThat(sinceTasksRunning).isLessThanOrEqualTo(Duration.ofSeconds(10));

        // A node named like an attack shows as text and runs nothing.
        String title = browser.getTitle();
        plantNodeHealth(XSS);
        wait.until(b -> text(b, "#list-node-health").contains(XSS));
        assertThat(browser.findElements(By.cssSelector("#list-node-health img"))).isEmpty();
        assertThat(browser.findElements(By.cssSelector("main script"))).isEmpty();
        assertThatThrownBy(() -> browser.switchTo().alert())
                .isInstanceOf(NoAlertPresentException.class);
        assertThat(browser.getTitle()).isEqualTo(title);
        // The row behind the item: its JSON, as text.
        js(browser)
                .executeScript(
                        "Array.from(document.querySelectorAll('#list-node-health li'))"
                                + ".find(li => li.textContent.includes(arguments[0])).click()",
                        XSS);
        assertThat(browser.findElement(By.id("details")).getText()).contains(XSS);

        // Search over the job's vector index (documents commit with checkpoints).
        WebDriverWait slow = new WebDriverWait(browser, Duration.ofSeconds(90));
        slow.pollingEvery(Duration.ofSeconds(3));
        slow.until(
                b -> {
                    WebElement box = b.findElement(By.id("search-q"));
                    box.clear();
                    box.sendKeys("dead letter");
                    b.findElement(By.id("search-go")).click();
                    new WebDriverWait(b, Duration.ofSeconds(20))
                            .until(x -> !text(x, "#search-info").startsWith("searching"));
                    return !text(b, "#search-results").isEmpty();
                });
        assertThat(browser.findElement(By.id("search-info")).getText()).contains("hits of");

        // Scheduling decisions and the policy violations the sample generator plants arrive
        // (the CEP operators emit once the watermark passes an incident's last event).
        slow.until(b -> count(b, "list-decisions", "items") > 0);
        slow.until(b -> count(b, "chart-decisions", "points") > 0);
        slow.until(b -> count(b, "table-tenants", "rows") > 0);
        slow.until(b -> plantedViolation(b) != null);
        System.out.printf(
                "Decisions, tenants and a planted violation on the page %d ms after the job's"
                        + " tasks were running%n",
                Duration.ofNanos(System.nanoTime() - tasksRunningNanos).toMillis());
        assertThat(count(browser, "chart-violation-severities", "points")).isPositive();
        String violation = plantedViolation(browser);
        js(browser)
                .executeScript(
                        "Array.from(document.querySelectorAll('#list-violations li'))"
                                + ".find(li => li.textContent === arguments[0]).click()",
                        violation);
        assertThat(browser.findElement(By.id("details")).getText())
                .contains("\"narrative\"")
                .contains("\"evidence\"");

        // The README's screenshot, once the fleet charts have points (best effort: windows
        // close a minute of event time after they open).
        try {
            new WebDriverWait(browser, Duration.ofSeconds(20))
                    .until(b -> count(b, "chart-util", "points") > 0);
        } catch (org.openqa.selenium.TimeoutException e) {
            System.out.println("Screenshot without window points yet");
        }
        js(browser).executeScript("window.scrollTo(0, 0)");
        byte[] png = ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES);
        Files.write(Path.of("target", "dashboard.png"), png);
        // The README's copy changes only on request, so a test run leaves the checkout clean.
        if ("1".equals(System.getenv(UPDATE_SCREENSHOT))) {
            Files.write(SCREENSHOT, png);
        }
    }

    @Test
    void aNonLoopbackBindWithoutATokenIsRefused() {
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new SubstrateCli());
        cli.setErr(new PrintWriter(err, true));
        int code =
                cli.execute(
                        "dashboard",
                        "--kafka",
                        find(KAFKA),
                        "--registry",
                        find(REGISTRY),
                        "--host",
                        "0.0.0.0",
                        "--port",
                        "0");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("SUBSTRATE_DASHBOARD_TOKEN");
    }

    @Test
    void metricsAreValidPrometheusTextWithThePipelinesNamedMetrics() throws Exception {
        JsonNode families = PrometheusTextParser.parse(awaitFlinkMetrics());
        Set<String> names = familyNames(families);

        assertThat(names)
                .contains(
                        "substrate_flink_records_in",
                        "substrate_flink_records_out",
                        "substrate_flink_quality_failed",
                        "substrate_flink_checkpoint_duration_seconds",
                        "substrate_flink_checkpoint_age_seconds",
                        "substrate_flink_checkpoints_completed",
                        "substrate_dashboard_dead_letters",
                        "substrate_dashboard_records");
        for (JsonNode family : families) {
            String type = family.path("type").asText();
            assertThat(type).as(family.path("name").asText()).isIn("COUNTER", "GAUGE", "HISTOGRAM");
            for (JsonNode metric : family.path("metrics")) {
                if (type.equals("HISTOGRAM")) {
                    Double.parseDouble(metric.path("count").asText());
                    Double.parseDouble(metric.path("sum").asText());
                    assertThat(metric.path("buckets").size()).isPositive();
                } else {
                    Double.parseDouble(metric.path("value").asText());
                }
            }
        }
        // The decision and detection latency histograms, with what the run observed.
        assertThat(
                        family(families, "substrate_dashboard_decision_latency_seconds")
                                .path("type")
                                .asText())
                .isEqualTo("HISTOGRAM");
        assertThat(
                        family(families, "substrate_dashboard_detection_latency_seconds")
                                .path("type")
                                .asText())
                .isEqualTo("HISTOGRAM");
        JsonNode recordsIn = family(families, "substrate_flink_records_in");
        List<String> stages = new ArrayList<>();
        recordsIn
                .path("metrics")
                .forEach(m -> stages.add(m.path("labels").path("vertex").asText()));
        assertThat(stages).hasSizeGreaterThan(3);
        assertThat(family(families, "substrate_flink_quality_failed").path("metrics"))
                .allSatisfy(m -> assertThat(m.path("labels").path("rule").asText()).isNotEmpty());
    }

    @Test
    void theGrafanaDashboardQueriesOnlyMetricsThatExist() throws Exception {
        Set<String> served = familyNames(PrometheusTextParser.parse(awaitFlinkMetrics()));
        JsonNode grafana =
                new ObjectMapper()
                        .readTree(Path.of("..", "deploy", "grafana", "substrate.json").toFile());
        Set<String> queried = new HashSet<>();
        Pattern metric = Pattern.compile("\\b(substrate_[a-z_]+|DCGM_FI_[A-Z_]+)\\b");
        grafana.findValues("expr")
                .forEach(
                        expr -> {
                            Matcher m = metric.matcher(expr.asText());
                            while (m.find()) {
                                queried.add(m.group(1));
                            }
                        });
        assertThat(queried)
                .anyMatch(n -> n.startsWith("substrate_"))
                .anyMatch(n -> n.startsWith("DCGM_"));

        for (String name : queried) {
            if (name.startsWith("substrate_")) {
                assertThat(declared()).as("metric families Substrate exports").contains(base(name));
            } else {
                assertThat(readByDcgmParser(name)).as("%s is a DCGM exporter field", name).isTrue();
            }
        }
        // The declared families are the served ones: nothing is served that is not declared, and
        // the ones always present are there.
        assertThat(declared()).containsAll(served);
        assertThat(served)
                .contains(
                        base("substrate_flink_records_in_total"),
                        base("substrate_flink_checkpoint_age_seconds"),
                        base("substrate_dashboard_records_total"));
    }

    /** Every family {@code /metrics} may serve, without a counter's {@code _total}. */
    private static Set<String> declared() {
        Set<String> names = new HashSet<>();
        FlinkRestMetrics.METRIC_NAMES.forEach(n -> names.add(base(n)));
        DashboardMetrics.METRIC_NAMES.forEach(n -> names.add(base(n)));
        return names;
    }

    /** A family's name from a sample's: without a counter's {@code _total}, a histogram's parts. */
    private static String base(String name) {
        for (String suffix : List.of("_total", "_bucket", "_sum", "_count")) {
            if (name.endsWith(suffix)) {
                return name.substring(0, name.length() - suffix.length());
            }
        }
        return name;
    }

    /**
     * Whether the project's DCGM exporter parser reads this field (it knows the exporter's names).
     */
    private static boolean readByDcgmParser(String field) {
        String page =
                field
                        + "{gpu=\"0\",UUID=\"GPU-1\",modelName=\"NVIDIA H100\",Hostname=\"n1\"}"
                        + " 4242\n";
        GpuSample sample = new DcgmMetricsParser("r", "c", "n1").parse(page, Instant.EPOCH).get(0);
        return sample.toString().contains("4242");
    }

    private static String awaitFlinkMetrics() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (true) {
            String text =
                    http.send(
                                    HttpRequest.newBuilder(dashboard.resolve("/metrics")).build(),
                                    HttpResponse.BodyHandlers.ofString())
                            .body();
            if (text.contains("substrate_flink_records_in_total")
                    && text.contains("substrate_flink_checkpoint_duration_seconds")
                    && text.contains("substrate_dashboard_dead_letters_total")) {
                return text;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("/metrics never had Flink's metrics: " + text);
            }
            Thread.sleep(1_000);
        }
    }

    /** Family names, without a counter's {@code _total} (writers differ on where it goes). */
    private static Set<String> familyNames(JsonNode families) {
        Set<String> names = new HashSet<>();
        families.forEach(f -> names.add(base(f.path("name").asText())));
        return names;
    }

    private static JsonNode family(JsonNode families, String name) {
        for (JsonNode family : families) {
            if (base(family.path("name").asText()).equals(name)) {
                return family;
            }
        }
        throw new AssertionError("No family " + name + " in " + families);
    }

    private static JavascriptExecutor js(WebDriver browser) {
        return (JavascriptExecutor) browser;
    }

    /** The text of an element the page re-renders (read in one go, never stale). */
    private static String text(WebDriver browser, String selector) {
        Object text =
                js(browser)
                        .executeScript(
                                "const e = document.querySelector(arguments[0]);"
                                        + " return e ? e.textContent : '';",
                                selector);
        return text == null ? "" : text.toString();
    }

    /**
     * The text of a violations list item of a policy the sample generator plants, with its
     * narrative and evidence ids; null while there is none.
     */
    private static String plantedViolation(WebDriver browser) {
        Object text =
                js(browser)
                        .executeScript(
                                "const item = Array.from(document.querySelectorAll("
                                        + "'#list-violations li')).find(li =>"
                                        + " arguments[0].some(p => li.textContent.includes(' ' + p"
                                        + " + ' ')) && /evidence: \\S+/.test(li.textContent));"
                                        + " return item ? item.textContent : null;",
                                PLANTED_POLICIES);
        return text == null ? null : text.toString();
    }

    private static long count(WebDriver browser, String id, String what) {
        String value = browser.findElement(By.id(id)).getDomAttribute("data-" + what);
        return value == null ? 0 : Long.parseLong(value);
    }

    private static void plantNodeHealth(String node) throws Exception {
        Instant now = Instant.now();
        NodeHealth change =
                NodeHealth.newBuilder()
                        .setRegion("eu-west")
                        .setCluster("h100-xss")
                        .setNode(node)
                        .setStatus(NodeStatus.DRAIN)
                        .setScore(10)
                        .setReasons(List.of("xid 79 on " + node))
                        .setSince(now)
                        .setChangedAt(now)
                        .build();
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, find(KAFKA));
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        try (SchemaRegistryClient registry =
                        new SchemaRegistryClient(SchemaRegistryConfig.of(find(REGISTRY)));
                KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
            byte[] value =
                    AvroWireEncoder.register(
                                    registry, "substrate.node-health-value", change.getSchema())
                            .encode(change);
            producer.send(new ProducerRecord<>("substrate.node-health", value)).get();
        }
    }

    private static WebDriver chromium() {
        assertThat(CHROMIUM).as("Debian's chromium (.ci/run installs it)").isExecutable();
        assertThat(CHROMEDRIVER)
                .as("Debian's chromium-driver (.ci/run installs it)")
                .isExecutable();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments(
                "--headless=new",
                "--no-sandbox",
                "--disable-dev-shm-usage",
                "--disable-gpu",
                "--window-size=1400,1700");
        ChromeDriverService service =
                new ChromeDriverService.Builder()
                        .usingDriverExecutable(CHROMEDRIVER.toFile())
                        .usingAnyFreePort()
                        .build();
        return new ChromeDriver(service, options);
    }
}
