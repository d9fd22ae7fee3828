// The chat page: keeps the conversation, streams each reply over /v1/ws, and stops it on request.
import { listModels } from './api.js';
import { generationInput } from './prompt.js';
import { Reply, userEntry } from './reply.js';
import { loadApiKey, loadSettings, saveApiKey, saveSettings } from './settings.js';
import { ChatSocket } from './socket.js';

const $ = (id) => document.getElementById(id);
const ui = {
  model: $('model'),
  refreshModels: $('refresh-models'),
  connection: $('connection'),
  errors: $('errors'),
  log: $('log'),
  emptyHint: $('empty-hint'),
  tokenInfo: $('token-info'),
  composer: $('composer'),
  input: $('input'),
  send: $('send'),
  stop: $('stop'),
  stats: $('stats'),
  settings: $('settings'),
  settingsForm: $('settings-form'),
  temperature: $('temperature'),
  maxTokens: $('max-tokens'),
  streamDelay: $('stream-delay'),
  topLogprobs: $('top-logprobs'),
  systemPrompt: $('system-prompt'),
  apiKey: $('api-key'),
  newChat: $('new-chat'),
};

/** The turns so far, {role, content}; the system prompt is added when a request is made. */
let conversation = [];
/** The reply being streamed: {id, reply}; null when idle. */
let current = null;
let nextId = 1;

// Browsers cannot set headers on a WebSocket, so the API key travels as a query parameter.
function socketUrl() {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const key = ui.apiKey.value.trim();
  return `${scheme}//${location.host}/v1/ws${key ? `?api_key=${encodeURIComponent(key)}` : ''}`;
}

const socket = new ChatSocket(socketUrl, {
  onState: (state, detail) => {
    ui.connection.dataset.state = state;
    ui.connection.textContent = { connecting: 'connecting…', open: 'connected', closed: 'disconnected',
      idle: 'ready' }[state] ?? state;
    ui.connection.title = detail ?? '';
    if (state === 'closed' && detail && !current) {
      showError(detail);
    }
  },
  onStrayError: (error) => showError(describeError(error)),
});

function describeError(error) {
  const tag = [...new Set([error.type, error.code].filter(Boolean))].join(' / ');
  return `${error.message ?? 'unknown error'}${tag ? ` (${tag})` : ''}`;
}

function showError(message) {
  const line = document.createElement('p');
  line.textContent = message;
  const dismiss = document.createElement('button');
  dismiss.type = 'button';
  dismiss.className = 'icon';
  dismiss.textContent = '×';
  dismiss.setAttribute('aria-label', 'Dismiss');
  dismiss.addEventListener('click', () => line.remove());
  line.append(dismiss);
  ui.errors.append(line);
}

function clearErrors() {
  ui.errors.replaceChildren();
}

// ---- settings ----

const NUMBER_FIELDS = [
  ['temperature', ui.temperature],
  ['max_tokens', ui.maxTokens],
  ['stream_delay_ms', ui.streamDelay],
  ['top_logprobs', ui.topLogprobs],
];

function restoreSettings() {
  const saved = loadSettings();
  for (const [name, input] of NUMBER_FIELDS) {
    if (saved[name] !== undefined) {
      input.value = saved[name];
    }
  }
  ui.systemPrompt.value = saved.system ?? '';
  ui.apiKey.value = loadApiKey();
}

// On a narrow screen the settings sit above the chat, folded away; they unfold when it widens.
function foldSettingsWhenNarrow() {
  const narrow = window.matchMedia('(max-width: 760px)');
  ui.settings.open = !narrow.matches;
  narrow.addEventListener('change', (e) => {
    ui.settings.open = !e.matches;
  });
}

function persistSettings() {
  const settings = { system: ui.systemPrompt.value, model: ui.model.value };
  for (const [name, input] of NUMBER_FIELDS) {
    settings[name] = input.value;
  }
  saveSettings(settings);
}

/** The generate parameters from the settings; an empty field leaves the gateway's default. */
function generateParameters() {
  const params = {};
  for (const [name, input] of NUMBER_FIELDS) {
    if (input.value.trim() !== '') {
      params[name] = Number(input.value);
    }
  }
  if (ui.model.value) {
    params.model = ui.model.value;
  }
  return params;
}

function history() {
  const system = ui.systemPrompt.value.trim();
  return system ? [{ role: 'system', content: system }, ...conversation] : conversation;
}

// ---- models ----

async function refreshModels() {
  const wanted = ui.model.value || loadSettings().model || '';
  try {
    const models = await listModels(ui.apiKey.value.trim());
    const any = new Option('any', '');
    ui.model.replaceChildren(any, ...models.map((m) => new Option(m, m)));
    ui.model.value = models.includes(wanted) ? wanted : models.length === 1 ? models[0] : '';
    if (models.length === 0) {
      showError('No worker is serving a model yet; replies will fail until one joins.');
    }
  } catch (e) {
    showError(`Could not list the models. ${e.message}`);
  }
}

