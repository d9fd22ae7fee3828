// Drives a tokenbus gateway with the official @anthropic-ai/sdk client, unchanged: a whole message,
// a streamed one read through its text events, a tool round trip (a required call, then its result),
// count_tokens and a refusal. The answers are forced with the gateway's native grammar field, sent as
// an extra body field. Prints one JSON line with what it saw; the JUnit test checks it.
// Usage: node anthropic.mjs <baseURL> <apiKey> <model>
import Anthropic from "@anthropic-ai/sdk";

const [baseURL, apiKey, model] = process.argv.slice(2);
const client = new Anthropic({ baseURL, apiKey, maxRetries: 0 });
const forced = (text) => `root ::= "${text}"`;
const question = [{ role: "user", content: "What is the weather in Paris?" }];
const tools = [{
  name: "get_weather",
  description: "The weather in a city",
  input_schema: {
    type: "object",
    properties: { city: { type: "string", maxLength: 12 } },
    required: ["city"],
    additionalProperties: false,
  },
}];

async function whole() {
  const m = await client.messages.create({
    model, max_tokens: 32, temperature: 0, system: "Be brief.",
    messages: [{ role: "user", content: "Say hello" }], grammar: forced("Hello from tokenbus"),
  });
  return { id: m.id, type: m.type, role: m.role, content: m.content, stop_reason: m.stop_reason, usage: m.usage };
}

async function streamed() {
  const stream = client.messages.stream({
    model, max_tokens: 32, temperature: 0, system: "Be brief.",
    messages: [{ role: "user", content: "Say hello" }], grammar: forced("Hello from tokenbus"),
  });
  const seen = { texts: [], events: [] };
  stream.on("text", (delta) => seen.texts.push(delta));
  stream.on("streamEvent", (event) => seen.events.push(event.type));
  const m = await stream.finalMessage();
  return { ...seen, text: seen.texts.join(""), content: m.content, stop_reason: m.stop_reason, usage: m.usage };
}

async function toolRoundTrip() {
  const stream = client.messages.stream({
    model, max_tokens: 200, temperature: 0, messages: question, tools,
    tool_choice: { type: "any", disable_parallel_tool_use: true }, // one call, to answer with one result
  });
  const json = [];
  stream.on("inputJson", (partial) => json.push(partial));
  const call = await stream.finalMessage();
  const use = call.content.find((b) => b.type === "tool_use");
  const next = await client.messages.create({
    model, max_tokens: 32, temperature: 0, tools, tool_choice: { type: "none" }, grammar: forced("It is sunny."),
    messages: [...question, { role: "assistant", content: call.content },
      { role: "user", content: [{ type: "tool_result", tool_use_id: use.id, content: "18 C, sunny" }] }],
  });
  return {
    stop_reason: call.stop_reason, blocks: call.content.map((b) => b.type), use,
    partial_json: json.join(""), answer: next.content, answer_stop: next.stop_reason,
  };
}

async function counted() {
  const r = await client.messages.countTokens({ model, system: "Be brief.", messages: [{ role: "user", content: "Say hello" }] });
  return r.input_tokens;
}

async function refused() {
  try {
    await client.messages.create({
      model, max_tokens: 8,
      messages: [{ role: "user", content: [{ type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } }] }],
    });
    return { status: 0 };
  } catch (e) {
    if (!(e instanceof Anthropic.APIError)) throw e;
    return { status: e.status, type: e.error?.error?.type, message: e.error?.error?.message, bad: e instanceof Anthropic.BadRequestError };
  }
}

const result = {
  whole: await whole(),
  streamed: await streamed(),
  tools: await toolRoundTrip(),
  count: await counted(),
  refused: await refused(),
};
console.log(JSON.stringify(result));
