package dev.tokenbus.cli;

import dev.tokenbus.http.GatewayOptions;
import picocli.CommandLine.Option;

/** The gateway's HTTP options; each has an environment variable. */
final class HttpArgs {

  @Option(names = "--http-host", defaultValue = "${env:TOKENBUS_HTTP_HOST:-127.0.0.1}",
      description = "Address to listen on (env TOKENBUS_HTTP_HOST, default ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--http-port", defaultValue = "${env:TOKENBUS_HTTP_PORT:-8080}",
      description = "HTTP port (env TOKENBUS_HTTP_PORT, default ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--body-limit", defaultValue = "${env:TOKENBUS_BODY_LIMIT:-1048576}",
      description = "Largest request body in bytes (env TOKENBUS_BODY_LIMIT, default ${DEFAULT-VALUE}).")
  int bodyLimit;

  @Option(names = "--drain-timeout-ms", defaultValue = "${env:TOKENBUS_DRAIN_TIMEOUT_MS:-30000}",
      description = "At shutdown, how long open streams may finish before they are ended (env TOKENBUS_DRAIN_TIMEOUT_MS, default ${DEFAULT-VALUE}).")
  long drainTimeoutMs;

  GatewayOptions toOptions() {
    return GatewayOptions.defaults().withHost(host).withPort(port).withBodyLimitBytes(bodyLimit)
        .withDrainTimeoutMs(drainTimeoutMs);
  }
}
