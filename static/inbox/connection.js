// The agent socket, shared by the modules that send on it; server_events.js gives it its handlers.
import { ReconnectingSocket } from "../shared/socket.js";

// Until the first presence.ack says the real TTL: a third of the default PRESENCE_TTL_SECONDS.
const HEARTBEAT_MS = 20000;

export const socket = new ReconnectingSocket("/ws/agent/", {}, {
  heartbeat: { frame: () => ({ type: "presence.heartbeat" }), intervalMs: HEARTBEAT_MS },
});
