package dev.tokenbus.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenbus.engine.EngineConfig;
import dev.tokenbus.engine.TestModels;
import dev.tokenbus.gateway.grammar.JsonSchemaGrammar;
import dev.tokenbus.gateway.grammar.SchemaCorpus;
import dev.tokenbus.testing.RawExchange;
import dev.tokenbus.testing.TestCluster;
import dev.tokenbus.worker.WorkerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The hostile-input suite's grammar level (the pattern of {@link HostileInputSuiteTest}): generated
 * GBNF grammars sent in {@code grammar} on /v1/generate, /v1/completions and /v1/chat/completions:
 * nesting bombs, repetition bombs, contradictory bounds, long and many-way rule chains, undefined
 * rules, left recursion, grammars no token can start, and random mutations of valid grammars
 * (llama.cpp's examples and the gateway's own JSON Schema grammars). Every one but a mutation is
 * wrong and must be refused with a 400 naming {@code grammar} within 5 s; a mutation may also be
 * valid and answered 200. Nothing may log a stack trace; afterwards {@code /v1/status} is clean and
 * a greedy generation gives the same text as before. Seeded ({@code -Dtokenbus.hostile.seed=N}).
 */
@Tag("engine")
@Tag("cluster")
class HostileGrammarSuiteTest {

  private static final long SEED = Long.getLong("tokenbus.hostile.seed", 9_000_009L);
  private static final int PER_KIND = 90;
  private static final int TIMEOUT_MS = 5000;
  private static final String GREEDY = "{\"prompt\":\"the storm\",\"max_tokens\":16,\"temperature\":0,\"stream\":false}";
  private static final String[] ROUTES = {"/v1/generate", "/v1/completions", "/v1/chat/completions"};

  private enum Kind { NESTING, REPETITION, CONTRADICTORY, CHAIN, UNDEFINED, UNSATISFIABLE, ENDLESS, MUTATION }

  /** Valid grammars to mutate and to plant contradictory bounds in. */
  private static final List<String> VALID = valid();

  private static List<String> valid() {
    List<String> v = new ArrayList<>(List.of(
        "root ::= (expr \"=\" ws term \"\\n\")+\nexpr ::= term ([-+*/] term)*\nterm ::= ident | num | \"(\" ws expr \")\" ws\n"
            + "ident ::= [a-z] [a-z0-9_]* ws\nnum ::= [0-9]+ ws\nws ::= [ \\t\\n]*\n",
        "root ::= \"yes\" | \"no\" | \"maybe\"{1,3} [a-z]?\n",
        "# comment\nroot ::= item (\",\" item){0,5}\nitem ::= [a-zA-Z]+ | \"<\" [0-9]{2} \">\"\n"));
    v.add(JsonSchemaGrammar.anyObject());
    for (JsonObject schema : SchemaCorpus.bounded().values()) {
      v.add(JsonSchemaGrammar.forSchema(schema));
    }
    return v;
  }

  @Test
  void everyHostileGrammarIsRefusedCleanly() throws Exception {
    try (HostileStorm.Log log = new HostileStorm.Log();
        TestCluster c = TestCluster.start(1, EngineConfig.forModel(TestModels.tiny()).withThreads(1).withSlots(4)
        .withContextPerSequence(512), GatewayOptions.defaults(), WorkerOptions.defaults("tiny"))) {
      int port = c.gateway.port();
      String before = new JsonObject(c.post("/v1/generate", GREEDY).body()).getString("text");

      HostileStorm.Result r = HostileStorm.run("hostile grammars", SEED, Kind.values(), PER_KIND,
          (kind, i) -> send(port, kind, new Random(SEED * 37 + kind.ordinal() * 100_019L + i)));
      assertThat(r.attempts()).isEqualTo(Kind.values().length * PER_KIND);
      assertThat(r.problems()).as("grammars not refused cleanly").isEmpty();

      c.awaitIdle(Duration.ofSeconds(5));
      String after = new JsonObject(c.post("/v1/generate", GREEDY).body()).getString("text");
      assertThat(after).as("greedy text after the storm").isEqualTo(before);
      assertThat(log.errorsOrTraces()).as("errors or stack traces logged").isEmpty();
    }
  }

