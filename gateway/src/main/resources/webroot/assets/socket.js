// The gateway's /v1/ws WebSocket: several generations at once, each under an id this page picks.
// Client frames: {"type":"generate","id",...} and {"type":"cancel","id"}. Server frames: token,
// done and error, each carrying the id.

const CLOSE_REASONS = {
  1000: 'closed normally',
  1001: 'the gateway is going away (shutting down?)',
  1006: 'the connection dropped without a close frame (gateway down, network gone, or the upgrade was refused)',
  1008: 'the gateway refused the connection (policy)',
  1009: 'a message was too big for the gateway',
  1011: 'the gateway hit an internal error',
};

/** A readable sentence for a WebSocket close event. */
export function describeClose(event) {
  const why = CLOSE_REASONS[event.code] ?? 'closed';
  const detail = event.reason ? `: ${event.reason}` : '';
  return `The connection to the gateway closed (code ${event.code}, ${why})${detail}.`;
}

export class ChatSocket {
  /**
   * @param {() => string} url the WebSocket URL, read at each (re)connection
   * @param {{onState: (state: string, detail?: string) => void, onStrayError: (error: object) => void}} events
   */
  constructor(url, events) {
    this.url = url;
    this.events = events;
    this.ws = null;
    this.opening = null;
    this.handlers = new Map();
  }

  /** Resolves once the socket is open; connects (again) when needed. */
  connect() {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      return Promise.resolve();
    }
    if (this.opening) {
      return this.opening;
    }
    this.events.onState('connecting');
    this.opening = new Promise((resolve, reject) => {
      let opened = false;
      let ws;
      try {
        ws = new WebSocket(this.url());
      } catch (e) {
        this.opening = null;
        this.events.onState('closed', String(e.message ?? e));
        reject(new Error(`Cannot open the WebSocket: ${e.message ?? e}`));
        return;
      }
      this.ws = ws;
      ws.addEventListener('open', () => {
        opened = true;
        this.opening = null;
        this.events.onState('open');
        resolve();
      });
      ws.addEventListener('message', (e) => this.onMessage(e.data));
      ws.addEventListener('close', (e) => {
        this.opening = null;
        if (this.ws === ws) {
          this.ws = null;
        }
        const message = opened ? describeClose(e)
          : 'Could not open the WebSocket to /v1/ws: the gateway is unreachable or refused it (is the API key right?).';
        // The gateway closes a socket that sat idle (1000 "idle"): the next message reconnects.
        if (opened && e.code === 1000 && e.reason === 'idle') {
          this.events.onState('idle');
          return;
        }
        // A close this page asked for is no news; any other is reported.
        this.events.onState('closed', ws.closedByUs ? undefined : message);
        this.failAll({ type: 'connection_closed', message });
        if (!opened) {
          reject(new Error(message));
        }
      });
    });
    return this.opening;
  }

  /**
   * Starts a generation.
   * @param {string} id
   * @param {object} fields the generate parameters
   * @param {{onToken, onDone, onError}} handlers onError gets {type, message, code?, param?}
   */
  generate(id, fields, handlers) {
    this.handlers.set(id, handlers);
    this.send({ ...fields, type: 'generate', id });
  }

  cancel(id) {
    if (this.handlers.has(id)) {
      this.send({ type: 'cancel', id });
    }
  }

  /** Closes the socket, e.g. so that the next generation connects with a new API key. */
  close() {
    if (this.ws) {
      this.ws.closedByUs = true;
      this.ws.close(1000, 'client closed');
    }
  }

  send(frame) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) {
      const handlers = this.handlers.get(frame.id);
      this.handlers.delete(frame.id);
      handlers?.onError({ type: 'connection_closed', message: 'The WebSocket is not open.' });
      return;
    }
    this.ws.send(JSON.stringify(frame));
  }

  onMessage(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      this.events.onStrayError({ type: 'protocol_error', message: 'The gateway sent a frame that is not JSON.' });
      return;
    }
    const handlers = frame.id == null ? undefined : this.handlers.get(frame.id);
    if (!handlers) {
      if (frame.type === 'error') {
        this.events.onStrayError(frame.error ?? { message: 'unknown error' });
      }
      return;
    }
    switch (frame.type) {
      case 'token':
        handlers.onToken(frame);
        break;
      case 'done':
        this.handlers.delete(frame.id);
        handlers.onDone(frame);
        break;
      case 'error':
        this.handlers.delete(frame.id);
        handlers.onError(frame.error ?? { type: 'error', message: 'unknown error' });
        break;
      default:
        break;
    }
  }

  failAll(error) {
    const pending = [...this.handlers.values()];
    this.handlers.clear();
    pending.forEach((h) => h.onError(error));
  }
}
