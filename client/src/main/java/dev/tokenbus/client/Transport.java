package dev.tokenbus.client;

/** How a {@link Tokenbus} reaches its gateways. */
public enum Transport {
  /**
   * One WebSocket ({@code /v1/ws}) per client, every generation multiplexed on it, each with its
   * own credit window, so one paused stream pauses only its own generation. A stream does not
   * survive a lost connection: it ends with a {@link ConnectionException}.
   */
  WEBSOCKET,
  /**
   * One Server-Sent Events request ({@code POST /v1/generate}) per generation. Backpressure is
   * TCP's: a paused stream stops reading its connection. A stream survives a lost connection when
   * the gateways keep streams for a reconnect ({@code resume-grace-ms}): it resumes through any of
   * the client's gateway URLs, without a gap or a repeat.
   */
  SSE
}
