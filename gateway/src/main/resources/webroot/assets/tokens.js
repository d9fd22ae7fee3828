// One streamed token as a span whose title tells its log-probability and the alternatives the
// worker reported. Model text only ever goes through textContent and title, never markup.

function percent(logprob) {
  const p = Math.exp(logprob) * 100;
  return p >= 10 ? `${p.toFixed(0)}%` : `${p.toPrecision(2)}%`;
}

/** Shows invisible and control characters of a token so that alternatives stay readable. */
export function visible(text) {
  return JSON.stringify(text ?? '');
}

/** The tooltip text: "logprob -0.213 (p 81%)" and one line per alternative. */
export function describeToken(token) {
  if (typeof token.logprob !== 'number' || !Number.isFinite(token.logprob)) {
    return `token ${visible(token.text)}`;
  }
  const lines = [`${visible(token.text)}  logprob ${token.logprob.toFixed(3)} (p ${percent(token.logprob)})`];
  const alternatives = token.top_logprobs ?? [];
  if (alternatives.length > 0) {
    lines.push('alternatives:');
    for (const alt of alternatives) {
      lines.push(`  ${visible(alt.text)}  ${alt.logprob.toFixed(3)} (p ${percent(alt.logprob)})`);
    }
  }
  return lines.join('\n');
}

/** How sure the model was, for the token's underline: high, mid or low. */
export function confidence(logprob) {
  if (typeof logprob !== 'number') {
    return 'high';
  }
  const p = Math.exp(logprob);
  return p >= 0.5 ? 'high' : p >= 0.1 ? 'mid' : 'low';
}

export function tokenSpan(token) {
  const span = document.createElement('span');
  span.className = `tok ${confidence(token.logprob)}`;
  span.textContent = token.text;
  span.title = describeToken(token);
  span.dataset.index = String(token.index);
  return span;
}
