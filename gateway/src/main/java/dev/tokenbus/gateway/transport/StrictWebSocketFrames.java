package dev.tokenbus.gateway.transport;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.CodecException;
import io.netty.handler.codec.compression.DecompressionException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.Utf8FrameValidator;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * RFC 6455's rules that Vert.x's WebSocket server leaves out, enforced on a socket's pipeline just
 * before Vert.x gets its frames (after a negotiated compression extension has inflated them):
 * <ul>
 *   <li>a frame with a reserved bit that no extension claimed is a protocol error (close 1002);
 *   <li>a close frame whose status code may not be sent (§7.4: below 1000, 1004-1006, 1015, the
 *       unassigned 1016-2999, 5000 and above) is a protocol error (close 1002), not echoed;
 *   <li>a text message that is not valid UTF-8, or a compressed message that does not inflate, is
 *       invalid payload data (close 1007);
 *   <li>a message whose first fragments are empty is delivered like the same message unfragmented
 *       (Vert.x would drop the fragments that follow an empty first one, and the client would wait
 *       for an answer that never comes).
 * </ul>
 * The errors surface as a {@link CorruptedWebSocketFrameException} on the socket's exception
 * handler, which closes it with that status.
 */
public final class StrictWebSocketFrames extends ChannelInboundHandlerAdapter {

  /** The kind of message whose empty first fragments were held back, or null. */
  private Class<? extends WebSocketFrame> heldBack;

  private StrictWebSocketFrames() {}

  /**
   * The pipeline of the connection {@code request} arrived on, to {@link #install} the checks on
   * once it is a WebSocket; null when the connection is not Vert.x's own (the checks are then left out).
   */
  public static ChannelPipeline pipelineOf(HttpServerRequest request) {
    return request.connection() instanceof ConnectionBase c ? c.channelHandlerContext().pipeline() : null;
  }

  /** Adds the checks to a pipeline that has just become a WebSocket's; call it as soon as the handshake is done. */
  public static void install(ChannelPipeline pipeline) {
    if (pipeline != null && pipeline.get("handler") != null && pipeline.get("tokenbus-ws-rsv") == null) {
      pipeline.addBefore("handler", "tokenbus-ws-rsv", new StrictWebSocketFrames());
      pipeline.addBefore("handler", "tokenbus-ws-utf8", new Utf8FrameValidator(false));
    }
  }

  /** Whether a peer may send {@code code} in a close frame (RFC 6455 §7.4 and IANA's registry). */
  static boolean sendableCloseCode(int code) {
    return code >= 1000 && code <= 1003 || code >= 1007 && code <= 1014 || code >= 3000 && code <= 4999;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof WebSocketFrame frame)) {
      ctx.fireChannelRead(msg);
      return;
    }
    if (frame.rsv() != 0) {
      int rsv = frame.rsv();
      ReferenceCountUtil.release(msg);
      fail(ctx, WebSocketCloseStatus.PROTOCOL_ERROR,
          "reserved bits " + rsv + " set and no extension negotiated for them");
      return;
    }
    if (frame instanceof CloseWebSocketFrame close && close.content().readableBytes() >= 2
        && !sendableCloseCode(close.statusCode())) {
      int code = close.statusCode();
      ReferenceCountUtil.release(msg);
      fail(ctx, WebSocketCloseStatus.PROTOCOL_ERROR, "close code " + code + " may not be sent");
      return;
    }
    WebSocketFrame first = withoutEmptyStart(frame);
    if (first != null) {
      ctx.fireChannelRead(first);
    }
  }

  /**
   * Holds back the empty fragments a message starts with and makes its first fragment with content
   * (or its empty last one) the message's first; null while fragments are held back.
   */
  private WebSocketFrame withoutEmptyStart(WebSocketFrame frame) {
    boolean data = frame instanceof TextWebSocketFrame || frame instanceof BinaryWebSocketFrame;
    if (data && !frame.isFinalFragment() && !frame.content().isReadable()) {
      heldBack = frame.getClass();
      frame.release();
      return null;
    }
    if (heldBack == null || !(frame instanceof ContinuationWebSocketFrame)) {
      return frame;
    }
    if (!frame.isFinalFragment() && !frame.content().isReadable()) {
      frame.release();
      return null;
    }
    WebSocketFrame first = heldBack == TextWebSocketFrame.class
        ? new TextWebSocketFrame(frame.isFinalFragment(), 0, frame.content())
        : new BinaryWebSocketFrame(frame.isFinalFragment(), 0, frame.content());
    heldBack = null;
    return first;
  }

  /**
   * A compressed message that did not inflate (the extension's decoder fails before this handler)
   * is invalid payload data; other failures pass on as they are.
   */
  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    Throwable inner = cause.getCause();
    if (cause instanceof DecompressionException || inner instanceof DecompressionException
        || !(cause instanceof CorruptedWebSocketFrameException) && inner instanceof CodecException) {
      ctx.fireExceptionCaught(new CorruptedWebSocketFrameException(WebSocketCloseStatus.INVALID_PAYLOAD_DATA,
          "the compressed message could not be inflated"));
    } else {
      ctx.fireExceptionCaught(cause);
    }
  }

  private static void fail(ChannelHandlerContext ctx, WebSocketCloseStatus status, String message) {
    ctx.fireExceptionCaught(new CorruptedWebSocketFrameException(status, message));
  }
}
