// The openai npm client's structured outputs and tool calling against a tokenbus gateway
// (see OpenAiStructuredClientTest). Prints one JSON line with what the client saw.
import OpenAI from "openai";

const [baseURL, apiKey, model, schemaJson, weatherJson] = process.argv.slice(2);
const schema = JSON.parse(schemaJson);
const weather = JSON.parse(weatherJson);
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0 });
const messages = [{ role: "user", content: "Tell me about a person." }];
const format = { type: "json_schema", json_schema: { name: "person", strict: true, schema } };
const out = {};

// A JSON Schema response format, whole, through the client's parse() helper (it JSON.parses the content).
const parsed = await client.chat.completions.parse({ model, messages, response_format: format, max_tokens: 300,
  temperature: 0.9, seed: 3 });
out.parsed = { finish: parsed.choices[0].finish_reason, content: parsed.choices[0].message.content,
  value: parsed.choices[0].message.parsed };

// The same, streamed through the client's stream helper, which assembles the final completion.
const stream = client.chat.completions.stream({ model, messages, response_format: format, max_tokens: 300,
  temperature: 0.7, seed: 5 });
const streamed = await stream.finalChatCompletion();
out.streamed = { finish: streamed.choices[0].finish_reason, content: streamed.choices[0].message.content,
  value: JSON.parse(streamed.choices[0].message.content) };

// Tool calling: a required call, whole and streamed (the helper accumulates delta.tool_calls).
const tools = [{ type: "function", function: { name: "get_weather", description: "Weather in a city",
  parameters: weather } }];
const ask = [{ role: "user", content: "What is the weather in Paris?" }];
const whole = await client.chat.completions.create({ model, messages: ask, tools, tool_choice: "required",
  parallel_tool_calls: false, max_tokens: 300, temperature: 0 });
out.tools = { finish: whole.choices[0].finish_reason, calls: whole.choices[0].message.tool_calls };
const toolStream = client.chat.completions.stream({ model, messages: ask, tools,
  tool_choice: { type: "function", function: { name: "get_weather" } }, parallel_tool_calls: false, max_tokens: 300,
  temperature: 1.0, seed: 8 });
const toolFinal = await toolStream.finalChatCompletion();
out.toolsStreamed = { finish: toolFinal.choices[0].finish_reason, calls: toolFinal.choices[0].message.tool_calls };

// The next round: the call and its result go back, and the model answers.
const call = whole.choices[0].message.tool_calls[0];
const next = await client.chat.completions.create({ model, tools, max_tokens: 10, temperature: 0, messages: [...ask,
  whole.choices[0].message, { role: "tool", tool_call_id: call.id, content: "{\"temp\": 21}" }] });
out.nextRound = { finish: next.choices[0].finish_reason };

console.log(JSON.stringify(out));
