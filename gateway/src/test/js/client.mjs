// Drives a tokenbus gateway with the official openai client, unchanged: a streamed chat completion
// and a streamed completion, both asking for usage, a whole chat completion, and embeddings (the
// client's default, base64 that it decodes itself, and float and base64 asked for). Prints one JSON
// line with what it saw; the JUnit test checks it. Usage: node client.mjs <baseURL> <apiKey> <model>
import OpenAI from "openai";

const [baseURL, apiKey, model] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0 });

async function chatStream() {
  const stream = await client.chat.completions.create({
    model,
    messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Say hello" }],
    max_tokens: 12,
    temperature: 0,
    stream: true,
    stream_options: { include_usage: true },
  });
  const seen = { ids: new Set(), roles: [], text: "", finish: [], usage: null, chunks: 0 };
  for await (const chunk of stream) {
    seen.chunks++;
    seen.ids.add(chunk.id);
    if (chunk.usage) seen.usage = chunk.usage;
    for (const c of chunk.choices) {
      if (c.delta.role) seen.roles.push(c.delta.role);
      if (c.delta.content) seen.text += c.delta.content;
      if (c.finish_reason) seen.finish.push(c.finish_reason);
    }
  }
  return { ...seen, ids: [...seen.ids] };
}

async function completionStream() {
  const stream = await client.completions.create({
    model,
    prompt: "Once upon a time",
    max_tokens: 9,
    temperature: 0,
    stream: true,
    stream_options: { include_usage: true },
  });
  const seen = { text: "", finish: [], usage: null };
  for await (const chunk of stream) {
    if (chunk.usage) seen.usage = chunk.usage;
    for (const c of chunk.choices) {
      seen.text += c.text;
      if (c.finish_reason) seen.finish.push(c.finish_reason);
    }
  }
  return seen;
}

async function chatWhole() {
  const r = await client.chat.completions.create({
    model,
    messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Say hello" }],
    max_tokens: 12,
    temperature: 0,
  });
  return { text: r.choices[0].message.content, role: r.choices[0].message.role, usage: r.usage };
}

async function refused() {
  try {
    await client.chat.completions.create({ model, messages: [{ role: "user", content: "x" }], n: 2 });
    return { status: 0 };
  } catch (e) {
    return { status: e.status, param: e.param, type: e.type };
  }
}

async function embeddings() {
  const input = ["The quick brown fox", "jumped over the lazy dog"];
  const byDefault = await client.embeddings.create({ model, input });
  const float = await client.embeddings.create({ model, input, encoding_format: "float" });
  const base64 = await client.embeddings.create({ model, input, encoding_format: "base64" });
  let refused;
  try {
    await client.embeddings.create({ model, input: "" });
    refused = { status: 0 };
  } catch (e) {
    refused = { status: e.status, param: e.param, type: e.type };
  }
  return {
    object: byDefault.object,
    model: byDefault.model,
    usage: byDefault.usage,
    indexes: byDefault.data.map((d) => d.index),
    byDefault: byDefault.data.map((d) => d.embedding),
    float: float.data.map((d) => d.embedding),
    base64: base64.data.map((d) => d.embedding),
    refused,
  };
}

const models = (await client.models.list()).data.map((m) => m.id);
const result = {
  models,
  chat: await chatStream(),
  completion: await completionStream(),
  whole: await chatWhole(),
  refused: await refused(),
  embeddings: await embeddings(),
};
console.log(JSON.stringify(result));
