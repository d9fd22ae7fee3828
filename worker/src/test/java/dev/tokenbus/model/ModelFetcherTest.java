package dev.tokenbus.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

@Tag("cluster")
class ModelFetcherTest {
  private static final String PATH = "/models/stories.gguf";
  private static final byte[] CONTENT = seededBytes(4 * 1024 * 1024 + 12_345, 42);
  private static final String CONTENT_SHA256 = sha256(CONTENT);

  @TempDir
  Path cacheDir;

  private LoopbackModelServer server;
  private final List<long[]> progress = new CopyOnWriteArrayList<>();
  private final List<long[]> starts = new CopyOnWriteArrayList<>();

  @BeforeEach
  void startServer() throws IOException {
    server = LoopbackModelServer.start();
    server.serve(PATH, CONTENT);
  }

  @AfterEach
  void stopServer() {
    server.close();
  }

  @Test
  void downloadsWithProgressEndingAtTheTotal() throws IOException {
    Path file = fetcher().resolve(remote(PATH, null));

    assertThat(file).hasBinaryContent(CONTENT);
    assertThat(file.getParent()).isEqualTo(cacheDir.toRealPath());
    assertThat(file.getFileName().toString()).matches("stories-[0-9a-f]{12}\\.gguf");
    assertThat(partFile(file)).doesNotExist();
    assertThat(starts).singleElement().satisfies(s -> assertThat(s).containsExactly(0, CONTENT.length));
    assertThat(progress).hasSizeGreaterThan(1);
    long previous = 0;
    for (long[] p : progress) {
      assertThat(p[0]).isGreaterThan(previous);
      assertThat(p[1]).isEqualTo(CONTENT.length);
      previous = p[0];
    }
    assertThat(previous).isEqualTo(CONTENT.length);
  }

  @Test
  void aSecondResolveFindsTheCachedFileWithoutAskingTheServer() throws IOException {
    Path first = fetcher().resolve(remote(PATH, null));
    Path again = fetcher().resolve(remote(PATH, null));
    Path checked = fetcher().resolve(remote(PATH, CONTENT_SHA256));

    assertThat(again).isEqualTo(first);
    assertThat(checked).isEqualTo(first);
    assertThat(server.requestsFor(PATH)).isEqualTo(1);
  }

  @Test
  void twoUrlsWithTheSameFileNameDoNotCollide() throws IOException {
    byte[] other = seededBytes(1000, 7);
    server.serve("/other/stories.gguf", other);

    Path a = fetcher().resolve(remote(PATH, null));
    Path b = fetcher().resolve(remote("/other/stories.gguf", null));

    assertThat(a).isNotEqualTo(b).hasBinaryContent(CONTENT);
    assertThat(b).hasBinaryContent(other);
  }

  @Test
  void resumesAnInterruptedDownloadWithARangeRequest() throws IOException {
    long cut = 1_500_000;
    server.cutNextResponseAfter(cut);
    ModelSource source = remote(PATH, CONTENT_SHA256);
    Path target = cachedFile(PATH);

    assertThatThrownBy(() -> fetcher().resolve(source))
        .isInstanceOf(ModelFetchException.class)
        .hasMessageContaining(server.url(PATH).toString())
        .hasMessageContaining("broke off")
        .hasMessageContaining("run again to resume");
    assertThat(target).doesNotExist();
    assertThat(partFile(target)).hasSize(cut);

    Path file = fetcher().resolve(source);

    assertThat(file).isEqualTo(target);
    assertThat(server.requests()).hasSize(2);
    LoopbackModelServer.Request resumed = server.requests().get(1);
    assertThat(resumed.range()).isEqualTo("bytes=" + cut + "-");
    assertThat(resumed.ifRange()).isEqualTo("\"v1\"");
    assertThat(sha256(Files.readAllBytes(file))).isEqualTo(CONTENT_SHA256);
    assertThat(starts.getLast()).containsExactly(cut, CONTENT.length);
    assertThat(partFile(target)).doesNotExist();
  }

