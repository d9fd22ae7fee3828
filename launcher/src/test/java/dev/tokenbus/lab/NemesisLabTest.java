package dev.tokenbus.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenbus.engine.gguf.TinyLlamaModel;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The randomized fault test, Jepsen style: a gateway and three workers on their own hosts; clients
 * stream greedy and seeded requests on every streaming route (native SSE, OpenAI chat and
 * completions, WebSocket) while a {@link Nemesis} cuts, slows, drops, kills and pauses random
 * workers; the {@link NemesisChecker} holds every stream against its reference from the healthy
 * cluster. Once the faults are cleared and every node has started (a worker killed near the end
 * may still be starting), the cluster must converge within 30 s: every worker registered and
 * reachable, every slot free, nothing queued, no stream open.
 *
 * <p>llama.cpp's arithmetic depends on the shape of the batch a token is computed in, and a tiny
 * difference in the logits changes the token where two are nearly tied (random weights have many
 * such ties): a sequence decoded together with others, or a prompt partly taken from the prefix
 * cache, can then differ from the same request run alone with no fault at all. So each worker has
 * one slot and requests run with {@code cache_prompt: false}
 * ({@code -Dtokenbus.nemesis.cache-prompt=true} runs them with the cache): a healthy run is exactly
 * reproducible, and a difference comes from a fault (a moved stream's tokens are replayed in one
 * batch on its new worker).
 *
 * <p>System properties: {@code tokenbus.nemesis.seconds} (how long faults are applied; 75),
 * {@code tokenbus.nemesis.seed} (replays a run's schedule and requests; printed, random by
 * default), {@code tokenbus.nemesis.clients} (concurrent streams; 6), {@code tokenbus.nemesis.faults}
 * (hosts faulty at once; 2), {@code tokenbus.nemesis.gateways} (clients pick one at random for each
 * stream; faults stay on the workers; 1), {@code tokenbus.nemesis.cache-prompt} (false). A long run:
 * {@code ./mvnw -B -o verify -pl launcher -am -Dllama.b4916.tests.skip=true -Dtest=NemesisLabTest
 * -Dsurefire.failIfNoSpecifiedTests=false -Dtokenbus.nemesis.seconds=600}.
 */
@Tag("cluster")
@Tag("lab")
class NemesisLabTest {

  private static final int WORKERS = 3;
  private static final int READ_TIMEOUT_MS = 60_000;
  private static final long REFUSED_PAUSE_MS = 250;
  private static final Duration CONVERGENCE = Duration.ofSeconds(30);

