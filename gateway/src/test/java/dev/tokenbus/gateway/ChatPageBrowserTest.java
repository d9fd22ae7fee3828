package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.LlamaEngine;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The chat page in a real headless Chromium, against a real cluster on the generated model: a
 * message streams a reply token by token over /v1/ws, Stop cancels it on the worker, tokens/s and
 * per-token logprobs are shown, a second turn carries the conversation, errors are readable, and
 * the page fits a phone's width. Needs Debian's {@code chromium} and {@code chromium-driver}
 * ({@code .ci/run} installs them); skipped where they are absent.
 */
@Tag("engine")
@Tag("cluster")
class ChatPageBrowserTest {

  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final Path SCREENSHOTS = Path.of(System.getProperty("basedir", "."), "target", "screenshots");

  private static TestCluster cluster;
  private static LlamaEngine engine;
  private static ChromeDriver driver;
  private static WebDriverWait wait;

  private static boolean browserInstalled() {
    return Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
  }

  @BeforeAll
  static void start() throws Exception {
    if (!browserInstalled()) {
      return; // each test is skipped, with the reason, by freshPage()
    }
    cluster = TestCluster.start(1, EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(2)
        .withContextPerSequence(1024), GatewayOptions.defaults(), WorkerOptions.defaults("tiny"));
    engine = cluster.engines.getFirst();

    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM.toFile())
        .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,860",
            "--force-prefers-reduced-motion");
    options.setCapability("goog:loggingPrefs", logs);
    // An explicit driver executable keeps Selenium from looking for (or downloading) one itself.
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
    driver = new ChromeDriver(service, options);
    wait = new WebDriverWait(driver, Duration.ofSeconds(30));
  }

  @AfterAll
  static void stop() {
    if (driver != null) {
      driver.quit();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @BeforeEach
  void freshPage() {
    assumeTrue(browserInstalled(), "skipped: the chat page's browser test needs " + CHROMIUM + " and "
        + CHROMEDRIVER + " (apt-get install chromium chromium-driver; .ci/run installs them)");
    driver.manage().window().setSize(new Dimension(1280, 860));
    driver.get(cluster.uri("/").toString());
    driver.executeScript("localStorage.clear()");
    driver.navigate().refresh();
    // The model picker is filled from the gateway: the only worker's model is chosen.
    wait.until(d -> "tiny".equals(d.findElement(By.id("model")).getDomProperty("value")));
  }

  @AfterEach
  void everySlotFreedAndNoScriptErrors() {
    if (driver == null) {
      return;
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> engine.stats().active() == 0);
    List<String> severe = driver.manage().logs().get(LogType.BROWSER).getAll().stream()
        .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue()).map(LogEntry::getMessage)
        // Probing OpenAI's model list first is expected to 404 on a gateway without it.
        .filter(m -> !m.contains("/v1/models")).toList();
    assertThat(severe).as("browser console errors").isEmpty();
  }

  @Test
  void thePageConnectsOnLoad() {
    // Before any message: the pill says the gateway is there.
    wait.until(d -> "connected".equals(d.findElement(By.id("connection")).getText()));
  }

  @Test
  void aReplyStreamsAndStopCancelsItOnTheWorker() throws Exception {
    setField("max-tokens", "1000");
    setField("stream-delay", "40"); // about 25 tokens/s: Stop lands mid-reply
    setField("top-logprobs", "3");
    double cancelledBefore = cancelledCount();

    send("Hello, who are you?");
    WebElement reply = lastReply();
    wait.until(d -> reply.findElements(By.cssSelector(".tok")).size() >= 5);
    assertThat(reply.getDomAttribute("data-state")).isEqualTo("streaming");
    // The status line under the reply follows the tokens already shown, not "waiting for the first token".
    assertThat(reply.findElement(By.cssSelector(".meta")).getText()).doesNotContain("waiting")
        .matches("streaming · \\d+ tokens · [0-9.]+ tok/s");
    assertThat(engine.stats().active()).isEqualTo(1);
    assertThat(driver.findElement(By.id("stop")).isEnabled()).isTrue();
    assertThat(driver.findElement(By.id("send")).isEnabled()).isFalse();
    // tokens/s while it streams
    wait.until(d -> rate(d.findElement(By.id("stats")).getText()) > 0);
    assertThat(driver.findElement(By.id("stats")).getText()).startsWith("Streaming: ");

    driver.findElement(By.id("stop")).click();
    wait.until(d -> "stopped".equals(reply.getDomAttribute("data-state")));
    assertThat(reply.getDomAttribute("data-finish")).isEqualTo("cancelled");
    assertThat(reply.findElement(By.cssSelector(".meta")).getText()).contains("stopped (finish: cancelled)")
        .containsPattern("\\d+ tokens · [0-9.]+ tok/s");
    assertThat(driver.findElement(By.id("send")).isEnabled()).isTrue();

    // The worker's sequence was cancelled: slot and KV cells free, no stream open, counted as cancelled.
    await().atMost(Duration.ofSeconds(5)).until(() -> engine.stats().active() == 0);
    assertThat(engine.stats().kvCellsUsed()).isZero();
    JsonObject status = cluster.status();
    assertThat(status.getJsonArray("streams")).isEmpty();
    assertThat(status.getJsonArray("workers").getJsonObject(0).getInteger("active")).isZero();
    assertThat(cancelledCount()).isEqualTo(cancelledBefore + 1);
    int tokens = reply.findElements(By.cssSelector(".tok")).size();
    assertThat(tokens).isBetween(5, 999);
    assertThat(driver.findElement(By.id("stats")).getText()).startsWith("Last reply: " + tokens + " tokens");
    assertThat(rate(driver.findElement(By.id("stats")).getText())).isPositive();

    // Each token's logprob (and the alternatives asked for) on hover.
    WebElement token = reply.findElements(By.cssSelector(".tok")).get(2);
    assertThat(token.getDomAttribute("title"))
        .containsPattern("logprob -?\\d+\\.\\d{3} \\(p [0-9.]+%\\)")
        .contains("alternatives:");
    assertThat(token.getDomAttribute("title").lines().filter(l -> l.startsWith("  "))).hasSize(3);
    // The details go into #token-info as its text; compared as the DOM holds it (getText would
    // compare Selenium's rendering of it), and the token is brought into the log's view first.
    driver.executeScript("arguments[0].scrollIntoView({block: 'center'})", token);
    new Actions(driver).moveToElement(token).perform();
    WebElement info = driver.findElement(By.id("token-info"));
    new WebDriverWait(driver, Duration.ofSeconds(30)).withMessage(() -> hoverDiagnosis(token, info))
        .until(d -> token.getDomAttribute("title").equals(info.getDomProperty("textContent")));
    assertThat(info.isDisplayed()).isTrue();

    screenshot("chat.png");
  }

  @Test
  void aSecondTurnCarriesTheConversationAndThePageFitsAPhone() throws Exception {
    setField("max-tokens", "12");
    setField("temperature", "0");
    // Record the frames the page sends, to check what a generate request carries.
    driver.executeScript("const send = WebSocket.prototype.send; window.sentFrames = [];"
        + "WebSocket.prototype.send = function (data) {"
        + "  window.sentFrames.push(data); return send.call(this, data); };");
    send("again");
    WebElement first = lastReply();
    wait.until(d -> "done".equals(first.getDomAttribute("data-state")));
    send("again");
    WebElement second = lastReply();
    wait.until(d -> "done".equals(second.getDomAttribute("data-state")));

    assertThat(driver.findElements(By.cssSelector("#log > li"))).hasSize(4);
    for (WebElement reply : List.of(first, second)) {
      assertThat(reply.getDomAttribute("data-finish")).isIn("length", "stop");
      assertThat(reply.findElement(By.cssSelector(".meta")).getText())
          .containsPattern("tok/s · finish: (length|stop)");
    }
    // The same message twice: a longer prompt the second time means the first turn was sent along.
    assertThat(promptTokens(second)).isGreaterThan(promptTokens(first));
    List<JsonObject> sent = ((List<?>) driver.executeScript("return window.sentFrames")).stream()
        .map(f -> new JsonObject((String) f)).toList();
    assertThat(sent).hasSize(2);
    JsonObject turn2 = sent.get(1);
    assertThat(turn2.getString("type")).isEqualTo("generate");
    assertThat(turn2.getString("model")).isEqualTo("tiny");
    assertThat(turn2.getInteger("max_tokens")).isEqualTo(12);
    assertThat(turn2.getInteger("top_logprobs")).isEqualTo(3);
    assertThat(turn2.getJsonArray("messages").encode()).isEqualTo(new JsonArray()
        .add(new JsonObject().put("role", "user").put("content", "again"))
        .add(new JsonObject().put("role", "assistant").put("content", first.findElement(By.cssSelector(".content"))
            .getDomProperty("textContent")))
        .add(new JsonObject().put("role", "user").put("content", "again")).encode());
    // Model text stays text: what the page shows is exactly the tokens' text, with no markup made from it.
    assertThat(first.findElements(By.cssSelector(".content *")).stream()
        .allMatch(e -> e.getTagName().equals("span") && e.getDomAttribute("class").startsWith("tok"))).isTrue();

    driver.manage().window().setSize(new Dimension(390, 844));
    wait.until(d -> ((Number) driver.executeScript("return window.innerWidth")).intValue() <= 400);
    Number overflow = (Number) driver.executeScript(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth");
    assertThat(overflow.intValue()).as("horizontal overflow at phone width").isLessThanOrEqualTo(0);
    WebElement stop = driver.findElement(By.id("stop"));
    assertThat(stop.isDisplayed()).isTrue();
    assertThat(stop.getRect().getX() + stop.getRect().getWidth()).isLessThanOrEqualTo(390);
    screenshot("chat-narrow.png");
  }

  /** ChatML whose generation prompt opens a think block, as DeepSeek-R1's does: every token is reasoning. */
  private static final String THINKING_TEMPLATE = "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n'"
      + " + m['content'] + '<|im_end|>\\n' }}{% endfor %}{% if add_generation_prompt %}"
      + "{{ '<|im_start|>assistant\\n<think>\\n' }}{% endif %}";

  @Test
  void aThinkingModelsReasoningIsShownCollapsedAboveTheAnswer() throws Exception {
    Path thinker = Files.createTempFile("tiny-thinker", ".gguf");
    dev.tokenbus.engine.gguf.TinyArchModel.writer(dev.tokenbus.engine.gguf.TinyArchModel.Architecture.QWEN3, 42,
        THINKING_TEMPLATE).writeTo(thinker);
    try (TestCluster own = TestCluster.start(1, EngineConfig.forModel(thinker).withThreads(1).withSlots(1)
        .withContextPerSequence(512), GatewayOptions.defaults(), WorkerOptions.defaults("thinker"))) {
      driver.get(own.uri("/").toString());
      wait.until(d -> "thinker".equals(d.findElement(By.id("model")).getDomProperty("value")));
      setField("max-tokens", "12");
      // Greedy: sampled at the page's default temperature, the model can end or write a partial
      // UTF-8 character (shown with the next token) before its twelfth token.
      setField("temperature", "0");
      send("Hi");
      WebElement reply = lastReply();
      wait.until(d -> "done".equals(reply.getDomAttribute("data-state")));
      WebElement details = reply.findElement(By.cssSelector("details.reasoning"));
      assertThat(details.getDomAttribute("open")).as("collapsed").isNull();
      assertThat(details.findElements(By.cssSelector(".thinking > span.tok"))).hasSize(12);
      assertThat(reply.findElements(By.cssSelector(".content > span"))).as("no answer before the block closes").isEmpty();
      // Above the answer: the section comes before the content in the reply.
      assertThat((Boolean) driver.executeScript("return arguments[0].compareDocumentPosition(arguments[1])"
          + " === Node.DOCUMENT_POSITION_FOLLOWING", details, reply.findElement(By.cssSelector(".content")))).isTrue();
      details.findElement(By.tagName("summary")).click();
      wait.until(d -> details.getDomAttribute("open") != null);
      screenshot("chat-reasoning.png");
    } finally {
      Files.deleteIfExists(thinker);
    }
  }

  @Test
  void errorsFromTheGatewayAreShownReadably() throws Exception {
    setField("temperature", "9");
    send("too hot");
    WebElement reply = lastReply();
    wait.until(d -> "error".equals(reply.getDomAttribute("data-state")));
    String error = driver.findElement(By.id("errors")).getText();
    assertThat(error).contains("temperature must be between 0 and 5").contains("invalid_request_error");
    // The message was not answered, so it is back in the box to send again, and not in the history.
    assertThat(driver.findElement(By.id("input")).getDomProperty("value")).isEqualTo("too hot");
    assertThat(driver.findElement(By.cssSelector("#log > li.user")).getDomAttribute("class")).contains("unsent");
    assertThat(engine.stats().active()).isZero();
  }

  @Test
  void aSocketTheGatewayClosesIsReportedAndTheNextMessageReconnects() throws Exception {
    setField("max-tokens", "4");
    // A message over the gateway's 1 MiB message limit: the gateway closes the socket with 1009.
    driver.executeScript("document.getElementById('input').value = 'x'.repeat(1100000)");
    driver.findElement(By.id("input")).sendKeys(Keys.ENTER);
    wait.until(d -> d.findElements(By.cssSelector("#log > li.assistant")).size() == 1);
    WebElement reply = lastReply();
    wait.until(d -> "error".equals(reply.getDomAttribute("data-state")));
    assertThat(driver.findElement(By.id("errors")).getText())
        .contains("The connection to the gateway closed (code 1009, a message was too big for the gateway)");
    assertThat(driver.findElement(By.id("connection")).getText()).isEqualTo("disconnected");

    driver.findElement(By.id("input")).clear();
    send("hello again");
    WebElement next = lastReply();
    wait.until(d -> "done".equals(next.getDomAttribute("data-state")));
    assertThat(driver.findElement(By.id("connection")).getText()).isEqualTo("connected");
    assertThat(driver.findElement(By.id("errors")).getText()).isEmpty();
  }

  @Test
  void theApiKeyIsKeptInTheBrowserAndSentAsAQueryParameterOfTheSocket() throws Exception {
    setField("api-key", "s3cret key/1");
    driver.findElement(By.id("max-tokens")).click(); // leaving the field saves it
    wait.until(d -> "s3cret key/1".equals(driver.executeScript("return localStorage.getItem('tokenbus.apiKey')")));
    // Browsers cannot set headers on a WebSocket: the key goes in the URL the page opens, from the
    // connection it opens as it loads. Record every socket URL from before the page's scripts run.
    Map<String, Object> recorder = driver.executeCdpCommand("Page.addScriptToEvaluateOnNewDocument", Map.of("source",
        "const Native = WebSocket; window.socketUrls = [];"
            + "window.WebSocket = class extends Native {"
            + "  constructor(url, protocols) { super(url, protocols); window.socketUrls.push(url); } };"));
    try {
      driver.navigate().refresh();
      wait.until(d -> "tiny".equals(d.findElement(By.id("model")).getDomProperty("value")));
      assertThat(driver.findElement(By.id("api-key")).getDomProperty("value")).isEqualTo("s3cret key/1");
      setField("max-tokens", "3");
      send("key?");
      WebElement reply = lastReply();
      wait.until(d -> "done".equals(reply.getDomAttribute("data-state")));
      assertThat(driver.executeScript("return window.socketUrls")).isEqualTo(
          List.of("ws://127.0.0.1:" + cluster.gateway.port() + "/v1/ws?api_key=s3cret%20key%2F1"));
    } finally {
      driver.executeCdpCommand("Page.removeScriptToEvaluateOnNewDocument",
          Map.of("identifier", recorder.get("identifier")));
    }
  }

  // ---- helpers ----

  private static void setField(String id, String value) {
    WebElement field = driver.findElement(By.id(id));
    if (!field.isDisplayed()) {
      driver.findElement(By.cssSelector("#settings > summary")).click();
    }
    field.clear();
    field.sendKeys(value);
  }

  private static void send(String message) {
    int before = driver.findElements(By.cssSelector("#log > li.assistant")).size();
    driver.findElement(By.id("input")).sendKeys(message, Keys.ENTER);
    wait.until(d -> d.findElements(By.cssSelector("#log > li.assistant")).size() == before + 1);
  }

  private static WebElement lastReply() {
    return driver.findElements(By.cssSelector("#log > li.assistant")).getLast();
  }

  private static final Pattern RATE = Pattern.compile("([0-9.]+) tok/s");

  private static double rate(String text) {
    Matcher m = RATE.matcher(text);
    return m.find() ? Double.parseDouble(m.group(1)) : -1;
  }

  private static int promptTokens(WebElement reply) {
    Matcher m = Pattern.compile("prompt (\\d+) tokens").matcher(reply.findElement(By.cssSelector(".meta"))
        .getDomAttribute("title"));
    assertThat(m.find()).isTrue();
    return Integer.parseInt(m.group(1));
  }

  private static double cancelledCount() {
    Counter c = cluster.gatewayNode.metrics().registry().find("tokenbus_request_errors").tag("type", "cancelled")
        .counter();
    return c == null ? 0 : c.count();
  }

  /** What the page showed when a hover did not fill #token-info: kept for a failure's message. */
  private static String hoverDiagnosis(WebElement token, WebElement info) {
    Object atPoint = driver.executeScript("const r = arguments[0].getBoundingClientRect();"
        + "const e = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);"
        + "return JSON.stringify({rect: [r.left, r.top, r.width, r.height], text: arguments[0].textContent,"
        + " atPoint: e ? e.outerHTML.slice(0, 200) : null})", token);
    try {
      screenshot("chat-hover-failed.png");
    } catch (Exception e) {
      // the message below is the diagnosis; a screenshot is extra
    }
    return "hovering the token did not show its details: token " + atPoint + ", #token-info "
        + JsonObject.of("text", info.getDomProperty("textContent")).encode();
  }

  private static void screenshot(String name) throws Exception {
    Files.createDirectories(SCREENSHOTS);
    File shot = driver.getScreenshotAs(OutputType.FILE);
    Files.copy(shot.toPath(), SCREENSHOTS.resolve(name), StandardCopyOption.REPLACE_EXISTING);
  }
}
