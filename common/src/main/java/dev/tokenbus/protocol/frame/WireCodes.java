package dev.tokenbus.protocol.frame;

import dev.tokenbus.protocol.FinishReason;

/**
 * The numbers the binary format uses for frame types and enum values. They are spelled out rather
 * than taken from {@code ordinal()} so that reordering an enum cannot change the wire format; the
 * exhaustive switches make adding a constant a compile error here until it has a code.
 */
final class WireCodes {

  static final int OPEN = 1;
  static final int ACCEPT = 2;
  static final int REFUSE = 3;
  static final int TOKENS = 4;
  static final int END = 5;
  static final int ERROR = 6;
  static final int CREDIT = 7;
  static final int CANCEL = 8;
  static final int HEARTBEAT = 9;
  /** Set in a token's finish-reason byte when its text is reasoning ({@link dev.tokenbus.protocol.TokenData#reasoning}). */
  static final int REASONING_BIT = 0x80;

  private WireCodes() {}

  static int typeOf(Frame frame) {
    return switch (frame) {
      case OpenFrame f -> OPEN;
      case AcceptFrame f -> ACCEPT;
      case RefuseFrame f -> REFUSE;
      case TokensFrame f -> TOKENS;
      case EndFrame f -> END;
      case ErrorFrame f -> ERROR;
      case CreditFrame f -> CREDIT;
      case CancelFrame f -> CANCEL;
      case HeartbeatFrame f -> HEARTBEAT;
    };
  }

  /** 0 stands for null. */
  static int finishReason(FinishReason reason) {
    if (reason == null) {
      return 0;
    }
    return switch (reason) {
      case STOP -> 1;
      case LENGTH -> 2;
      case CANCELLED -> 3;
      case TIMEOUT -> 4;
      case ERROR -> 5;
    };
  }

  static FinishReason finishReason(int code) {
    return switch (code) {
      case 0 -> null;
      case 1 -> FinishReason.STOP;
      case 2 -> FinishReason.LENGTH;
      case 3 -> FinishReason.CANCELLED;
      case 4 -> FinishReason.TIMEOUT;
      case 5 -> FinishReason.ERROR;
      default -> throw new MalformedFrameException("unknown finish reason code " + code);
    };
  }

  /** 0 stands for null. */
  static int refuseReason(RefuseFrame.Reason reason) {
    if (reason == null) {
      return 0;
    }
    return switch (reason) {
      case BUSY -> 1;
      case SHUTTING_DOWN -> 2;
      case MODEL_NOT_FOUND -> 3;
      case INVALID_REQUEST -> 4;
      case CONTEXT_LENGTH_EXCEEDED -> 5;
    };
  }

  static RefuseFrame.Reason refuseReason(int code) {
    return switch (code) {
      case 0 -> null;
      case 1 -> RefuseFrame.Reason.BUSY;
      case 2 -> RefuseFrame.Reason.SHUTTING_DOWN;
      case 3 -> RefuseFrame.Reason.MODEL_NOT_FOUND;
      case 4 -> RefuseFrame.Reason.INVALID_REQUEST;
      case 5 -> RefuseFrame.Reason.CONTEXT_LENGTH_EXCEEDED;
      default -> throw new MalformedFrameException("unknown refuse reason code " + code);
    };
  }
}
