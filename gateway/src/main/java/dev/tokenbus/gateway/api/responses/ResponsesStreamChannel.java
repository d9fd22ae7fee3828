package dev.tokenbus.gateway.api.responses;

import dev.tokenbus.gateway.serve.ApiError;
import dev.tokenbus.gateway.serve.SseChannel;
import dev.tokenbus.gateway.serve.SseEventChannel;
import dev.tokenbus.gateway.serve.StreamEvent;
import io.vertx.core.Future;

/**
 * A streamed response, its events ({@link ResponseEvents}) each sent as {@code event: <type>} with
 * the event as data. The stream ends after the last (no {@code [DONE]}).
 */
final class ResponsesStreamChannel extends SseEventChannel {

  private final ResponseRun run;
  private final ResponseEvents events;
  private final OutputItems items;

  ResponsesStreamChannel(SseChannel sse, ResponseRun run, ResponsesRequest request) {
    super(sse);
    this.run = run;
    this.events = new ResponseEvents((type, event) -> sse.event(type, null, event));
    this.items = new OutputItems(request.tools(), events);
    events.state("response.created", run.inProgress());
    events.state("response.in_progress", run.inProgress());
  }

  @Override
  public Future<Void> send(StreamEvent event) {
    return switch (event) {
      case StreamEvent.Token t -> {
        items.add(t.token());
        yield Future.succeededFuture();
      }
      case StreamEvent.Done d -> run.finished(d.result(), items.finish(), items.reasoningTokens()).compose(events::ended);
      case StreamEvent.Failed f -> {
        ApiError e = ApiError.ofStream(f.type(), f.message());
        yield run.failed(e.type(), e.message(), items.finish()).compose(events::ended);
      }
    };
  }
}
