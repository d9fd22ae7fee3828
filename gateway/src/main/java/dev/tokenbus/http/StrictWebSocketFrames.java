package dev.tokenbus.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.Utf8FrameValidator;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * RFC 6455's rules that Vert.x's WebSocket server leaves out, enforced on a socket's pipeline just
 * before Vert.x gets its frames (after a negotiated compression extension has inflated them): a
 * frame with a reserved bit that no extension claimed is a protocol error (close 1002), and a text
 * message that is not valid UTF-8 is invalid payload data (close 1007). Both surface as a
 * {@link CorruptedWebSocketFrameException} on the socket's exception handler, which closes it with
 * that status.
 */
final class StrictWebSocketFrames extends ChannelInboundHandlerAdapter {

  private StrictWebSocketFrames() {}

  /**
   * The pipeline of the connection {@code request} arrived on, to {@link #install} the checks on
   * once it is a WebSocket; null when the connection is not Vert.x's own (the checks are then left out).
   */
  static ChannelPipeline pipelineOf(HttpServerRequest request) {
    return request.connection() instanceof ConnectionBase c ? c.channelHandlerContext().pipeline() : null;
  }

  /** Adds the checks to a pipeline that has just become a WebSocket's; call it as soon as the handshake is done. */
  static void install(ChannelPipeline pipeline) {
    if (pipeline != null && pipeline.get("handler") != null && pipeline.get("tokenbus-ws-rsv") == null) {
      pipeline.addBefore("handler", "tokenbus-ws-rsv", new StrictWebSocketFrames());
      pipeline.addBefore("handler", "tokenbus-ws-utf8", new Utf8FrameValidator(false));
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof WebSocketFrame frame && frame.rsv() != 0) {
      int rsv = frame.rsv();
      ReferenceCountUtil.release(msg);
      ctx.fireExceptionCaught(new CorruptedWebSocketFrameException(WebSocketCloseStatus.PROTOCOL_ERROR,
          "reserved bits " + rsv + " set and no extension negotiated for them"));
      return;
    }
    ctx.fireChannelRead(msg);
  }
}
