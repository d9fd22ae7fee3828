package dev.tokenbus.gateway.transport;

import dev.tokenbus.gateway.serve.ApiError;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Requests the HTTP layer cannot read (bad framing, oversized request lines or header sections, a
 * version other than HTTP/1.0 and 1.1 on a cleartext HTTP/1 socket, a {@code Transfer-Encoding}
 * other than {@code chunked}, a malformed chunked body, an expectation other than
 * {@code 100-continue}) get the documented JSON error object like every other error, with
 * {@code Connection: close}: after a framing error nothing more on the connection can be trusted,
 * and nothing more on it is read.
 */
public final class ProtocolErrors {

  private static final Logger LOG = LoggerFactory.getLogger(ProtocolErrors.class);

  private ProtocolErrors() {}

  /** The server's invalid-request handler: the request line or headers could not be decoded. */
  public static void invalidRequest(HttpServerRequest request) {
    Throwable cause = request.decoderResult().cause();
    ApiError error = switch (cause) {
      case TooLongHttpLineException e -> new ApiError(414, "invalid_request_error",
          "the request line is too long", null, "uri_too_long");
      case TooLongHttpHeaderException e -> new ApiError(431, "invalid_request_error",
          "the request's header section is too large", null, "headers_too_large");
      // A client error, not the server's: 400 rather than 505, so that every refusal is a 4xx.
      case UnsupportedVersion e -> ApiError.invalid(e.getMessage(), null, "http_version_not_supported");
      case UnsupportedExpectation e -> new ApiError(417, "invalid_request_error", e.getMessage(), null,
          "expectation_failed");
      case null -> ApiError.invalid("the request could not be read", null, "malformed_request");
      default -> ApiError.invalid("the request could not be read: " + firstLine(cause.getMessage()), null,
          "malformed_request");
    };
    sendAndClose(request, error);
  }

  /**
   * A router failure handler: a request whose body could not be decoded (a malformed chunk size or
   * delimiter) gets 400 and the connection closes; a client that went away mid-request (a reset or
   * FIN while its body was on the way) is no error of the gateway's and is only logged at DEBUG; any
   * other failure goes on to the router's error handlers.
   */
  public static void onFailure(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    if (isFraming(failure)) {
      sendAndClose(ctx.request(), ApiError.invalid("the request body could not be read: "
          + firstLine(failure.getMessage()), null, "malformed_request"));
    } else if (failure instanceof IOException || failure instanceof HttpClosedException) {
      LOG.debug("{} {}: the client went away mid-request ({})", ctx.request().method(), ctx.request().path(),
          failure.toString());
      ctx.request().connection().close();
    } else {
      ctx.next();
    }
  }

  /**
   * Whether {@code t} is the HTTP decoder's: the bytes on the connection are not valid HTTP/1 (the
   * guard gives every failure the decoder marks on a body a {@link DecoderException}).
   */
  static boolean isFraming(Throwable t) {
    return t instanceof DecoderException || t instanceof TooLongFrameException;
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
   * one with a header of empty name, with two Host headers, with a {@code Transfer-Encoding} other
   * than exactly {@code chunked} (RFC 9112 §6.3: any other coding would leave its body to be read as
   * the next request) or with an unsupported {@code Expect}, as undecodable, so that it reaches
   * {@link #invalidRequest}; nothing after it on the connection is read. A body the decoder could not
   * read is marked with a {@link DecoderException} whatever the decoder threw (a byte outside ASCII
   * in a chunk size throws {@link ArrayIndexOutOfBoundsException}), so that it reaches {@link #onFailure}.
   */
  public static void guardVersions(HttpConnection connection) {
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

  /** A request that expects what this server does not do (only {@code 100-continue} is supported). */
  static final class UnsupportedExpectation extends DecoderException {
    UnsupportedExpectation(String expectation) {
      super("Expect: " + firstLine(expectation) + " is not supported; only 100-continue is");
    }
  }

  /** A body the decoder could not read, whatever it threw (not chained: the router would see the cause instead). */
  static final class MalformedBody extends DecoderException {
    MalformedBody(Throwable thrown) {
      super(thrown instanceof NumberFormatException && thrown.getMessage() != null
          ? "malformed chunk size: " + thrown.getMessage() : "malformed chunked body");
    }
  }

  private static final class VersionGuard extends ChannelInboundHandlerAdapter {
    /** A request on this connection was refused for its framing: whatever follows it is not read. */
    private boolean refused;
    /** Discarding: the bytes after a refused request, which could be anything (a smuggled request). */
    private boolean discarding;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (discarding || (refused && msg instanceof HttpRequest)) {
        discarding = true;
        ReferenceCountUtil.release(msg);
        return;
      }
      if (msg instanceof HttpRequest r && r.decoderResult().isSuccess()) {
        DecoderException problem = problem(r);
        if (problem != null) {
          refused = true;
          r.setDecoderResult(DecoderResult.failure(problem));
          r.setProtocolVersion(HttpVersion.HTTP_1_1); // so that the answer can be written
        }
      } else if (msg instanceof HttpContent c && c.decoderResult().isFailure()) {
        Throwable cause = c.decoderResult().cause();
        // A DecoderException with a cause would reach the router as that cause (BodyHandler unwraps it).
        if (!(cause instanceof DecoderException) || cause.getCause() != null) {
          c.setDecoderResult(DecoderResult.failure(new MalformedBody(cause)));
        }
      }
      ctx.fireChannelRead(msg);
    }

    /** What is wrong with a request the decoder accepted, or null. */
    private static DecoderException problem(HttpRequest r) {
      HttpHeaders h = r.headers();
      if (r.protocolVersion() != HttpVersion.HTTP_1_1 && r.protocolVersion() != HttpVersion.HTTP_1_0) {
        return new UnsupportedVersion(r.protocolVersion().text());
      }
      if (h.contains("")) {
        return new MalformedHeaders("a header has an empty name");
      }
      if (h.getAll(HttpHeaderNames.HOST).size() > 1) {
        return new MalformedHeaders("more than one Host header");
      }
      List<String> codings = h.getAll(HttpHeaderNames.TRANSFER_ENCODING);
      if (!codings.isEmpty()) {
        if (r.protocolVersion() == HttpVersion.HTTP_1_0) {
          return new MalformedHeaders("Transfer-Encoding is not allowed in HTTP/1.0");
        }
        if (codings.size() > 1 || !"chunked".equalsIgnoreCase(codings.getFirst().strip())) {
          return new MalformedHeaders("Transfer-Encoding must be chunked, the only coding supported, got '"
              + firstLine(String.join(", ", codings)) + "'");
        }
        if (h.contains(HttpHeaderNames.CONTENT_LENGTH)) {
          return new MalformedHeaders("Transfer-Encoding and Content-Length together");
        }
      }
      List<String> expect = h.getAll(HttpHeaderNames.EXPECT);
      if (!expect.isEmpty() && (expect.size() > 1 || !"100-continue".equalsIgnoreCase(expect.getFirst().strip()))) {
        return new UnsupportedExpectation(String.join(", ", expect));
      }
      return null;
    }
  }
}
