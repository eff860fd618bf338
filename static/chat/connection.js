// The customer's socket: reconnects with exponential backoff and jitter, and says when it (re)opens so
// the page can catch up and resend what was not acknowledged.
export class ChatSocket {
  constructor(url, { onOpen, onFrame, onDown, onRefused }) {
    this.url = url;
    this.handlers = { onOpen, onFrame, onDown, onRefused };
    this.attempt = 0;
    this.ws = null;
    this.stopped = false;
  }

  get isOpen() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  connect() {
    if (this.stopped) return;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${scheme}//${location.host}${this.url}`);
    this.ws = ws;
    let refused = false;
    ws.addEventListener("message", (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (frame.type === "hello") {
        this.attempt = 0;
        this.handlers.onOpen(frame);
        return;
      }
      if (frame.type === "error" && /^identity_|^not_found$/.test(frame.code || "") && !frame.ref && !frame.client_id) {
        refused = true;
        this.handlers.onRefused(frame.message);
      }
      this.handlers.onFrame(frame);
    });
    ws.addEventListener("close", (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (refused || event.code === 4401 || event.code === 4403) {
        this.stopped = true;
        if (!refused) this.handlers.onRefused("Your chat session has ended. Reload the page to continue.");
        return;
      }
      this.handlers.onDown();
      this.scheduleReconnect();
    });
  }

  scheduleReconnect() {
    if (this.stopped) return;
    const base = Math.min(30000, 500 * 2 ** this.attempt);
    const delay = base * (0.5 + Math.random());
    this.attempt += 1;
    setTimeout(() => this.connect(), delay);
  }

  send(frame) {
    if (!this.isOpen) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }
}
