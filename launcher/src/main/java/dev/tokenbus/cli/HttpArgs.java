package dev.tokenbus.cli;

import dev.tokenbus.gateway.GatewayOptions;
import dev.tokenbus.gateway.api.ReasoningFormat;
import dev.tokenbus.gateway.api.ReasoningParameters;
import dev.tokenbus.gateway.dispatch.DispatchOptions;
import dev.tokenbus.gateway.transport.ConnectionTimeouts;
import java.util.LinkedHashSet;
import java.util.Set;
import picocli.CommandLine.Option;

/** The gateway's HTTP options; each has an environment variable. */
final class HttpArgs {

  @Option(names = "--http-host", defaultValue = "127.0.0.1",
      description = "Address to listen on (default ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--http-port", defaultValue = "8080",
      description = "HTTP port (default ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--body-limit", defaultValue = "1048576",
      description = "Largest request body in bytes (default ${DEFAULT-VALUE}).")
  int bodyLimit;

  @Option(names = "--drain-timeout-ms", defaultValue = "30000",
      description = "At shutdown, how long open streams may finish before they are ended (default ${DEFAULT-VALUE}).")
  long drainTimeoutMs;

  @Option(names = "--queue-size", defaultValue = "64",
      description = "Requests per model that may wait for a free slot; beyond that they get 429 (default ${DEFAULT-VALUE}).")
  int queueSize;

  @Option(names = "--resume-grace-ms", defaultValue = "0",
      description = "How long a stream whose SSE client went away stays paused for the client to resume it with"
          + " Last-Event-ID, through any gateway; 0 cancels it at once (default ${DEFAULT-VALUE}).")
  long resumeGraceMs;

  @Option(names = "--idle-timeout-ms", defaultValue = "60000",
      description = "A connection with no request in progress (a WebSocket: no generation, no message) is closed"
          + " after this; 0: never. An open stream is never cut (default ${DEFAULT-VALUE}).")
  long idleTimeoutMs;

  @Option(names = "--header-timeout-ms", defaultValue = "30000",
      description = "A new connection must send its request headers within this, else it is closed; 0: no limit"
          + " (default ${DEFAULT-VALUE}).")
  long headerTimeoutMs;

  @Option(names = "--body-timeout-ms", defaultValue = "30000",
      description = "A request body must arrive whole within this of its headers, else 408; 0: no limit"
          + " (default ${DEFAULT-VALUE}).")
  long bodyTimeoutMs;

  @Option(names = "--prefix-routing-slack", defaultValue = "4",
      description = "Cache-aware dispatch: a request goes to the worker whose prefix cache matches it best while that"
          + " worker has a free slot and at most this many more active sequences than the least loaded; -1 = always"
          + " least loaded (default ${DEFAULT-VALUE}).")
  int prefixRoutingSlack;

  @Option(names = "--responses-ttl-s", defaultValue = "86400",
      description = "How long a response stored by POST /v1/responses (store: true) is kept for GET and"
          + " previous_response_id, through any gateway; the cluster also drops the least recently used ones beyond"
          + " its memory bound (default ${DEFAULT-VALUE}).")
  long responsesTtlS;

  @Option(names = "--api-keys", defaultValue = "",
      description = "Comma-separated API keys; when set, every /v1 route needs Authorization: Bearer <key>"
          + " (/health, /ready and /metrics stay open). Default: none asked for.")
  String apiKeys;

  @Option(names = "--admin-keys", defaultValue = "",
      description = "Comma-separated keys for the operators' routes (POST /v1/admin/workers/{id}/drain), sent as"
          + " Authorization: Bearer <key>; API keys do not open them, nor these keys the other routes. Default:"
          + " none, and the admin routes are off.")
  String adminKeys;

  @Option(names = "--reasoning-format", defaultValue = "reasoning_content",
      description = "Where chat and completion answers put a thinking model's reasoning: reasoning_content,"
          + " reasoning, or none (left unsplit in content); a request's reasoning_format overrides it"
          + " (default ${DEFAULT-VALUE}).")
  String reasoningFormat;

