package dev.tokenbus.gateway.api.responses;

import dev.tokenbus.gateway.serve.ApiError;
import dev.tokenbus.gateway.serve.StreamEvent;
import dev.tokenbus.gateway.serve.WholeResponseChannel;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerResponse;

/** A response not streamed: its output gathered, stored when asked, then answered as one object. */
final class ResponsesWholeChannel extends WholeResponseChannel {

  private final ResponseRun run;
  private final OutputItems items;

  ResponsesWholeChannel(HttpServerResponse response, ResponseRun run, ResponsesRequest request) {
    super(response);
    this.run = run;
    this.items = new OutputItems(request.tools(), OutputItems.SILENT);
  }

  @Override
  public Future<Void> send(StreamEvent event) {
    switch (event) {
      case StreamEvent.Token t -> items.add(t.token());
      case StreamEvent.Done d -> run.finished(d.result(), items.finish(), items.reasoningTokens()).onSuccess(r -> respond(200, r));
      case StreamEvent.Failed f -> ApiError.ofStream(f.type(), f.message()).send(response);
    }
    return Future.succeededFuture();
  }
}
