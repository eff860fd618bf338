// HTTP and websocket plumbing for the inbox: CSRF-aware fetch, and the agent socket with catch-up.

function cookie(name) {
  const match = document.cookie.split("; ").find((part) => part.startsWith(name + "="));
  return match ? decodeURIComponent(match.slice(name.length + 1)) : "";
}

export class ApiError extends Error {
  constructor(message, { status = 0, code = "error", fields = {} } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields;
  }
}

export async function api(path, { method = "GET", params = null, body = null } = {}) {
  let url = "/api/v1/" + path;
  if (params) {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) {
      if (value !== null && value !== undefined && value !== "") query.set(key, value);
    }
    const text = query.toString();
    if (text) url += "?" + text;
  }
  const options = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== null) {
    options.headers["Content-Type"] = "application/json";
    options.headers["X-CSRFToken"] = cookie("csrftoken");
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, options);
  } catch (error) {
    throw new ApiError("The server cannot be reached; nothing was lost, try again.", { code: "network" });
  }
  if (response.status === 401 || response.status === 403) {
    const data = await response.json().catch(() => ({}));
    if (data.error && data.error.code === "not_authenticated") {
      window.location.assign("/login/?next=/inbox/");
    }
    throw new ApiError((data.error && data.error.message) || "Not allowed.", { status: response.status });
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = data.error || {};
    throw new ApiError(error.message || `Request failed (${response.status}).`, {
      status: response.status,
      code: error.code,
      fields: error.fields,
    });
  }
  return data;
}

/**
 * The agent socket. Remembers the last event seq applied; on every (re)connect, and on a gap, fetches
 * /api/v1/events/?after= until has_more is false, so a reconnecting agent misses nothing.
 */
export class AgentSocket {
  constructor({ eventSeq, onEvent, onFrame, onStatus }) {
    this.eventSeq = eventSeq;
    this.onEvent = onEvent;
    this.onFrame = onFrame;
    this.onStatus = onStatus;
    this.queue = Promise.resolve();
    this.backoff = 500;
    this.socket = null;
    this.heartbeatTimer = null;
  }

  connect() {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${window.location.host}/ws/agent/`);
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.backoff = 500;
      this.onStatus("connected");
    });
    socket.addEventListener("message", (message) => {
      let frame;
      try {
        frame = JSON.parse(message.data);
      } catch {
        return;
      }
      this.enqueue(() => this.handle(frame));
    });
    socket.addEventListener("close", (event) => {
      clearInterval(this.heartbeatTimer);
      if (event.code === 4401) {
        window.location.assign("/login/?next=/inbox/");
        return;
      }
      this.onStatus("reconnecting");
      const delay = Math.min(this.backoff, 15000) * (0.75 + Math.random() / 2);
      this.backoff *= 2;
      setTimeout(() => this.connect(), delay);
    });
  }

  enqueue(task) {
    // One at a time, in arrival order: catch-up and live frames never interleave.
    this.queue = this.queue.then(task).catch((error) => console.error(error));
  }

  send(frame) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  startHeartbeat(ttlSeconds) {
    clearInterval(this.heartbeatTimer);
    const every = Math.max(5, Math.floor(ttlSeconds / 3)) * 1000;
    this.heartbeatTimer = setInterval(() => this.send({ type: "presence.heartbeat" }), every);
  }

  async handle(frame) {
    if (frame.type === "hello") {
      await this.catchUp();
      this.send({ type: "presence.heartbeat" });
      this.onStatus("live");
      return;
    }
    if (frame.type === "event") {
      if (frame.seq <= this.eventSeq) return;
      if (frame.seq > this.eventSeq + 1) {
        // A gap: events we may not see leave gaps too, so ask the log rather than guess.
        await this.catchUp();
        if (frame.seq <= this.eventSeq) return;
      }
      this.eventSeq = frame.seq;
      this.onEvent(frame);
      return;
    }
    if (frame.type === "presence.ack") this.startHeartbeat(frame.ttl_seconds || 60);
    this.onFrame(frame);
  }

  async catchUp() {
    for (;;) {
      const page = await api("events/", { params: { after: this.eventSeq, limit: 200 } });
      for (const frame of page.events) {
        if (frame.seq > this.eventSeq) {
          this.eventSeq = frame.seq;
          this.onEvent(frame);
        }
      }
      if (!page.has_more) {
        // Events we may not see still move the cursor: nothing below latest_seq is left to fetch.
        this.eventSeq = Math.max(this.eventSeq, page.latest_seq);
        return;
      }
    }
  }
}