  @Test
  void everyStreamEndsWithItsReferenceOrAnExplicitErrorAndTheClusterConverges() throws Exception {
    Lab.requireShaping();
    long seed = Long.getLong("tokenbus.nemesis.seed", new Random().nextLong());
    int seconds = Integer.getInteger("tokenbus.nemesis.seconds", 75);
    int clients = Integer.getInteger("tokenbus.nemesis.clients", 6);
    int maxFaults = Integer.getInteger("tokenbus.nemesis.faults", 2);
    int gateways = Integer.getInteger("tokenbus.nemesis.gateways", 1);
    boolean cachePrompt = Boolean.getBoolean("tokenbus.nemesis.cache-prompt");
    System.out.printf("nemesis: seed %d (-Dtokenbus.nemesis.seed=%d replays it), %d s, %d gateway(s), %d clients,"
        + " %d faults at once, cache_prompt %b%n", seed, seed, seconds, gateways, clients, maxFaults, cachePrompt);
    Random random = new Random(seed);
    Path model = TinyLlamaModel.cached(TinyLlamaModel.Spec.defaults());
    try (Lab lab = Lab.up("nem", 75, gateways, WORKERS, model, "", "--threads 1 --slots 1")) {
      List<String> addresses = IntStream.rangeClosed(1, gateways).mapToObj(g -> lab.address("g" + g)).toList();
      List<NemesisRequest> requests = NemesisRequest.draw(random, 2, cachePrompt);
      requests.forEach(r -> System.out.printf("nemesis: request %s %s%n", r.name(), r.body().encode()));
      NemesisChecker checker = new NemesisChecker(references(requests, addresses.get(0), clients));

      AtomicBoolean stop = new AtomicBoolean();
      ExecutorService pool = Executors.newFixedThreadPool(clients);
      List<Future<?>> running = new ArrayList<>();
      for (int i = 0; i < clients; i++) {
        Random own = new Random(seed + 1 + i);
        running.add(pool.submit(() -> {
          while (!stop.get()) {
            NemesisRequest r = requests.get(own.nextInt(requests.size()));
            LabStream s = r.run(addresses.get(own.nextInt(addresses.size())), READ_TIMEOUT_MS);
            String v = checker.check(r, s);
            if (v != null) {
              System.out.printf("violation %s on %s: %s [%s]%n", Instant.now(), r.name(), v, s);
            }
            if (s.end == LabStream.End.REFUSED) {
              Thread.sleep(REFUSED_PAUSE_MS); // as a client told 503 or 429 would, rather than asking again at once
            }
          }
          return null;
        }));
      }
      Nemesis nemesis = new Nemesis(lab, random, List.of("w1", "w2", "w3"), maxFaults);
      try {
        nemesis.run(Duration.ofSeconds(seconds));
      } finally {
        stop.set(true);
        nemesis.healAll();
      }
      long healed = System.nanoTime();
      // A node killed near the end is still starting: its own start is no part of the convergence.
      await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(250))
          .until(() -> lab.started("w1") && lab.started("w2") && lab.started("w3"));
      long started = System.nanoTime();
      AtomicReference<String> lastStatus = new AtomicReference<>();
      boolean converged = converges(lab, gateways, lastStatus);
      double convergedS = (System.nanoTime() - started) / 1e9;
      pool.shutdown();
      boolean clientsEnded = pool.awaitTermination(READ_TIMEOUT_MS + 30_000, TimeUnit.MILLISECONDS);
      for (Future<?> f : running) {
        if (f.isDone()) {
          f.get(); // a client that threw fails the test with its exception
        }
      }
      System.out.printf("nemesis: faults applied %s%n", nemesis.applied());
      System.out.print("nemesis: " + checker.report());
      System.out.printf("nemesis: every node started %.1f s after the faults were cleared; %s %.1f s after that%s%n",
          (started - healed) / 1e9, converged ? "converged" : "did NOT converge", convergedS,
          converged ? "" : "; last status " + lastStatus.get());
      assertThat(clientsEnded).as("every client ended").isTrue();
      assertThat(checker.violations()).as("violations (seed " + seed + ")").isEmpty();
      assertThat(converged).as("converged within " + CONVERGENCE + " (seed " + seed + "): " + lastStatus.get()).isTrue();
      assertThat(checker.streams()).as("streams run").isGreaterThan(0);
    }
  }

  /** Each request run once on the healthy cluster, which must complete it. */
  private static Map<String, LabStream> references(List<NemesisRequest> requests, String gateway, int clients)
      throws Exception {
    Map<String, LabStream> refs = new ConcurrentHashMap<>();
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    try {
      List<Future<?>> all = new ArrayList<>();
      for (NemesisRequest r : requests) {
        all.add(pool.submit(() -> refs.put(r.name(), r.run(gateway, READ_TIMEOUT_MS))));
      }
      for (Future<?> f : all) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    for (NemesisRequest r : requests) {
      LabStream ref = refs.get(r.name());
      assertThat(ref.end).as(r.name() + " on the healthy cluster: " + ref).isEqualTo(LabStream.End.DONE);
      assertThat(ref.violations).as(r.name() + " on the healthy cluster").isEmpty();
    }
    System.out.printf("nemesis: %d references taken%n", refs.size());
    return refs;
  }

  /**
   * Whether, within {@link #CONVERGENCE}, every gateway lists exactly the lab's workers, all
   * reachable with no sequence active or running, no request queued and no stream open.
   */
  private static boolean converges(Lab lab, int gateways, AtomicReference<String> lastStatus) {
    try {
      await().atMost(CONVERGENCE).pollInterval(Duration.ofMillis(250)).ignoreExceptions().until(() -> {
        for (int g = 1; g <= gateways; g++) {
          JsonObject s = lab.status("g" + g);
          lastStatus.set("g" + g + " " + s.encode());
          if (s.getJsonArray("workers").size() != WORKERS || lab.reachableWorkers("g" + g) != WORKERS
              || s.getInteger("queued") != 0 || !s.getJsonArray("streams").isEmpty()
              || s.getInteger("other_streams") != 0) {
            return false;
          }
          for (Object o : s.getJsonArray("workers")) {
            JsonObject w = (JsonObject) o;
            if (w.getInteger("active") != 0 || w.getInteger("running") != 0) {
              return false;
            }
          }
        }
        return true;
      });
      return true;
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      return false;
    }
  }
}
