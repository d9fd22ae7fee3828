// Drives a tokenbus gateway serving a thinking model (Qwen3's template) with clients we did not
// write, each reading the model's reasoning apart from its answer: the openai package's chat
// completions (reasoning_content, whole and streamed) and Responses API (a reasoning item, whole and
// streamed), and @anthropic-ai/sdk (a thinking block, whole and streamed). The answers are forced
// with the gateway's native grammar field, sent as an extra body field. Prints one JSON line with
// what it saw; the JUnit test checks it.
// Usage: node thinking.mjs <baseURL of the gateway's root> <apiKey> <model> <forced answer>
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";

const [root, apiKey, model, forcedText] = process.argv.slice(2);
const openai = new OpenAI({ baseURL: root + "/v1", apiKey, maxRetries: 0 });
const anthropic = new Anthropic({ baseURL: root, apiKey, maxRetries: 0 });
const grammar = "root ::= " + JSON.stringify(forcedText);
const hi = [{ role: "user", content: "Hi" }];

async function chat() {
  const whole = await openai.chat.completions.create({ model, messages: hi, max_tokens: 200, temperature: 0, grammar });
  const stream = await openai.chat.completions.create({ model, messages: hi, max_tokens: 200, temperature: 0, grammar,
    stream: true });
  let reasoning = "", content = "", reasoningAfterContent = false;
  for await (const chunk of stream) {
    for (const c of chunk.choices) {
      if (c.delta.reasoning_content) {
        reasoning += c.delta.reasoning_content;
        reasoningAfterContent ||= content.length > 0;
      }
      if (c.delta.content) content += c.delta.content;
    }
  }
  const m = whole.choices[0].message;
  return { whole: { reasoning: m.reasoning_content, content: m.content }, streamed: { reasoning, content,
    reasoningAfterContent } };
}

async function responses() {
  const whole = await openai.responses.create({ model, input: "Hi", max_output_tokens: 200, temperature: 0, grammar });
  let reasoning = "", text = "", last = null;
  const stream = openai.responses.stream({ model, input: "Hi", max_output_tokens: 200, temperature: 0, grammar });
  for await (const event of stream) {
    if (event.type === "response.reasoning_text.delta") reasoning += event.delta;
    if (event.type === "response.output_text.delta") text += event.delta;
    if (event.type === "response.completed" || event.type === "response.incomplete") last = event.response;
  }
  const item = whole.output.find((i) => i.type === "reasoning");
  return {
    whole: { types: whole.output.map((i) => i.type), reasoning: item?.content?.[0]?.text, text: whole.output_text,
      reasoningTokens: whole.usage.output_tokens_details.reasoning_tokens },
    streamed: { reasoning, text, types: last.output.map((i) => i.type) },
  };
}

async function messages() {
  const whole = await anthropic.messages.create({ model, max_tokens: 200, temperature: 0, messages: hi, grammar,
    thinking: { type: "enabled", budget_tokens: 1024 } });
  let thinking = "", text = "";
  const stream = anthropic.messages.stream({ model, max_tokens: 200, temperature: 0, messages: hi, grammar,
    thinking: { type: "enabled", budget_tokens: 1024 } });
  stream.on("thinking", (delta) => { thinking += delta; });
  stream.on("text", (delta) => { text += delta; });
  const final = await stream.finalMessage();
  return {
    whole: { types: whole.content.map((b) => b.type), thinking: whole.content[0].thinking,
      text: whole.content.filter((b) => b.type === "text").map((b) => b.text).join("") },
    streamed: { thinking, text, types: final.content.map((b) => b.type) },
  };
}

console.log(JSON.stringify({ chat: await chat(), responses: await responses(), messages: await messages() }));
