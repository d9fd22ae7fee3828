// The conversation's entries on screen: a user message, and an assistant reply that fills with
// token spans as they stream and then shows how it ended. A thinking model's reasoning (tokens
// flagged `reasoning`) goes into a collapsed "Reasoning" section above the answer.
import { tokenSpan } from './tokens.js';

function entry(role, label) {
  const item = document.createElement('li');
  item.className = `msg ${role}`;
  const who = document.createElement('div');
  who.className = 'who';
  who.textContent = label;
  const content = document.createElement('div');
  content.className = 'content';
  item.append(who, content);
  return { item, content };
}

export function userEntry(text) {
  const { item, content } = entry('user', 'You');
  content.textContent = text;
  return item;
}

/** Tokens per second between the first and the last token seen, as the user saw them arrive. */
export class Rate {
  constructor() {
    this.count = 0;
    this.first = 0;
    this.last = 0;
  }

  tick(now = performance.now()) {
    if (this.count === 0) {
      this.first = now;
    }
    this.last = now;
    this.count += 1;
  }

  perSecond() {
    return this.count > 1 && this.last > this.first ? ((this.count - 1) * 1000) / (this.last - this.first) : 0;
  }
}

export class Reply {
  constructor() {
    const { item, content } = entry('assistant', 'Assistant');
    this.item = item;
    this.content = content;
    this.meta = document.createElement('p');
    this.meta.className = 'meta';
    this.item.append(this.meta);
    this.item.dataset.state = 'waiting';
    this.item.setAttribute('aria-busy', 'true');
    this.rate = new Rate();
    /** The answer's text, without the reasoning. */
    this.text = '';
    /** The reasoning's text; empty for a model that did not think. */
    this.reasoning = '';
    this.thinking = null;
    this.meta.textContent = 'waiting for the first token…';
  }

  addToken(token) {
    this.item.dataset.state = 'streaming';
    this.rate.tick();
    if (token.reasoning) {
      this.reasoning += token.text;
      this.thinkingSection().append(tokenSpan(token));
    } else {
      this.text += token.text;
      this.content.append(tokenSpan(token));
    }
    this.meta.textContent = `streaming · ${this.summary()}`;
  }

  /** The collapsed section the reasoning streams into, made before the answer on its first token. */
  thinkingSection() {
    if (this.thinking === null) {
      const details = document.createElement('details');
      details.className = 'reasoning';
      const summary = document.createElement('summary');
      summary.textContent = 'Reasoning';
      this.thinking = document.createElement('div');
      this.thinking.className = 'thinking';
      details.append(summary, this.thinking);
      this.content.before(details);
    }
    return this.thinking;
  }

  /** "12 tokens · 34.5 tok/s" */
  summary() {
    const n = this.rate.count;
    return `${n} token${n === 1 ? '' : 's'} · ${this.rate.perSecond().toFixed(1)} tok/s`;
  }

  /** Ended with a done frame. */
  done(frame) {
    const t = frame.timings ?? {};
    this.end('done', frame.finish_reason, `${this.summary()} · finish: ${frame.finish_reason}`);
    this.meta.title = `prompt ${frame.usage?.prompt_tokens ?? '?'} tokens, ` +
      `worker ${Number(t.tokens_per_second ?? 0).toFixed(1)} tok/s, queued ${Number(t.queue_ms ?? 0).toFixed(0)} ms, ` +
      `seed ${frame.seed}`;
  }

  /** Ended by the Stop button: the gateway answers the cancel with a `cancelled` error. */
  stopped() {
    this.end('stopped', 'cancelled', `${this.summary()} · stopped (finish: cancelled)`);
  }

  failed(message) {
    this.end('error', 'error', `${this.summary()} · failed: ${message}`);
  }

  end(state, finish, text) {
    this.item.dataset.state = state;
    this.item.dataset.finish = finish;
    this.item.removeAttribute('aria-busy');
    this.meta.textContent = text;
  }
}