  @Test
  void startsOverWhenTheServerAnswersARangeWith200() throws IOException {
    server.cutNextResponseAfter(1_000_000);
    assertThatThrownBy(() -> fetcher().resolve(remote(PATH, null))).isInstanceOf(ModelFetchException.class);
    server.ignoreRanges(true);

    Path file = fetcher().resolve(remote(PATH, CONTENT_SHA256));

    assertThat(server.requests().get(1).range()).isEqualTo("bytes=1000000-");
    assertThat(file).hasBinaryContent(CONTENT);
  }

  @Test
  void startsOverWhenTheFileChangedOnTheServerSinceThePartialDownload() throws IOException {
    server.cutNextResponseAfter(1_000_000);
    assertThatThrownBy(() -> fetcher().resolve(remote(PATH, null))).isInstanceOf(ModelFetchException.class);
    byte[] newVersion = seededBytes(CONTENT.length, 99);
    server.serve(PATH, newVersion);

    Path file = fetcher().resolve(remote(PATH, null));

    assertThat(server.requests().get(1).ifRange()).isEqualTo("\"v1\"");
    assertThat(file).hasBinaryContent(newVersion);
  }

  @Test
  void aPartThatIsAlreadyCompleteIsFinishedOn416() throws IOException {
    Path target = cachedFile(PATH);
    Files.write(partFile(target), CONTENT);

    Path file = fetcher().resolve(remote(PATH, CONTENT_SHA256));

    assertThat(server.requests()).singleElement()
        .satisfies(r -> assertThat(r.range()).isEqualTo("bytes=" + CONTENT.length + "-"));
    assertThat(file).hasBinaryContent(CONTENT);
  }

  @Test
  void aPartLongerThanTheFileIsDiscardedOn416() throws IOException {
    Path target = cachedFile(PATH);
    Files.write(partFile(target), seededBytes(CONTENT.length + 100, 5));

    Path file = fetcher().resolve(remote(PATH, null));

    assertThat(server.requests()).hasSize(2);
    assertThat(server.requests().get(1).range()).isNull();
    assertThat(file).hasBinaryContent(CONTENT);
  }

  @Test
  void aWrongChecksumFailsNamingBothHashesAndLeavesNoFile() throws IOException {
    String wrong = "ab".repeat(32);
    Path target = cachedFile(PATH);

    assertThatThrownBy(() -> fetcher().resolve(remote(PATH, wrong)))
        .isInstanceOf(ModelFetchException.class)
        .hasMessageContaining("checksum mismatch")
        .hasMessageContaining(server.url(PATH).toString())
        .hasMessageContaining(wrong)
        .hasMessageContaining(CONTENT_SHA256);
    assertThat(target).doesNotExist();
    assertThat(partFile(target)).doesNotExist();
  }

  @Test
  void aCachedFileWithTheWrongHashIsDownloadedAgain() throws IOException {
    Path file = fetcher().resolve(remote(PATH, null));
    Files.write(file, new byte[] {1, 2, 3});

    Path again = fetcher().resolve(remote(PATH, CONTENT_SHA256));

    assertThat(again).hasBinaryContent(CONTENT);
    assertThat(server.requestsFor(PATH)).isEqualTo(2);
  }

  @Test
  void notFoundNamesTheStatusAndTheUrl() throws IOException {
    Path target = cachedFile("/missing.gguf");

    assertThatThrownBy(() -> fetcher().resolve(remote("/missing.gguf", null)))
        .isInstanceOf(ModelFetchException.class)
        .hasMessageContaining("404 Not Found")
        .hasMessageContaining(server.url("/missing.gguf").toString());
    assertThat(target).doesNotExist();
    assertThat(partFile(target)).doesNotExist();
  }

  @Test
  void followsRedirects() throws IOException {
    server.redirect("/latest.gguf", PATH);

    Path file = fetcher().resolve(remote("/latest.gguf", null));

    assertThat(file).hasBinaryContent(CONTENT);
    assertThat(file.getFileName().toString()).startsWith("latest-");
    assertThat(server.requests()).extracting(LoopbackModelServer.Request::path).containsExactly("/latest.gguf", PATH);
  }

