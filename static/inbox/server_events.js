// Receives what the server sends on the agent socket and applies it (Zulip's server_events + dispatch).
// Events come from a gapless log: the cursor is the last seq applied, and every (re)connect or gap asks
// /api/v1/events/?after= for what was missed, so a reconnecting agent misses nothing.
import { api } from "./api.js";
import { socket } from "./connection.js";
import { $, toast } from "./dom.js";
import { refreshRow } from "./list.js";
import { announce, scheduleCounts } from "./notifications.js";
import { presenceChanged, setPresence } from "./presence.js";
import { boot, state } from "./store.js";
import { addMessage, applyMessageStatus, renderDeliveries } from "./thread.js";
import { agentTyping, customerTyping, typingDone } from "./typing.js";

let eventSeq = boot.event_seq;

async function catchUp() {
  for (;;) {
    const page = await api("events/", { params: { after: eventSeq, limit: 200 } });
    for (const frame of page.events) {
      if (frame.seq > eventSeq) {
        eventSeq = frame.seq;
        applyEvent(frame);
      }
    }
    if (!page.has_more) {
      // Events we may not see still move the cursor: nothing below latest_seq is left to fetch.
      eventSeq = Math.max(eventSeq, page.latest_seq);
      return;
    }
  }
}

async function onEvent(frame) {
  if (frame.seq <= eventSeq) return;
  if (frame.seq > eventSeq + 1) {
    // A gap: events we may not see leave gaps too, so ask the log rather than guess.
    await catchUp();
    if (frame.seq <= eventSeq) return;
  }
  eventSeq = frame.seq;
  applyEvent(frame);
}

function applyEvent(frame) {
  const data = frame.data || {};
  const conversationId = frame.conversation_id || data.conversation_id || (data.conversation && data.conversation.id);
  if (frame.event === "mention") {
    toast(`${data.by ? data.by.name : "Someone"} mentioned you`);
    announce({ title: `${data.by ? data.by.name : "Someone"} mentioned you`, body: data.message ? data.message.body : "", conversationId });
  }
  if (frame.event === "conversation.unassigned_alert") {
    toast(`${data.customer_name} has waited ${data.waiting_minutes} min without an agent`);
    announce({ title: "Waiting without an agent", body: data.customer_name, conversationId });
  }
  if (frame.event === "message.created" && data.message) {
    const message = data.message;
    const summary = data.conversation || {};
    if (message.sender === "customer" && (summary.assignee_id === boot.me.id || !summary.assignee_id)) {
      const listed = state.rows.get(conversationId);
      announce({ title: listed ? listed.customer.name : "New message", body: message.body, conversationId });
    }
    typingDone(message);
    if (state.selected && state.selected.id === conversationId) {
      addMessage(message);
      // The thread is re-rendered as a whole, so new messages are read out from one live region.
      if (!(message.author && message.author.id === boot.me.id) && message.event === "") {
        const who = message.sender === "customer" ? state.selected.customer.name : message.author ? message.author.name : "Helpdesk";
        $("announcer").textContent = `${message.is_private ? "Note from " : ""}${who}: ${message.body}`;
      }
    }
  }
  if (frame.event === "message.status") {
    // Only the open thread shows delivery states: the row and the counts stay as they are.
    if (state.selected && state.selected.id === conversationId) applyMessageStatus(data);
    return;
  }
  if (frame.event === "conversation.read" && state.selected && state.selected.id === conversationId && data.by === "customer") {
    state.selected.customer_read_seq = data.seq;
    renderDeliveries();
  }
  if (conversationId) refreshRow(conversationId);
  scheduleCounts();
}

async function onFrame(frame) {
  switch (frame.type) {
    case "event":
      return onEvent(frame);
    case "presence.ack":
      setPresence(frame.availability);
      socket.setHeartbeatInterval(Math.max(5, Math.floor((frame.ttl_seconds || 60) / 3)) * 1000);
      // The log has moved past what this socket heard (a bell lost while the channel layer reconnected).
      if (frame.event_seq > eventSeq) return catchUp();
      return;
    case "presence":
      return presenceChanged(frame);
    case "typing":
      return agentTyping(frame);
    case "customer.typing":
      return customerTyping(frame);
    case "error":
      return toast(frame.message);
    default:
      return;
  }
}

function onStatus(status) {
  // "live": subscribed and caught up, so nothing that happens from now on can be missed.
  if (status === "live") document.body.dataset.live = "true";
  else delete document.body.dataset.live;
  const banner = $("connection");
  banner.hidden = status !== "reconnecting";
  banner.textContent = status === "connected" ? "" : "Reconnecting… anything that happens meanwhile will appear when we are back.";
}

function onStopped(reason) {
  if (reason.code === 4401) {
    window.location.assign("/login/?next=/inbox/");
    return;
  }
  const banner = $("connection");
  banner.textContent = "The server refused the live connection. Reload the page to try again.";
  banner.hidden = false;
}

/** Start listening: the cursor is the bootstrap's event_seq, so nothing after the page was rendered is lost. */
export function connect() {
  socket.handlers = { resume: catchUp, onFrame, onStatus, onStopped };
  socket.connect();
}
