package dev.tokenbus.engine;

import dev.tokenbus.engine.llama.FlashAttention;
import dev.tokenbus.engine.llama.LlamaApi;
import dev.tokenbus.engine.llama.LlamaException;
import dev.tokenbus.engine.llama.NativeBatch;
import dev.tokenbus.engine.llama.NativeContext;
import dev.tokenbus.engine.llama.NativeModel;
import dev.tokenbus.engine.llama.Pooling;
import dev.tokenbus.protocol.RequestValidationException;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Embeddings on a llama.cpp context of their own ({@code embeddings} on, the worker's pooling) over
 * the engine's loaded model, decoded by a thread of their own: generation's decode loop never waits
 * for them, and they never wait for a decode step. Requests wait in a bounded queue; the inputs of
 * one request are decoded together, as several sequences of one batch, up to {@link #SEQUENCES}
 * inputs and {@link #maxTokens()} tokens a decode.
 *
 * <p>The context and the thread are made on the first request, not at start: most workers never
 * compute an embedding, and an embedding context of a generative model holds logits for every token
 * of a batch (vocabulary × {@link #maxTokens()} floats, about 300 MB for Qwen3's vocabulary at 512
 * tokens) besides its KV cells.
 */
final class LlamaEmbedder implements Embedder {

  private static final Logger LOG = LoggerFactory.getLogger(LlamaEmbedder.class);
  /** Most inputs decoded together (the context's n_seq_max). */
  static final int SEQUENCES = 16;
  /** Most requests waiting; more are refused (429) rather than queued without bound. */
  static final int QUEUE = 16;

  private record Job(List<int[]> inputs, CompletableFuture<float[][]> result) {}

  private static final Job STOP = new Job(List.of(), new CompletableFuture<>());

  private final NativeModel model;
  private final Function<String, int[]> tokenizer;
  private final Pooling pooling;
  private final int maxTokens;
  private final int threads;
  private final FlashAttention flashAttention;
  private final int dimensions;
  private final int maxPieceBytes;
  private final BlockingQueue<Job> queue = new ArrayBlockingQueue<>(QUEUE);
  private Thread thread;
  private volatile boolean closed;
  /** Why the embedding context could not be made (then every request fails with it), or null. */
  private RuntimeException unavailable;

  /**
   * @param tokenizer the engine's, with BOS/EOS and without control-token parsing (it keeps the
   *     model from being freed under a call)
   * @param maxTokens the context's size: most tokens of one input, and of one decode
   */
  LlamaEmbedder(NativeModel model, Function<String, int[]> tokenizer, Pooling pooling, int maxTokens, int threads,
      FlashAttention flashAttention) {
    this.model = model;
    this.tokenizer = tokenizer;
    this.pooling = pooling;
    this.maxTokens = maxTokens;
    this.threads = threads;
    this.flashAttention = flashAttention;
    this.dimensions = model.embeddingSize();
    this.maxPieceBytes = model.maxPieceBytes();
  }

  @Override
  public int dimensions() {
    return dimensions;
  }

  @Override
  public int maxTokens() {
    return maxTokens;
  }

  @Override
  public Pooling pooling() {
    return pooling;
  }

  @Override
  public int[] tokenize(String text, String param) {
    if (text.isEmpty()) {
      throw new RequestValidationException(param, param + " must not be empty");
    }
    // More bytes than maxTokens of the longest piece cannot fit: refused before tokenizing.
    long bytes = Admission.utf8Length(text);
    if (bytes > (long) maxTokens * maxPieceBytes) {
      throw tooLong(param, bytes + " bytes of text");
    }
    int[] tokens = tokenizer.apply(text);
    check(tokens, param);
    return tokens;
  }

  @Override
  public void check(int[] input, String param) {
    if (input.length == 0) {
      throw new RequestValidationException(param, param + " has no tokens");
    }
    if (input.length > maxTokens) {
      throw tooLong(param, input.length + " tokens");
    }
    for (int t : input) {
      if (t < 0 || t >= model.vocabSize()) {
        throw new RequestValidationException(param, param + ": token id " + t
            + " is outside this model's vocabulary (ids 0 to " + (model.vocabSize() - 1) + ")");
      }
    }
  }

  private RequestValidationException tooLong(String param, String has) {
    return new RequestValidationException(param, param + " has " + has + ", more than the " + maxTokens
        + " tokens this model's workers embed at most in one input");
  }

  @Override
  public CompletableFuture<float[][]> embed(List<int[]> inputs) {
    CompletableFuture<float[][]> result = new CompletableFuture<>();
    synchronized (this) {
      if (closed) {
        throw new AdmissionException(AdmissionException.Reason.SHUTTING_DOWN, "the engine is shutting down");
      }
      if (unavailable != null) {
        return CompletableFuture.failedFuture(unavailable);
      }
      if (!queue.offer(new Job(List.copyOf(inputs), result))) {
        throw new AdmissionException(AdmissionException.Reason.NO_FREE_SLOT,
            "the embeddings queue is full (" + QUEUE + " requests)");
      }
      if (thread == null) {
        thread = Thread.ofPlatform().name("tokenbus-embed").daemon(true).start(this::run);
      }
    }
    return result;
  }

  private void run() {
    NativeContext.Params params = new NativeContext.Params(maxTokens, maxTokens, maxTokens, SEQUENCES, threads,
        threads, flashAttention);
    NativeContext context;
    NativeBatch batch;
    try {
      context = NativeContext.createForEmbeddings(model, params, pooling);
      batch = new NativeBatch(context, maxTokens);
    } catch (RuntimeException e) {
      LOG.error("cannot create the embedding context: {}", e.getMessage());
      synchronized (this) {
        unavailable = new LlamaException("embeddings are unavailable: " + e.getMessage(), e);
      }
      failAll(unavailable);
      return;
    }
    LOG.info("embedding context ready: {} tokens, {} sequences, {} pooling, {} dimensions", maxTokens, SEQUENCES,
        pooling, dimensions);
    try (context; batch) {
      for (Job job = take(); job != STOP; job = take()) {
        try {
          job.result().complete(compute(context, batch, job.inputs()));
        } catch (RuntimeException e) {
          job.result().completeExceptionally(e);
        }
      }
    } finally {
      failAll(new AdmissionException(AdmissionException.Reason.SHUTTING_DOWN, "the engine is shutting down"));
    }
  }

  /** The next job; {@link #STOP} once closed. */
  private Job take() {
    try {
      return queue.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return STOP;
    }
  }

  /** The inputs' vectors, decoded in as few batches as fit {@link #SEQUENCES} and {@link #maxTokens}. */
  private float[][] compute(NativeContext context, NativeBatch batch, List<int[]> inputs) {
    float[][] out = new float[inputs.size()][];
    int first = 0;
    while (first < inputs.size()) {
      int end = first;
      int tokens = 0;
      while (end < inputs.size() && end - first < SEQUENCES && tokens + inputs.get(end).length <= maxTokens) {
        tokens += inputs.get(end++).length;
      }
      decode(context, batch, inputs, first, end, out);
      first = end;
    }
    return out;
  }

  private void decode(NativeContext context, NativeBatch batch, List<int[]> inputs, int from, int to, float[][] out) {
    batch.clear();
    for (int i = from; i < to; i++) {
      int[] input = inputs.get(i);
      for (int p = 0; p < input.length; p++) {
        batch.add(input[p], p, i - from, true);
      }
    }
    try {
      int rc = context.decode(batch);
      if (rc != 0) {
        throw new LlamaException("llama_decode of " + batch.size() + " embedding tokens failed (" + rc + ")"
            + (rc == LlamaApi.DECODE_ABORTED ? ": aborted" : ""));
      }
      for (int i = from; i < to; i++) {
        float[] v = new float[dimensions];
        context.embedding(i - from, v);
        out[i] = normalized(v);
      }
    } finally {
      context.clear();
    }
  }

  /** {@code v} scaled to length 1 (a zero vector stays zero). */
  static float[] normalized(float[] v) {
    double sum = 0;
    for (float x : v) {
      sum += (double) x * x;
    }
    if (sum > 0) {
      float scale = (float) (1 / Math.sqrt(sum));
      for (int i = 0; i < v.length; i++) {
        v[i] *= scale;
      }
    }
    return v;
  }

  private void failAll(RuntimeException e) {
    for (Job j = queue.poll(); j != null; j = queue.poll()) {
      j.result().completeExceptionally(e);
    }
  }

  /** Stops the thread and frees the context; waits up to 30 s for a decode in progress to end. */
  boolean close() {
    Thread t;
    synchronized (this) {
      closed = true;
      t = thread;
    }
    if (t == null) {
      return true;
    }
    failAll(new AdmissionException(AdmissionException.Reason.SHUTTING_DOWN, "the engine is shutting down"));
    queue.offer(STOP); // room: the queue was just emptied and nothing can be added once closed
    try {
      t.join(TimeUnit.SECONDS.toMillis(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return !t.isAlive();
  }
}