  @Option(names = "--reasoning-budget", defaultValue = "-1",
      description = "Thinking tokens a request to the OpenAI routes may spend when it gives no reasoning_budget; then the worker"
          + " closes the think block and the answer follows; -1 = unlimited, 0 = no thinking (default ${DEFAULT-VALUE}).")
  int reasoningBudget;

  DispatchOptions dispatchOptions() {
    if (queueSize < 0) {
      throw new IllegalArgumentException("queue-size must be 0 or more, got " + queueSize);
    }
    if (resumeGraceMs < 0) {
      throw new IllegalArgumentException("resume-grace-ms must be 0 or more, got " + resumeGraceMs);
    }
    if (prefixRoutingSlack < -1) {
      throw new IllegalArgumentException("prefix-routing-slack must be -1 (off) or more, got " + prefixRoutingSlack);
    }
    if (responsesTtlS < 1) {
      throw new IllegalArgumentException("responses-ttl-s must be at least 1, got " + responsesTtlS);
    }
    return DispatchOptions.defaults().withQueueSize(queueSize).withResumeGraceMs(resumeGraceMs)
        .withPrefixRoutingSlack(prefixRoutingSlack).withResponsesTtlMs(responsesTtlS * 1000);
  }

  GatewayOptions toOptions() {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("http-port must be between 0 and 65535, got " + port);
    }
    if (bodyLimit < 1024) {
      throw new IllegalArgumentException("body-limit must be at least 1024 bytes, got " + bodyLimit);
    }
    if (drainTimeoutMs < 0) {
      throw new IllegalArgumentException("drain-timeout-ms must be 0 or more, got " + drainTimeoutMs);
    }
    for (var t : java.util.Map.of("idle-timeout-ms", idleTimeoutMs, "header-timeout-ms", headerTimeoutMs,
        "body-timeout-ms", bodyTimeoutMs).entrySet()) {
      if (t.getValue() < 0) {
        throw new IllegalArgumentException(t.getKey() + " must be 0 (no limit) or more, got " + t.getValue());
      }
    }
    return GatewayOptions.defaults().withHost(host).withPort(port).withBodyLimitBytes(bodyLimit)
        .withDrainTimeoutMs(drainTimeoutMs).withApiKeys(apiKeys(apiKeys)).withAdminKeys(adminKeys(apiKeys, adminKeys))
        .withTimeouts(new ConnectionTimeouts.Limits(idleTimeoutMs, headerTimeoutMs, bodyTimeoutMs))
        .withReasoning(reasoning());
  }

  /** The reasoning settings, checked. */
  ReasoningParameters.Defaults reasoning() {
    ReasoningFormat format;
    try {
      format = ReasoningFormat.parse(reasoningFormat, "reasoning-format");
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    return new ReasoningParameters.Defaults(format, reasoningBudget);
  }

  /** The admin keys, none of which may also be an API key (a tenant would hold an operator's key). */
  static Set<String> adminKeys(String apiKeyList, String adminKeyList) {
    Set<String> admin = keys("admin-keys", adminKeyList);
    for (String k : keys("api-keys", apiKeyList)) {
      if (admin.contains(k)) {
        throw new IllegalArgumentException("admin-keys: a key must not also be an API key");
      }
    }
    return admin;
  }

  /** The keys in a comma-separated list; blanks around and between them do not count. */
  static Set<String> apiKeys(String list) {
    return keys("api-keys", list);
  }

  private static Set<String> keys(String option, String list) {
    Set<String> keys = new LinkedHashSet<>();
    for (String k : list == null ? new String[0] : list.split(",")) {
      String key = k.strip();
      if (key.chars().anyMatch(Character::isWhitespace)) {
        throw new IllegalArgumentException(option + ": a key must not contain whitespace");
      }
      if (!key.isEmpty()) {
        keys.add(key);
      }
    }
    return keys;
  }
}