  @Test
  void resumesThroughARedirect() throws IOException {
    server.redirect("/latest.gguf", PATH);
    server.cutNextResponseAfter(2_000_000);
    assertThatThrownBy(() -> fetcher().resolve(remote("/latest.gguf", null))).isInstanceOf(ModelFetchException.class);

    Path file = fetcher().resolve(remote("/latest.gguf", CONTENT_SHA256));

    assertThat(file).hasBinaryContent(CONTENT);
    assertThat(server.requests()).extracting(LoopbackModelServer.Request::path)
        .containsExactly("/latest.gguf", PATH, "/latest.gguf", PATH);
    assertThat(server.requests().getLast().range()).isEqualTo("bytes=2000000-");
  }

  @Test
  void anUnreachableHostIsNamed() throws IOException {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closedPort = socket.getLocalPort();
    }
    URI url = URI.create("http://127.0.0.1:" + closedPort + "/model.gguf");

    assertThatThrownBy(() -> fetcher().resolve(new ModelSource.Remote(url, null)))
        .isInstanceOf(ModelFetchException.class)
        .hasMessageContaining(url.toString())
        .hasMessageContaining("cannot connect to 127.0.0.1:" + closedPort);
  }

  @Test
  void aStalledDownloadFailsAfterTheStallTimeoutAndResumesLater() throws IOException {
    server.stallNextResponseAfter(500_000);
    ModelFetcher impatient = builder().stallTimeout(Duration.ofMillis(300)).build();

    assertThatThrownBy(() -> impatient.resolve(remote(PATH, null)))
        .isInstanceOf(ModelFetchException.class)
        .hasMessageContaining("stalled")
        .hasMessageContaining("300 ms");
    assertThat(partFile(cachedFile(PATH))).hasSize(500_000);

    assertThat(impatient.resolve(remote(PATH, CONTENT_SHA256))).hasBinaryContent(CONTENT);
    assertThat(server.requests().get(1).range()).isEqualTo("bytes=500000-");
  }

  @Test
  void aLocalFileIsReturnedAsItIs() throws IOException {
    Path model = Files.write(cacheDir.resolve("local.gguf"), CONTENT);

    assertThat(fetcher().resolve(ModelSource.parse(model.toString()))).isEqualTo(model);
    assertThat(fetcher().resolve(ModelSource.parse(model.toString(), CONTENT_SHA256))).isEqualTo(model);
    assertThatThrownBy(() -> fetcher().resolve(ModelSource.parse(model.toString(), "00".repeat(32))))
        .isInstanceOf(ModelFetchException.class)
        .hasMessageContaining("checksum mismatch")
        .hasMessageContaining(CONTENT_SHA256);
  }

  @Test
  void aLocalPathThatDoesNotExistIsAClearError() {
    Path missing = cacheDir.resolve("nowhere/model.gguf");

    assertThatThrownBy(() -> fetcher().resolve(ModelSource.parse(missing.toString())))
        .isInstanceOf(ModelFetchException.class)
        .hasMessage("model file not found: " + missing);
    assertThatThrownBy(() -> fetcher().resolve(ModelSource.parse(cacheDir.toString())))
        .isInstanceOf(ModelFetchException.class)
        .hasMessage("model is not a regular file: " + cacheDir);
  }

  @Test
  void twoThreadsResolvingOneUrlShareOneDownload() throws Exception {
    ListAppender<ILoggingEvent> logs = captureFetcherLogs();
    CountDownLatch hold = server.holdResponses();
    ModelFetcher fetcher = fetcher();
    ExecutorService threads = Executors.newFixedThreadPool(2);
    try {
      Future<Path> first = threads.submit(() -> fetcher.resolve(remote(PATH, null)));
      await().until(() -> server.requestsFor(PATH) == 1);
      Future<Path> second = threads.submit(() -> fetcher().resolve(remote(PATH, CONTENT_SHA256)));
      await().until(() -> logged(logs, "waiting for another thread"));
      hold.countDown();

      assertThat(first.get(30, TimeUnit.SECONDS)).hasBinaryContent(CONTENT);
      assertThat(second.get(30, TimeUnit.SECONDS)).isEqualTo(first.get());
      assertThat(server.requestsFor(PATH)).isEqualTo(1);
    } finally {
      threads.shutdownNow();
      stopCapturing(logs);
    }
  }

  @Test
  void aDownloadLockedByAnotherJvmIsWaitedForAndItsFileUsed(@TempDir Path scratch) throws Exception {
    Path target = cachedFile(PATH);
    ListAppender<ILoggingEvent> logs = captureFetcherLogs();
    Process other = holdLockInAnotherJvm(ModelCache.lockFileOf(target), scratch.resolve("HoldLock.java"));
    ExecutorService thread = Executors.newSingleThreadExecutor();
    try {
      Future<Path> resolved = thread.submit(() -> fetcher().resolve(remote(PATH, null)));
      await().until(() -> logged(logs, "waiting for another process"));
      byte[] theirs = seededBytes(1000, 3);
      Files.write(target, theirs); // what the other JVM downloaded while it held the lock
      other.getOutputStream().close(); // lets it release the lock and exit

      assertThat(resolved.get(30, TimeUnit.SECONDS)).isEqualTo(target).hasBinaryContent(theirs);
      assertThat(server.requests()).isEmpty();
    } finally {
      thread.shutdownNow();
      other.destroy();
      stopCapturing(logs);
    }
  }

  private static Process holdLockInAnotherJvm(Path lockFile, Path program) throws IOException {
    Files.writeString(program, """
        import java.nio.channels.FileChannel;
        import java.nio.file.Path;
        import java.nio.file.StandardOpenOption;
        public class HoldLock {
          public static void main(String[] args) throws Exception {
            try (FileChannel channel = FileChannel.open(Path.of(args[0]), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE); var lock = channel.lock()) {
              System.out.println("locked");
              System.out.flush();
              System.in.read();
            }
          }
        }
        """);
    String java = ProcessHandle.current().info().command().orElseThrow();
    Process process = new ProcessBuilder(java, program.toString(), lockFile.toString())
        .redirectError(ProcessBuilder.Redirect.INHERIT)
        .start();
    var stdout = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    assertThat(stdout.readLine()).isEqualTo("locked");
    return process;
  }

  private static ListAppender<ILoggingEvent> captureFetcherLogs() {
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.start();
    ((Logger) LoggerFactory.getLogger(ModelFetcher.class)).addAppender(appender);
    return appender;
  }

  private static void stopCapturing(ListAppender<ILoggingEvent> appender) {
    ((Logger) LoggerFactory.getLogger(ModelFetcher.class)).detachAppender(appender);
  }

  private static boolean logged(ListAppender<ILoggingEvent> appender, String text) {
    synchronized (appender) { // the lock logback appends under: the list is a plain ArrayList
      return appender.list.stream().anyMatch(e -> e.getFormattedMessage().contains(text));
    }
  }

  private ModelFetcher.Builder builder() {
    return ModelFetcher.builder()
        .cacheDirectory(cacheDir)
        .connectTimeout(Duration.ofSeconds(5))
        .stallTimeout(Duration.ofSeconds(10))
        .progress(new ProgressListener() {
          @Override
          public void started(String what, long bytesDone, long totalBytes) {
            starts.add(new long[] {bytesDone, totalBytes});
          }

          @Override
          public void progress(long bytesDone, long totalBytes, double bytesPerSecond) {
            progress.add(new long[] {bytesDone, totalBytes});
          }
        });
  }

  private ModelFetcher fetcher() {
    return builder().build();
  }

  private ModelSource remote(String path, String sha256) {
    return new ModelSource.Remote(server.url(path), sha256);
  }

  private Path cachedFile(String path) throws IOException {
    Files.createDirectories(cacheDir);
    return cacheDir.toRealPath().resolve(ModelCache.fileName(server.url(path)));
  }

  private static Path partFile(Path target) {
    return ModelCache.partFileOf(target);
  }

  private static byte[] seededBytes(int length, long seed) {
    byte[] bytes = new byte[length];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  private static String sha256(byte[] bytes) {
    var digest = Sha256.newDigest();
    digest.update(bytes);
    return Sha256.hex(digest);
  }
}
