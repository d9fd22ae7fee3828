package dev.tokenbus.engine.llama;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes llama.cpp's and ggml's log output to SLF4J (logger {@code llama.cpp}) instead of stderr.
 * Its chatter (tensor listings, buffer sizes) goes to DEBUG; warnings and errors keep their level.
 * The first error of each thread since the last {@link #takeFirstError()} is kept, because a
 * failed load returns only NULL and the reason is in the log (later lines just say "failed").
 * Errors of a call that reads a client's input ({@link #clientInput}) are that client's answer,
 * not the node's trouble: they go to DEBUG.
 */
final class LlamaLog {

  private static final Logger LOG = LoggerFactory.getLogger("llama.cpp");
  private static final ThreadLocal<StringBuilder> PARTIAL = ThreadLocal.withInitial(StringBuilder::new);
  private static final ThreadLocal<String> FIRST_ERROR = new ThreadLocal<>();
  /** Set while this thread runs a call whose errors answer a client's input (a grammar it sent). */
  private static final ThreadLocal<Boolean> CLIENT_INPUT = new ThreadLocal<>();
  private static int lastLevel = LlamaApi.LOG_INFO;

  private LlamaLog() {}

  static MemorySegment upcallStub(LlamaApi api) {
    try {
      var handle = MethodHandles.lookup().findStatic(LlamaLog.class, "log",
          MethodType.methodType(void.class, int.class, MemorySegment.class, MemorySegment.class));
      return api.linker.upcallStub(handle, LlamaApi.LOG_CALLBACK, Arena.global());
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The callback: must never throw, it runs inside native code. */
  @SuppressWarnings("unused")
  private static void log(int level, MemorySegment text, MemorySegment userData) {
    try {
      if (level != LlamaApi.LOG_CONT) {
        lastLevel = level;
      }
      StringBuilder line = PARTIAL.get();
      line.append(LlamaApi.cString(text));
      int nl;
      while ((nl = line.indexOf("\n")) >= 0) {
        emit(lastLevel, line.substring(0, nl));
        line.delete(0, nl + 1);
      }
    } catch (Throwable ignored) {
      // Nothing may escape into native code.
    }
  }

  private static void emit(int level, String message) {
    if (message.isBlank()) {
      return;
    }
    if (level == LlamaApi.LOG_ERROR && isExpectedAbort(message)) {
      LOG.debug(message); // our own abort callback stopped a prompt step (a cancel or a deadline)
      return;
    }
    switch (level) {
      case LlamaApi.LOG_ERROR -> {
        if (FIRST_ERROR.get() == null) {
          FIRST_ERROR.set(message.strip());
        }
        if (CLIENT_INPUT.get() != null) {
          LOG.debug(message);
        } else {
          LOG.error(message);
        }
      }
      case LlamaApi.LOG_WARN -> LOG.warn(message);
      default -> LOG.debug(message);
    }
  }

  private static boolean isExpectedAbort(String message) {
    return message.contains("failed to decode, ret = 2") || message.contains("graph_compute: ggml_backend_sched_graph_compute_async failed");
  }

  /**
   * Marks (true) or unmarks this thread as running a call on a client's input, whose errors llama.cpp
   * logs are refusals of that input (the client hears them), logged at DEBUG.
   */
  static void clientInput(boolean on) {
    if (on) {
      CLIENT_INPUT.set(Boolean.TRUE);
    } else {
      CLIENT_INPUT.remove();
    }
  }

  /** The first error llama.cpp logged on this thread since the last call, then forgets it. */
  static String takeFirstError() {
    String e = FIRST_ERROR.get();
    FIRST_ERROR.remove();
    return e;
  }
}