  private static HostileStorm.Outcome send(int port, Kind kind, Random rng) {
    String grammar = grammar(kind, rng);
    String route = ROUTES[rng.nextInt(ROUTES.length)];
    JsonObject body = new JsonObject().put("max_tokens", 2).put("stream", false).put("grammar", grammar);
    if (route.equals("/v1/chat/completions")) {
      body.put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", "hi")));
    } else {
      body.put("prompt", "hi");
    }
    byte[] json = body.encode().getBytes(StandardCharsets.UTF_8);
    String shown = route + " " + (grammar.length() > 160 ? grammar.substring(0, 160) + "... (" + grammar.length()
        + " chars)" : grammar).replace("\n", "\\n");
    byte[] head = ("POST " + route + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n"
        + "Content-Length: " + json.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
    byte[] request = new byte[head.length + json.length];
    System.arraycopy(head, 0, request, 0, head.length);
    System.arraycopy(json, 0, request, head.length, json.length);
    long t0 = System.nanoTime();
    try {
      RawExchange r = RawExchange.send(port, request, TIMEOUT_MS);
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      JsonObject error = r.error();
      String problem = ms > TIMEOUT_MS ? "answered after " + ms + " ms"
          : r.status() == 200 && kind == Kind.MUTATION ? null
          : r.status() != 400 ? "status " + r.status() + " " + r.body()
          : error == null ? "no error object: " + r.body()
          : !"grammar".equals(error.getString("param")) ? "param " + error.getString("param") + ": " + r.body()
          : null;
      return new HostileStorm.Outcome(kind, shown, Integer.toString(r.status()), problem);
    } catch (Exception e) {
      return new HostileStorm.Outcome(kind, shown, "failed", e.toString());
    }
  }

  static String grammar(Kind kind, Random rng) {
    return switch (kind) {
      case NESTING -> {
        int depth = dev.tokenbus.grammar.GbnfCheck.MAX_NESTING + 1 + rng.nextInt(rng.nextBoolean() ? 3000 : 60_000); // the body stays under 1 MiB
        String inner = pick(rng, "\"a\"", "[a-z]+", "x", "\"a\" | \"b\"", "");
        String open = pick(rng, "(", "( ", "(\"a\" | ", "(\n");
        yield "root ::= " + open.repeat(depth) + inner + (rng.nextInt(4) == 0 ? "" : ")".repeat(depth))
            + (inner.equals("x") ? "\nx ::= \"x\"" : "");
      }
      case REPETITION -> switch (rng.nextInt(5)) {
        case 0 -> "root ::= \"" + "abcdefgh".substring(rng.nextInt(8)) + "\"" + ("{" + (1000 + rng.nextInt(2000)) + "}")
            .repeat(2 + rng.nextInt(3));
        // Within llama.cpp's own bound of 2000 repetitions (a maximum above it reads as none), but
        // past ours: millions of elements, or hundreds of thousands of rules.
        case 1 -> rng.nextBoolean() ? "root ::= \"" + "a".repeat(600 + rng.nextInt(400)) + "\"{" + (1700 + rng.nextInt(301)) + "}"
            : "root ::= " + "[a-z]{0,2000} ".repeat(101 + rng.nextInt(100));
        case 2 -> "root ::= \"a\"{" + "9".repeat(10 + rng.nextInt(30)) + (rng.nextBoolean() ? "}" : ",}");
        case 3 -> "root ::= " + "[a]+ ".repeat(170_000 + rng.nextInt(20_000)); // quotes would push the body past 1 MiB
        default -> "root ::= (\"ab\"{" + (1000 + rng.nextInt(1000)) + "})" + "{900}".repeat(1 + rng.nextInt(2))
            + " \"c\"{" + (999_000 + rng.nextInt(1000)) + "}";
      };
      case CONTRADICTORY -> {
        int min = 1 + rng.nextInt(rng.nextBoolean() ? 10 : 1_000_000);
        String bound = "{" + min + "," + rng.nextInt(min) + "}";
        if (rng.nextInt(3) == 0) {
          yield "root ::= \"a\"" + bound;
        }
        String g = VALID.get(rng.nextInt(VALID.size()));
        List<Integer> spots = repeatable(g);
        int at = spots.isEmpty() ? g.indexOf('\n') : spots.get(rng.nextInt(spots.size()));
        yield g.substring(0, at) + bound + g.substring(at);
      }
      case CHAIN -> {
        if (rng.nextBoolean()) {
          int n = 2001 + rng.nextInt(20_000);
          StringBuilder b = new StringBuilder("root ::= r1\n");
          for (int i = 1; i < n; i++) {
            b.append('r').append(i).append(" ::= ").append(pick(rng, "r" + (i + 1), "(r" + (i + 1) + ")",
                "r" + (i + 1) + " \"x\"", "r" + (i + 1) + " | \"y\"")).append('\n');
          }
          yield b.append('r').append(n).append(" ::= \"z\"\n").toString();
        }
        int k = 21 + rng.nextInt(60);
        StringBuilder b = new StringBuilder("root ::= r0\n");
        for (int i = 0; i < k; i++) {
          b.append('r').append(i).append(" ::= r").append(i + 1).append(" | r").append(i + 1).append(" \"b\"\n");
        }
        yield b.append('r').append(k).append(" ::= \"x\"\n").toString();
      }
      case UNDEFINED -> pick(rng, "root ::= nowhere", "start ::= \"a\"", "root ::= root \"a\" | \"b\"",
          "root ::= x \"a\"\nx ::= \"\" | root", "root ::= a\na ::= b\nb ::= a",
          "Root ::= \"a\"", "root ::= \"a\"\nroot2 ::= missing", "root ::= [a-z] rest\nrest ::= rest2 | \"\"");
      case ENDLESS -> { // what llama.cpp would walk without end, or in ever more ways
        if (rng.nextBoolean()) {
          // A left recursion behind rules that are empty only through one another.
          int k = 1 + rng.nextInt(6);
          StringBuilder b = new StringBuilder("root ::= e0 " + pick(rng, "root", "(root)", "root?") + " \"x\" | \"y\"\n");
          for (int i = 0; i < k; i++) {
            b.append('e').append(i).append(" ::= e").append(i + 1).append(pick(rng, "", " e" + (i + 1), "*")).append('\n');
          }
          yield b.append('e').append(k).append(" ::= \"\" | \"z\"\n").toString();
        }
        yield optionalsNested(6 + rng.nextInt(20), pick(rng, "?", "*", "{0,3}"));
      }
      case UNSATISFIABLE -> pick(rng, "root ::= \"\\x00\"", "root ::= [\\x00]", "root ::= \"\\x00\"+",
          "root ::= (\"\\x00\" | [\\x00-\\x00])", "root ::= \"\\x00abc\"", "root ::= x\nx ::= \"\\u0000\"",
          "root ::= [\\x00]{2,3} \"a\"");
      case MUTATION -> {
        StringBuilder g = new StringBuilder(VALID.get(rng.nextInt(VALID.size())));
        String syntax = "()[]{}\"|*+?:=\\<>!#-^.,0123456789\n ";
        for (int edits = 1 + rng.nextInt(3); edits > 0; edits--) {
          int at = rng.nextInt(g.length());
          char ch = syntax.charAt(rng.nextInt(syntax.length()));
          switch (rng.nextInt(3)) {
            case 0 -> g.insert(at, ch);
            case 1 -> g.deleteCharAt(at);
            default -> g.setCharAt(at, ch);
          }
        }
        yield g.toString().isBlank() ? "root ::= (" : g.toString();
      }
    };
  }

  /**
   * The places in {@code g} right after an item a repetition may follow: a literal's closing quote,
   * a class's closing bracket, a group's closing parenthesis (not inside literals, classes or comments).
   */
  static List<Integer> repeatable(String g) {
    List<Integer> spots = new ArrayList<>();
    boolean literal = false;
    boolean chars = false;
    boolean comment = false;
    for (int i = 0; i < g.length(); i++) {
      char ch = g.charAt(i);
      if (comment) {
        comment = ch != '\n';
      } else if (literal || chars) {
        if (ch == '\\') {
          i++;
        } else if (literal ? ch == '"' : ch == ']') {
          literal = false;
          chars = false;
          spots.add(i + 1);
        }
      } else if (ch == '#') {
        comment = true;
      } else if (ch == '"') {
        literal = true;
      } else if (ch == '[') {
        chars = true;
      } else if (ch == ')') {
        spots.add(i + 1);
      }
    }
    return spots;
  }

  /** {@code l0 ::= l1? l1?}, ... nested {@code levels} deep: ever more ways to the next character. */
  static String optionalsNested(int levels, String optional) {
    StringBuilder b = new StringBuilder("root ::= l0 \"b\"\n");
    for (int i = 0; i < levels; i++) {
      b.append('l').append(i).append(" ::= l").append(i + 1).append(optional).append(" l").append(i + 1).append(optional)
          .append('\n');
    }
    return b.append('l').append(levels).append(" ::= \"a\"\n").toString();
  }

  private static String pick(Random rng, String... options) {
    return options[rng.nextInt(options.length)];
  }
}
