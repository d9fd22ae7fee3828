package dev.tokenbus.lab;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A Jepsen-style nemesis on a {@link Lab}: for a set time it applies random faults to random hosts
 * and clears each after a random 1 to 8 s, so that no fault lasts. At most {@code maxFaults} hosts
 * are faulty (or still starting after a kill) at once, each with one fault. Every choice comes from the {@link Random} it is given,
 * so a seed replays the same schedule (the timing of the cluster around it is not replayed). Each
 * fault and heal is printed with its time, to be read next to the nodes' logs.
 */
final class Nemesis {

  /** The faults, each with how it is cleared. */
  enum Kind {
    /** The host's cable is pulled, both ways; healed by putting it back. */
    CUT,
    /** 20-200 ms each way with jitter up to half that; cleared. */
    DELAY,
    /** 1-20% loss each way; cleared. */
    LOSS,
    /** kill -9; the node is started again when the fault ends. */
    KILL,
    /** SIGSTOP; SIGCONT when the fault ends. */
    PAUSE
  }

  private record Fault(Kind kind, String host, long healAtNanos) {}

  private final Lab lab;
  private final Random random;
  private final List<String> hosts;
  private final int maxFaults;
  private final Map<String, Fault> active = new HashMap<>();
  private final Map<Kind, Integer> applied = new EnumMap<>(Kind.class);
  private final long startNanos = System.nanoTime();

  Nemesis(Lab lab, Random random, List<String> hosts, int maxFaults) {
    this.lab = lab;
    this.random = random;
    this.hosts = List.copyOf(hosts);
    this.maxFaults = maxFaults;
    for (Kind k : Kind.values()) {
      applied.put(k, 0);
    }
  }

  /**
   * Applies and clears faults for {@code duration}: every 0.3 to 2 s a fault on a healthy host
   * (while fewer than {@code maxFaults} are active; a host killed and started again is healthy once
   * its node said it is ready), and each fault cleared once its time is up.
   * Faults still active at the end stay; {@link #healAll()} clears them.
   */
  void run(Duration duration) throws IOException, InterruptedException {
    long end = System.nanoTime() + duration.toNanos();
    long nextFault = System.nanoTime();
    while (System.nanoTime() < end) {
      long now = System.nanoTime();
      for (Fault f : new ArrayList<>(active.values())) {
        if (f.healAtNanos() <= now) {
          heal(f);
        }
      }
      if (now >= nextFault) {
        List<String> healthy = new ArrayList<>();
        for (String h : hosts) {
          if (!active.containsKey(h) && lab.started(h)) {
            healthy.add(h);
          }
        }
        if (active.size() < maxFaults && !healthy.isEmpty()) {
          String host = healthy.get(random.nextInt(healthy.size()));
          Kind kind = Kind.values()[random.nextInt(Kind.values().length)];
          apply(kind, host, now + Duration.ofMillis(1000 + random.nextInt(7001)).toNanos());
        }
        nextFault = now + Duration.ofMillis(300 + random.nextInt(1701)).toNanos();
      }
      Thread.sleep(50); // the schedule's own clock: faults are due at their times, not on any condition
    }
  }

  /** Clears every fault still active (a killed node is started again). */
  void healAll() throws IOException {
    for (Fault f : new ArrayList<>(active.values())) {
      heal(f);
    }
  }

  /** How many faults of each kind were applied. */
  Map<Kind, Integer> applied() {
    return applied;
  }

  private void apply(Kind kind, String host, long healAt) throws IOException {
    switch (kind) {
      case CUT -> lab.run("cut", host);
      case DELAY -> {
        int delay = 20 + random.nextInt(181);
        lab.run("delay", host, delay + "ms", random.nextInt(delay / 2 + 1) + "ms");
      }
      case LOSS -> lab.run("loss", host, (1 + random.nextInt(20)) + "%");
      case KILL -> lab.run("kill", host);
      case PAUSE -> lab.run("stop", host);
    }
    active.put(host, new Fault(kind, host, healAt));
    applied.merge(kind, 1, Integer::sum);
    log(kind + " " + host + " for " + (healAt - System.nanoTime()) / 1_000_000 + " ms");
  }

  private void heal(Fault f) throws IOException {
    switch (f.kind()) {
      case CUT -> lab.run("heal", f.host());
      case DELAY, LOSS -> lab.run("clear", f.host());
      case KILL -> lab.run("start", f.host());
      case PAUSE -> lab.run("cont", f.host());
    }
    active.remove(f.host());
    log("healed " + f.kind() + " " + f.host());
  }

  private void log(String what) {
    System.out.printf("nemesis %s (+%.1f s): %s%n", Instant.now(), (System.nanoTime() - startNanos) / 1e9, what);
  }
}