// ---- the conversation ----

function append(item) {
  const atBottom = ui.log.scrollHeight - ui.log.scrollTop - ui.log.clientHeight < 40;
  ui.log.append(item);
  ui.emptyHint.hidden = true;
  if (atBottom) {
    ui.log.scrollTop = ui.log.scrollHeight;
  }
}

function setBusy(busy) {
  ui.send.disabled = busy;
  ui.stop.disabled = !busy;
  ui.stop.textContent = 'Stop';
}

function showRate(reply, live) {
  ui.stats.textContent = `${live ? 'Streaming' : 'Last reply'}: ${reply.summary()}`;
}

async function send(text) {
  clearErrors();
  const user = userEntry(text);
  append(user);
  // The turns this reply belongs to: "New conversation" replaces the array, so a reply still
  // ending after it lands in the old one.
  const turns = conversation;
  turns.push({ role: 'user', content: text });
  const reply = new Reply();
  append(reply.item);
  const id = `r${nextId++}`;
  current = { id, reply };
  setBusy(true);
  ui.stats.textContent = '';

  const finish = (assistantText) => {
    if (assistantText !== null) {
      // The reasoning goes back with the turn, for templates that render it (Qwen3's).
      turns.push(reply.reasoning ? { role: 'assistant', content: assistantText, reasoning_content: reply.reasoning }
        : { role: 'assistant', content: assistantText });
    }
    current = null;
    setBusy(false);
    showRate(reply, false);
  };
  // A reply that failed before any token was never part of the conversation: take the message
  // back out, so that sending it again does not repeat it.
  const fail = (error) => {
    reply.failed(error.message ?? 'unknown error');
    showError(describeError(error));
    if (reply.rate.count === 0) {
      turns.pop();
      user.classList.add('unsent');
      if (ui.input.value === '') {
        ui.input.value = text;
      }
      finish(null);
    } else {
      finish(reply.text);
    }
  };

  try {
    await socket.connect();
  } catch (e) {
    fail({ type: 'connection_failed', message: e.message });
    return;
  }
  socket.generate(id, { ...generateParameters(), ...generationInput(history()) }, {
    onToken: (token) => {
      const atBottom = ui.log.scrollHeight - ui.log.scrollTop - ui.log.clientHeight < 40;
      reply.addToken(token);
      showRate(reply, true);
      if (atBottom) {
        ui.log.scrollTop = ui.log.scrollHeight;
      }
    },
    onDone: (frame) => {
      reply.done(frame);
      finish(reply.text);
    },
    onError: (error) => {
      if (error.type === 'cancelled' && current?.stopping) {
        reply.stopped();
        finish(reply.text);
      } else {
        fail(error);
      }
    },
  });
}

function stop() {
  if (current && !current.stopping) {
    current.stopping = true;
    ui.stop.disabled = true;
    ui.stop.textContent = 'Stopping…';
    socket.cancel(current.id);
  }
}

function newConversation() {
  if (current) {
    stop();
  }
  conversation = [];
  ui.log.replaceChildren();
  ui.emptyHint.hidden = false;
  ui.stats.textContent = '';
  ui.tokenInfo.textContent = '';
  clearErrors();
}

// ---- wiring ----

ui.composer.addEventListener('submit', (e) => {
  e.preventDefault();
  const text = ui.input.value.trim();
  if (text && !current) {
    ui.input.value = '';
    send(text);
  }
});

ui.input.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    ui.composer.requestSubmit();
  } else if (e.key === 'Escape') {
    stop();
  }
});

ui.stop.addEventListener('click', stop);
ui.newChat.addEventListener('click', newConversation);
ui.refreshModels.addEventListener('click', () => {
  clearErrors();
  refreshModels();
});
ui.settingsForm.addEventListener('submit', (e) => e.preventDefault());
ui.settingsForm.addEventListener('change', persistSettings);
ui.model.addEventListener('change', persistSettings);
ui.apiKey.addEventListener('change', () => {
  saveApiKey(ui.apiKey.value);
  socket.close(); // the next reply connects with the new key
  refreshModels();
});

// Hovering (or tapping) a token shows its details below the conversation too.
function inspect(e) {
  const token = e.target.closest?.('.tok');
  if (token) {
    ui.tokenInfo.textContent = token.title;
  }
}
ui.log.addEventListener('pointerover', inspect);
ui.log.addEventListener('click', inspect);

restoreSettings();
foldSettingsWhenNarrow();
refreshModels();
// Connect at once, so that the page says whether the gateway is there before the first message;
// a failure shows in the connection pill (and the first message tries again).
socket.connect().catch(() => {});
ui.input.focus();
