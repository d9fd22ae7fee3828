package dev.tokenbus.protocol;

import java.util.ArrayList;
import java.util.List;

/**
 * The text-block hashes that cache-aware dispatch matches on. A request is read as one canonical
 * character string (its prompt, or its chat messages as {@code role NUL content SOH} each), cut into
 * blocks of {@link #BLOCK_CHARS} characters; block {@code i}'s hash covers blocks {@code 0..i}
 * (each is chained on the one before), so one hash stands for a whole prefix. Only full blocks count.
 *
 * <p>A worker hashes the requests whose KV cells its prefix cache holds (and, for a finished one,
 * the request followed by its reply as the next turn will send it back: an assistant message, or
 * the reply text after the prompt) and announces the hashes; the gateway hashes each request the
 * same way and counts how many of its leading blocks a worker announced. Neither tokenizes. The
 * match is a routing hint only: the worker's cache compares tokens, so a stale or colliding hash
 * costs at most a cold prefill, never a wrong output.
 */
public final class PrefixHashes {

  /** Characters per hashed block. */
  public static final int BLOCK_CHARS = 256;
  /** Most hashes a request contributes (prefixes past this many blocks are not told apart). */
  public static final int MAX_BLOCKS = 256;

  private static final long FNV_OFFSET = 0xcbf29ce484222325L;
  private static final long FNV_PRIME = 0x100000001b3L;

  private PrefixHashes() {}

  /** The hashes of a request's full blocks, the shortest prefix first. */
  public static long[] of(GenerationRequest request) {
    return of(canonical(request, null));
  }

  /** The hashes of a request followed by its reply, as the conversation's next request starts. */
  public static long[] withReply(GenerationRequest request, String reply) {
    return of(canonical(request, reply));
  }

  /** Characters past this are never hashed, so the canonical string stops growing once it has them. */
  private static final int HASHED_CHARS = MAX_BLOCKS * BLOCK_CHARS;

  static String canonical(GenerationRequest request, String reply) {
    StringBuilder sb = new StringBuilder();
    if (!request.promptTokens().isEmpty()) {
      sb.append("t\u0000"); // each id as two chars: prompts given as the same ids share blocks
      for (int token : request.promptTokens()) {
        if (sb.length() >= HASHED_CHARS) {
          return sb.toString();
        }
        sb.append((char) (token >>> 16)).append((char) token);
      }
      return reply == null ? sb.toString() : sb.append(reply).toString();
    }
    if (!request.isChat()) {
      sb.append("p\u0000").append(request.prompt());
      if (reply != null) {
        sb.append(reply);
      }
      return sb.toString();
    }
    sb.append("c\u0000");
    List<ChatMessage> messages = new ArrayList<>(request.messages());
    if (reply != null) {
      messages.add(new ChatMessage("assistant", reply));
    }
    for (ChatMessage m : messages) {
      if (sb.length() >= HASHED_CHARS) {
        break;
      }
      sb.append(m.role()).append('\u0000').append(m.content()).append('\u0001');
    }
    return sb.toString();
  }

  public static long[] of(String text) {
    int blocks = Math.min(MAX_BLOCKS, text.length() / BLOCK_CHARS);
    long[] out = new long[blocks];
    long h = FNV_OFFSET;
    for (int b = 0; b < blocks; b++) {
      for (int i = b * BLOCK_CHARS, end = i + BLOCK_CHARS; i < end; i++) {
        char c = text.charAt(i);
        h = (h ^ (c & 0xff)) * FNV_PRIME;
        h = (h ^ (c >>> 8)) * FNV_PRIME;
      }
      out[b] = h;
    }
    return out;
  }

  /** How many leading blocks of {@code request} are in {@code announced} (a worker's hashes). */
  public static int matchedBlocks(long[] request, java.util.Set<Long> announced) {
    int n = 0;
    while (n < request.length && announced.contains(request[n])) {
      n++;
    }
    return n;
  }
}
