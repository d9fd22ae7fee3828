package dev.tokenbus.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.ext.web.RoutingContext;

/**
 * Requests the HTTP layer cannot read (bad framing, oversized request lines or header sections, a
 * version other than HTTP/1.0 and 1.1 on a cleartext HTTP/1 socket, a malformed chunked body) get
 * the documented JSON error object like every other error, with {@code Connection: close}: after
 * a framing error nothing more on the connection can be trusted.
 */
final class ProtocolErrors {

  private ProtocolErrors() {}

  /** The server's invalid-request handler: the request line or headers could not be decoded. */
  static void invalidRequest(HttpServerRequest request) {
    Throwable cause = request.decoderResult().cause();
    ApiError error = switch (cause) {
      case TooLongHttpLineException e -> new ApiError(414, "invalid_request_error",
          "the request line is too long", null, "uri_too_long");
      case TooLongHttpHeaderException e -> new ApiError(431, "invalid_request_error",
          "the request's header section is too large", null, "headers_too_large");
      // A client error, not the server's: 400 rather than 505, so that every refusal is a 4xx.
      case UnsupportedVersion e -> ApiError.invalid(e.getMessage(), null, "http_version_not_supported");
      case null -> ApiError.invalid("the request could not be read", null, "malformed_request");
      default -> ApiError.invalid("the request could not be read: " + firstLine(cause.getMessage()), null,
          "malformed_request");
    };
    sendAndClose(request, error);
  }

  /**
   * A router failure handler: a request whose body could not be decoded (a malformed chunk size or
   * delimiter) gets 400 and the connection closes; any other failure goes on to the router's error handlers.
   */
  static void onFailure(RoutingContext ctx) {
    if (isFraming(ctx.failure())) {
      sendAndClose(ctx.request(), ApiError.invalid("the request body could not be read: "
          + firstLine(ctx.failure().getMessage()), null, "malformed_request"));
    } else {
      ctx.next();
    }
  }

  /** Whether {@code t} is the HTTP decoder's: the bytes on the connection are not valid HTTP/1. */
  static boolean isFraming(Throwable t) {
    if (t == null) {
      return false;
    }
    if (t instanceof DecoderException || t instanceof TooLongFrameException) {
      return true;
    }
    StackTraceElement[] at = t.getStackTrace();
    return at.length > 0 && at[0].getClassName().startsWith("io.netty.handler.codec.http.");
  }

  private static void sendAndClose(HttpServerRequest request, ApiError error) {
    var response = request.response();
    if (response.ended() || response.closed()) {
      request.connection().close();
      return;
    }
    if (!response.headWritten()) {
      response.putHeader("Connection", "close");
    }
    response.setStatusCode(error.status()).putHeader("Content-Type", "application/json")
        .end(error.toJson().encode()).onComplete(v -> request.connection().close());
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "malformed";
    }
    int nl = s.indexOf('\n');
    String line = nl >= 0 ? s.substring(0, nl) : s;
    return line.length() > 160 ? line.substring(0, 160) + "..." : line;
  }

  /** The request's HTTP version is not one this socket speaks. */
  static final class UnsupportedVersion extends DecoderException {
    UnsupportedVersion(String version) {
      super("HTTP version " + version + " is not supported here; use HTTP/1.1 (or HTTP/2 with prior knowledge)");
    }
  }

  /**
   * Marks a request of another HTTP version than 1.0 or 1.1 (Vert.x would answer 501 with no body),
   * one with a header of empty name, or with two Host headers, as undecodable, so that it reaches
   * {@link #invalidRequest}.
   */
  static void guardVersions(HttpConnection connection) {
    if (connection instanceof ConnectionBase c) {
      ChannelPipeline pipeline = c.channelHandlerContext().pipeline();
      // Just before Vert.x's own handler, where every decoded request passes.
      if (pipeline.get("httpDecoder") != null && pipeline.get("handler") != null
          && pipeline.get("tokenbus-version") == null) {
        pipeline.addBefore("handler", "tokenbus-version", new VersionGuard());
      }
    }
  }

  /** A request the decoder let through although RFC 9112 says to refuse it. */
  static final class MalformedHeaders extends DecoderException {
    MalformedHeaders(String message) {
      super(message);
    }
  }

  private static final class VersionGuard extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof HttpRequest r && r.decoderResult().isSuccess()) {
        if (r.protocolVersion() != HttpVersion.HTTP_1_1 && r.protocolVersion() != HttpVersion.HTTP_1_0) {
          r.setDecoderResult(DecoderResult.failure(new UnsupportedVersion(r.protocolVersion().text())));
          r.setProtocolVersion(HttpVersion.HTTP_1_1); // so that the answer can be written
        } else if (r.headers().contains("")) {
          r.setDecoderResult(DecoderResult.failure(new MalformedHeaders("a header has an empty name")));
        } else if (r.headers().getAll("Host").size() > 1) {
          r.setDecoderResult(DecoderResult.failure(new MalformedHeaders("more than one Host header")));
        }
      }
      ctx.fireChannelRead(msg);
    }
  }
}
