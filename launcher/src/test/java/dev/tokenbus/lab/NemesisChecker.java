package dev.tokenbus.lab;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The checker of the randomized fault test. Each stream run under faults is held against its
 * request's reference (the same request run on the healthy cluster): it either completed with
 * exactly the reference's tokens and finish reason, or ended explicitly (an error event, a
 * refusal, a {@code done} whose finish reason says it was cut short) after a prefix of them.
 * Anything else is a violation: a connection closed without an end, a hang, a token repeated,
 * reordered or missing, a different text. Thread-safe.
 */
final class NemesisChecker {

  /** Finish reasons that end a stream short of its text, explicitly. */
  private static final Set<String> SHORT_FINISHES = Set.of("timeout", "cancelled", "error");

  private final Map<String, LabStream> references;
  private int streams;
  private int identical;
  private final Map<String, Integer> errors = new TreeMap<>();
  private final Map<String, Integer> perRequest = new TreeMap<>();
  private final List<String> violations = new ArrayList<>();

  /** @param references each request's stream on the healthy cluster, by request name */
  NemesisChecker(Map<String, LabStream> references) {
    this.references = Map.copyOf(references);
  }

  /** Checks one stream of {@code request}; returns its violation, or null. */
  synchronized String check(NemesisRequest request, LabStream s) {
    streams++;
    perRequest.merge(request.name(), 1, Integer::sum);
    LabStream ref = references.get(request.name());
    String shortEnd = shortEnd(request, ref, s);
    String v = violation(ref, s, shortEnd);
    if (v != null) {
      violations.add(request.name() + ": " + v + " [" + s + "]");
      return v;
    }
    switch (s.end) {
      case DONE -> {
        if (shortEnd != null) {
          errors.merge(shortEnd, 1, Integer::sum);
        } else {
          identical++;
        }
      }
      case ERROR -> errors.merge("error:" + s.detail, 1, Integer::sum);
      case REFUSED -> errors.merge("refused:" + refusal(s.detail), 1, Integer::sum);
      default -> throw new IllegalStateException("unchecked end " + s.end);
    }
    return null;
  }

  /**
   * The label of a {@code done} that says the stream ended short, or null: a finish reason of
   * {@link #SHORT_FINISHES}, or on OpenAI's routes {@code length} before the reference's last token
   * (OpenAI's format reports {@code timeout_ms} as {@code length}).
   */
  private static String shortEnd(NemesisRequest request, LabStream ref, LabStream s) {
    if (s.end != LabStream.End.DONE) {
      return null;
    }
    if (SHORT_FINISHES.contains(s.detail)) {
      return "done:" + s.detail;
    }
    boolean openAi = request.route() == NemesisRequest.Route.CHAT || request.route() == NemesisRequest.Route.COMPLETIONS;
    return openAi && "length".equals(s.detail) && s.tokens.size() < ref.tokens.size() ? "done:length(timeout)" : null;
  }

  private static String violation(LabStream ref, LabStream s, String shortEnd) {
    if (!s.violations.isEmpty()) {
      return "out of sequence: " + s.violations;
    }
    if (s.end == LabStream.End.CLOSED || s.end == LabStream.End.HUNG || s.end == null) {
      return "no explicit end (" + s.end + ": " + s.detail + ")";
    }
    if (s.end == LabStream.End.REFUSED) {
      return s.tokens.isEmpty() ? null : "refused after tokens";
    }
    List<String> got = texts(s);
    List<String> want = texts(ref);
    boolean complete = s.end == LabStream.End.DONE && shortEnd == null;
    if (complete) {
      if (!got.equals(want) || !s.detail.equals(ref.detail)) {
        int at = firstDifference(got, want);
        return "completed (" + s.detail + ") unlike the reference (" + ref.detail + "), first difference at token "
            + at + ": got " + got.size() + " tokens " + around(got, at) + ", want " + want.size() + " " + around(want, at);
      }
      if (!ref.tokens.isEmpty() && ref.tokens.get(0).tokenId() >= 0 && !s.tokenIds().equals(ref.tokenIds())) {
        return "token ids unlike the reference's at token " + firstDifference(s.tokenIds(), ref.tokenIds());
      }
      return null;
    }
    if (got.size() > want.size() || !want.subList(0, got.size()).equals(got)) {
      return "ended (" + s.end + " " + s.detail + ") after tokens that are no prefix of the reference, first difference"
          + " at token " + firstDifference(got, want);
    }
    return null;
  }

  /** The refusal's status and error code (or type), e.g. {@code 503 no_worker}. */
  private static String refusal(String detail) {
    int space = detail.indexOf(' ');
    try {
      JsonObject error = new JsonObject(detail.substring(space + 1)).getJsonObject("error");
      String code = error.getString("code");
      return detail.substring(0, space) + " " + (code != null ? code : error.getString("type"));
    } catch (RuntimeException e) {
      return detail;
    }
  }

  private static List<String> texts(LabStream s) {
    return s.tokens.stream().map(LabStream.Token::text).toList();
  }

  /** The texts of up to 5 tokens from {@code at}, quoted. */
  private static String around(List<String> texts, int at) {
    return texts.subList(Math.min(at, texts.size()), Math.min(at + 5, texts.size())).stream()
        .map(t -> "'" + t.replace("\n", "\\n") + "'").toList().toString();
  }

  private static <T> int firstDifference(List<T> a, List<T> b) {
    int i = 0;
    while (i < a.size() && i < b.size() && a.get(i).equals(b.get(i))) {
      i++;
    }
    return i;
  }

  synchronized List<String> violations() {
    return List.copyOf(violations);
  }

  synchronized int streams() {
    return streams;
  }

  /** The counts: streams, completed identical, ended with error by type, violations (listed). */
  synchronized String report() {
    StringBuilder b = new StringBuilder();
    b.append("streams ").append(streams).append(", completed identical ").append(identical)
        .append(", ended with error ").append(errors.values().stream().mapToInt(Integer::intValue).sum())
        .append(' ').append(errors).append(", violations ").append(violations.size()).append('\n');
    b.append("streams per request ").append(perRequest).append('\n');
    violations.forEach(v -> b.append("  violation: ").append(v).append('\n'));
    return b.toString();
  }
}
