package dev.tokenbus.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.engine.gguf.TinyLlamaModel;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The lab's faults do what they say, seen from a client on the bridge talking to a gateway on its
 * own host: a cut link and a stopped process answer nothing, a delay adds its round trip, a rate
 * limit slows an upload, and {@code down} leaves no namespace, bridge or process behind.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Tag("cluster")
@Tag("lab")
class LabScriptTest {

  private Lab lab;
  private String host;

  @BeforeAll
  void up() throws Exception {
    Lab.require();
    lab = Lab.up("labt", 70, 1, 0, TinyLlamaModel.cached(TinyLlamaModel.Spec.defaults()), "", "");
    host = lab.address("g1");
  }

  @AfterAll
  void down() {
    if (lab != null) {
      lab.close();
    }
  }

  /** A request to the gateway's /health on a new connection; its time in ms, or an exception. */
  private double health(int timeoutMs) throws IOException {
    long t0 = System.nanoTime();
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, Lab.HTTP_PORT), timeoutMs);
      s.setSoTimeout(timeoutMs);
      OutputStream out = s.getOutputStream();
      out.write(("GET /health HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String status = new String(s.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
      assertThat(status).isEqualTo("HTTP/1.1 200");
    }
    return (System.nanoTime() - t0) / 1e6;
  }

  /** Uploads {@code bytes} of body (which the gateway refuses once read); the time in ms. */
  private double upload(int bytes) throws IOException {
    long t0 = System.nanoTime();
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, Lab.HTTP_PORT), 5000);
      s.setSoTimeout(30_000);
      OutputStream out = s.getOutputStream();
      out.write(("POST /v1/generate HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: application/json\r\n"
          + "Content-Length: " + bytes + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(new byte[bytes]);
      out.flush();
      InputStream in = s.getInputStream();
      assertThat(new String(in.readNBytes(12), StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 4");
    }
    return (System.nanoTime() - t0) / 1e6;
  }

  @Test
  @Order(1)
  void aCutLinkAnswersNothingUntilHealed() throws Exception {
    health(5000);
    lab.run("cut", "g1");
    assertThatThrownBy(() -> health(1000)).isInstanceOf(IOException.class);
    assertThat(lab.run("status")).containsPattern("g1 .* cut");
    lab.run("heal", "g1");
    await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> health(1000) >= 0);
  }

  @Test
  @Order(2)
  void aDelayAddsItsRoundTripAndClearRemovesIt() throws Exception {
    double clean = median(() -> health(5000));
    lab.run("delay", "g1", "40ms");
    // A new connection and one request: two round trips of 80 ms each, at least.
    double delayed = median(() -> health(5000));
    lab.run("clear", "g1");
    double cleared = median(() -> health(5000));
    System.out.printf("GET /health on a new connection: %.2f ms clean, %.1f ms with 40 ms each way, %.2f ms cleared%n",
        clean, delayed, cleared);
    assertThat(delayed).isBetween(160.0, 1000.0);
    assertThat(cleared).isLessThan(80.0);
  }

  @Test
  @Order(3)
  void totalLossAnswersNothing() throws Exception {
    lab.run("loss", "g1", "100%", "--dir", "in");
    assertThatThrownBy(() -> health(1000)).isInstanceOf(IOException.class);
    lab.run("clear", "g1");
    await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> health(1000) >= 0);
  }

  @Test
  @Order(4)
  void aRateLimitSlowsAnUpload() throws Exception {
    int bytes = 256 * 1024;
    double clean = upload(bytes);
    lab.run("rate", "g1", "1mbit", "--dir", "in");
    double limited = upload(bytes);
    lab.run("clear", "g1");
    System.out.printf("256 KiB upload: %.1f ms clean, %.0f ms at 1 Mbit/s%n", clean, limited);
    assertThat(limited).as("256 KiB at 1 Mbit/s take about 2 s").isGreaterThan(1500.0);
  }

  @Test
  @Order(5)
  void aStoppedNodeAnswersNothingUntilContinuedAndARestartedOneAgain() throws Exception {
    lab.run("stop", "g1");
    assertThat(lab.run("status")).containsPattern("g1 .* stopped");
    assertThatThrownBy(() -> health(1000)).isInstanceOf(IOException.class);
    lab.run("cont", "g1");
    await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> health(1000) >= 0);

    long before = lab.pid("g1");
    lab.run("kill", "g1");
    assertThat(lab.pid("g1")).isEqualTo(-1);
    await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(before).map(h -> !h.isAlive()).orElse(true));
    lab.run("start", "g1");
    lab.run("wait", "--timeout", "120");
    assertThat(health(5000)).isPositive();
  }

  @Test
  @Order(6)
  void downLeavesNothingBehind() throws Exception {
    long pid = lab.pid("g1");
    lab.close();
    // Killed, it is gone once its parent (init: the lab starts nodes in sessions of their own) reaps it.
    await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true));
    assertThat(run("ip", "netns", "list")).doesNotContain("tb-labt-");
    assertThat(run("ip", "link", "show")).doesNotContain("tb-labt");
    lab = null;
  }

  private static String run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor();
    return out;
  }

  private interface Timed {
    double ms() throws IOException;
  }

  private static double median(Timed t) throws IOException {
    double[] v = new double[5];
    for (int i = 0; i < v.length; i++) {
      v[i] = t.ms();
    }
    java.util.Arrays.sort(v);
    return v[2];
  }
}
