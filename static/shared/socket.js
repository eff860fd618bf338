// The one reconnecting websocket of the agent inbox and the chat page. Frames are a fast path: the page
// supplies `resume`, which fetches over HTTP whatever it missed, and runs it on every (re)connect before any
// live frame is handled, so nothing that happened while the socket was down is lost.

export const BACKOFF_BASE_MS = 500;
export const BACKOFF_CAP_MS = 30000;

/** The wait before reconnect attempt `attempt` (0, 1, …): min(cap, base × 2^attempt) × [0.5, 1.5). */
export function backoffDelay(attempt, random = Math.random) {
  return Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt) * (0.5 + random());
}

// Closing with these means reconnecting cannot help (not authenticated, not allowed).
const FINAL_CLOSE_CODES = new Set([4401, 4403]);

/**
 * Statuses given to `onStatus`: "connecting", "connected" (open, hello not yet handled), "live" (hello
 * handled and `resume` done: from here on nothing can be missed), "reconnecting", "stopped".
 *
 * Handlers (all optional):
 *   resume(hello)   async; the page's catch-up, run when the server says hello on each connect
 *   onFrame(frame)  may be async; frames are handled one at a time, in arrival order, after resume
 *   onStatus(status)
 *   onStopped(reason)  the socket will not reconnect: {code, message, frame} after a final close (frame:
 *                      the error the server sent first, if any), or what was given to stop()
 */
export class ReconnectingSocket {
  constructor(path, handlers = {}, { helloType = "hello", heartbeat = null } = {}) {
    this.path = path;
    this.handlers = handlers;
    this.helloType = helloType;
    // {frame: () => object, intervalMs}: sent once live and then every intervalMs while open.
    this.heartbeat = heartbeat;
    this.attempt = 0;
    this.ws = null;
    this.stopped = false;
    this.status = "idle";
    this.queue = Promise.resolve();
    this.heartbeatTimer = null;
    this.retryTimer = null;
  }

  get isOpen() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  get isLive() {
    return this.status === "live";
  }

  connect() {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${scheme}//${location.host}${this.path}`);
    this.ws = ws;
    let refusal = null;
    this.setStatus(this.attempt ? "reconnecting" : "connecting");
    ws.addEventListener("open", () => {
      if (this.ws === ws) this.setStatus("connected");
    });
    ws.addEventListener("message", (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (!frame || typeof frame.type !== "string") return;
      // An error that answers no frame of ours says why the server is about to close (identity_expired…).
      if (frame.type === "error" && frame.ref === undefined && !frame.client_id) refusal = frame;
      this.enqueue(() => this.handle(ws, frame));
    });
    ws.addEventListener("close", (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.stopHeartbeat();
      if (this.stopped) return;
      if (FINAL_CLOSE_CODES.has(event.code)) {
        this.stop({ code: event.code, message: (refusal && refusal.message) || event.reason || "", frame: refusal });
        return;
      }
      this.setStatus("reconnecting");
      this.retryTimer = setTimeout(() => this.connect(), backoffDelay(this.attempt));
      this.attempt += 1;
    });
  }

  /** Close and reconnect at once, e.g. when the page knows the connection is dead. */
  reconnect() {
    if (this.stopped) return;
    const ws = this.ws;
    this.ws = null;
    this.stopHeartbeat();
    if (ws) ws.close();
    this.connect();
  }

  /** Give up for good (the server refused the identity): no more reconnects. */
  stop(reason = {}) {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.stopHeartbeat();
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close();
    this.setStatus("stopped");
    if (this.handlers.onStopped) this.handlers.onStopped(reason);
  }

  send(frame) {
    if (!this.isOpen) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  /** Change the heartbeat period (the server says how long presence lasts). */
  setHeartbeatInterval(intervalMs) {
    if (!this.heartbeat || this.heartbeat.intervalMs === intervalMs) return;
    this.heartbeat.intervalMs = intervalMs;
    if (this.heartbeatTimer !== null) this.startHeartbeat();
  }

  enqueue(task) {
    // One at a time, in arrival order: catch-up and live frames never interleave.
    this.queue = this.queue.then(task).catch((error) => console.error(error));
  }

  async handle(ws, frame) {
    if (ws !== this.ws) return; // a frame of a socket already replaced
    if (frame.type === this.helloType) {
      this.attempt = 0;
      if (this.handlers.resume) await this.handlers.resume(frame);
      if (ws !== this.ws) return;
      this.startHeartbeat();
      this.setStatus("live");
      return;
    }
    if (this.handlers.onFrame) await this.handlers.onFrame(frame);
  }

  startHeartbeat() {
    this.stopHeartbeat();
    if (!this.heartbeat) return;
    this.send(this.heartbeat.frame());
    this.heartbeatTimer = setInterval(() => this.send(this.heartbeat.frame()), this.heartbeat.intervalMs);
  }

  stopHeartbeat() {
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  setStatus(status) {
    if (status === this.status) return;
    this.status = status;
    if (this.handlers.onStatus) this.handlers.onStatus(status);
  }
}
