// Drives two tokenbus gateways of one cluster with clients we did not write: the official openai
// package's Responses API (create, stream, retrieve, delete, a function call round trip, each
// continued through the other gateway with previous_response_id; a background stream left after a few
// events and resumed through the other gateway with retrieve's starting_after) and the Vercel AI SDK's default
// OpenAI provider (generateText and generateObject, which call /v1/responses). Prints one JSON line
// with what it saw; the JUnit test checks it.
// Usage: node responses.mjs <baseURL of gateway 0> <baseURL of gateway 1> <apiKey> <model>
import OpenAI from "openai";
import { createOpenAI } from "@ai-sdk/openai";
import { generateObject, generateText } from "ai";
import { z } from "zod";

const [url0, url1, apiKey, model] = process.argv.slice(2);
const here = new OpenAI({ baseURL: url0, apiKey, maxRetries: 0 });
const there = new OpenAI({ baseURL: url1, apiKey, maxRetries: 0 });

async function conversation() {
  const first = await here.responses.create({ model, input: "Say hello", instructions: "Be brief.",
    max_output_tokens: 8, temperature: 0 });
  // The stream's last event carries the response: response.completed, or response.incomplete at
  // the token limit (the SDK's finalResponse() takes only the former).
  const deltas = [];
  let second = null;
  const stream = there.responses.stream({ model, input: "And then?", previous_response_id: first.id,
    max_output_tokens: 6, temperature: 0 });
  for await (const event of stream) {
    if (event.type === "response.output_text.delta") deltas.push(event.delta);
    if (event.type === "response.completed" || event.type === "response.incomplete") second = event.response;
  }
  second.output_text = second.output.filter((i) => i.type === "message")
    .flatMap((i) => i.content.map((c) => c.text)).join("");
  const alone = await here.responses.create({ model, input: "And then?", max_output_tokens: 6, temperature: 0,
    store: false });
  const retrieved = await there.responses.retrieve(first.id);
  const deleted = await here.responses.delete(first.id);
  let afterDelete = null;
  try {
    await there.responses.retrieve(first.id);
  } catch (e) {
    afterDelete = e.status;
  }
  return {
    first: { id: first.id, status: first.status, text: first.output_text, usage: first.usage },
    second: { previous: second.previous_response_id, text: second.output_text, deltas: deltas.join(""),
      usage: second.usage },
    alone: { usage: alone.usage },
    retrievedText: retrieved.output_text,
    deleted: deleted === undefined ? "no body" : deleted,
    afterDelete,
  };
}

async function functionCall() {
  const tools = [{ type: "function", name: "get_weather", description: "Weather of a city", strict: false,
    parameters: { type: "object", properties: { city: { type: "string", maxLength: 12 } }, required: ["city"],
      additionalProperties: false } }];
  const asked = await here.responses.create({ model, input: "Weather in Paris?", tools, tool_choice: "required",
    max_output_tokens: 120, temperature: 0 });
  const call = asked.output.find((i) => i.type === "function_call");
  const answered = await there.responses.create({ model, previous_response_id: asked.id, max_output_tokens: 4,
    temperature: 0, input: [{ type: "function_call_output", call_id: call.call_id, output: "sunny" }] });
  return { name: call.name, arguments: JSON.parse(call.arguments), answered: answered.status };
}

async function resumedStream() {
  // A background response streamed here; the client leaves after a few events, and streams the
  // rest through the other gateway from the last sequence number it saw.
  const seen = [];
  const first = await here.responses.create({ model, input: "Tell a story", max_output_tokens: 24,
    temperature: 0, background: true, stream: true, stream_delay_ms: 20 });
  for await (const event of first) {
    seen.push(event);
    if (event.type === "response.output_text.delta" && seen.filter((e) => e.type === event.type).length === 3) break;
  }
  const last = seen[seen.length - 1].sequence_number;
  const rest = [];
  const resumed = await there.responses.retrieve(seen[0].response.id, { stream: true, starting_after: last });
  for await (const event of resumed) rest.push(event);
  const all = [...seen, ...rest];
  const end = all[all.length - 1];
  return {
    types: all.map((e) => e.type),
    sequence: all.map((e) => e.sequence_number),
    resumedAfter: last,
    deltas: all.filter((e) => e.type === "response.output_text.delta").map((e) => e.delta).join(""),
    status: end.response.status,
    text: end.response.output.filter((i) => i.type === "message").flatMap((i) => i.content.map((c) => c.text)).join(""),
    stored: (await here.responses.retrieve(seen[0].response.id)).output_text,
  };
}

async function aiSdk() {
  const provider = createOpenAI({ baseURL: url0, apiKey });
  const text = await generateText({ model: provider(model), prompt: "Say hello", maxOutputTokens: 8,
    temperature: 0 });
  const object = await generateObject({ model: provider(model), prompt: "A city", maxOutputTokens: 60,
    temperature: 0, schema: z.object({ city: z.string().max(12), sunny: z.boolean() }) });
  return { text: text.text, finishReason: text.finishReason, usage: text.usage, object: object.object };
}

const result = { conversation: await conversation(), functionCall: await functionCall(),
  resumedStream: await resumedStream(), aiSdk: await aiSdk() };
console.log(JSON.stringify(result));
