// The hosted chat page. The server's log is the truth: messages carry a per-conversation seq, the page
// fetches whatever it missed (after_seq) on every (re)connect and on any gap, and unacknowledged messages
// are resent with the same client_id until the server has them, so nothing is lost or doubled.
import { ReconnectingSocket } from "../shared/socket.js";
import { renderBody } from "./linkify.js";

const boot = JSON.parse(document.getElementById("chat-boot").textContent);
const $ = (id) => document.getElementById(id);
const log = $("chat-log");
const input = $("chat-input");
const form = $("chat-form");
const pendingKey = `hdchat:${boot.inbox.slug}:pending`;
const RESEND_AFTER_MS = 8000;

let conversations = boot.conversations;
let active = conversations.length ? conversations[0] : null;
let lastSeq = 0;
let agentReadSeq = active ? active.agent_read_seq : 0;
let readSent = 0;
let catchingUp = null;
const inflight = new Map(); // client_id -> time of last send
let pending = loadPending();
let typingSentAt = 0;
let typingTimer = null;
let agentTypingTimer = null;

function csrfToken() {
  return form.querySelector("input[name=csrfmiddlewaretoken]").value;
}

function loadPending() {
  try {
    return JSON.parse(localStorage.getItem(pendingKey) || "[]");
  } catch {
    return [];
  }
}

function savePending() {
  try {
    localStorage.setItem(pendingKey, JSON.stringify(pending));
  } catch {
    /* private mode: pending stays in memory only */
  }
}

function browserContext() {
  return {
    time_zone: Intl.DateTimeFormat().resolvedOptions().timeZone || "",
    language: navigator.language || "",
    page_url: boot.context.page_url || location.href,
    referrer: boot.context.referrer || document.referrer || "",
  };
}

async function api(url, options = {}) {
  const response = await fetch(url, {
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
    ...options,
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error((data.error && data.error.message) || `HTTP ${response.status}`);
    error.code = data.error && data.error.code;
    error.status = response.status;
    error.retryAfter = Number(response.headers.get("Retry-After") || 0);
    throw error;
  }
  return data;
}

function showError(text) {
  $("chat-error").textContent = text || "";
}

function setConnection(text) {
  $("chat-connection").textContent = text;
}

function bubble(message) {
  const li = document.createElement("li");
  li.className = `chat-msg chat-msg--${message.sender}`;
  if (message.seq) li.dataset.seq = String(message.seq);
  if (message.client_id) li.dataset.clientId = message.client_id;
  const who = document.createElement("span");
  who.className = "chat-msg-author";
  who.textContent =
    message.sender === "customer" ? "You" : (message.author && message.author.name) || boot.inbox.name;
  const body = document.createElement("p");
  body.className = "chat-msg-body";
  renderBody(message.body, body);
  const meta = document.createElement("span");
  meta.className = "chat-msg-meta muted";
  li.append(who, body, meta);
  return li;
}

function setMeta(li, text) {
  li.querySelector(".chat-msg-meta").textContent = text;
}

function refreshSeen() {
  for (const li of log.querySelectorAll(".chat-msg--customer[data-seq]")) {
    setMeta(li, Number(li.dataset.seq) <= agentReadSeq ? "Seen" : "Sent");
  }
}

// ``prevSeq`` (live frames): the public message before this one. The page has missed something only if it
// has not reached that one; private notes and timeline lines in between leave no gap.
function applyMessage(message, prevSeq) {
  if (!active || message.conversation_id !== active.id) {
    if (active && message.conversation_id < active.id) return;
    switchTo({ id: message.conversation_id, agent_read_seq: 0, status: "open" });
  }
  if (log.querySelector(`li[data-seq="${message.seq}"]`)) return;
  const contiguous = prevSeq === undefined ? message.seq <= lastSeq + 1 : prevSeq <= lastSeq;
  if (!contiguous) {
    catchUp();
  } else if (prevSeq !== undefined) {
    lastSeq = Math.max(lastSeq, message.seq);
  }
  const li = bubble(message);
  const mine = message.client_id && log.querySelector(`li[data-client-id="${CSS.escape(message.client_id)}"]:not([data-seq])`);
  if (mine) mine.remove();
  const later = [...log.querySelectorAll("li[data-seq]")].find((node) => Number(node.dataset.seq) > message.seq);
  if (later) log.insertBefore(li, later);
  else {
    const firstPending = log.querySelector("li:not([data-seq])");
    log.insertBefore(li, firstPending);
  }
  if (message.seq === lastSeq + 1 || message.seq > lastSeq) lastSeq = Math.max(lastSeq, contiguousSeq());
  if (message.sender === "agent") hideAgentTyping();
  refreshSeen();
  markRead();
}

function contiguousSeq() {
  // The highest seq up to which the page has every public message it may see (private ones never come).
  let seq = lastSeq;
  for (const node of log.querySelectorAll("li[data-seq]")) seq = Math.max(seq, Number(node.dataset.seq));
  return seq;
}

function switchTo(conversation) {
  active = conversation;
  conversations = [conversation, ...conversations.filter((c) => c.id !== conversation.id)];
  log.replaceChildren();
  lastSeq = 0;
  readSent = 0;
  agentReadSeq = conversation.agent_read_seq || 0;
  renderPending();
  renderHistory();
}

async function catchUp() {
  if (!active) return;
  if (catchingUp) return catchingUp;
  catchingUp = (async () => {
    try {
      for (;;) {
        const url = `${boot.urls.messages}?conversation=${active.id}&after_seq=${lastSeq}`;
        const data = await api(url);
        const id = active.id;
        for (const message of data.messages) if (active.id === id) applyMessage(message);
        const newest = data.messages.length ? data.messages[data.messages.length - 1].seq : lastSeq;
        // Everything public up to the conversation's last_seq is in hand once nothing more is left, so
        // seqs of private notes (never sent here) are not mistaken for a gap.
        lastSeq = Math.max(lastSeq, newest, data.has_more ? 0 : data.conversation.last_seq);
        agentReadSeq = Math.max(agentReadSeq, data.conversation.agent_read_seq);
        refreshSeen();
        if (!data.has_more) break;
      }
    } catch (error) {
      if (error.status === 401) refuse(error.message);
    } finally {
      catchingUp = null;
    }
  })();
  return catchingUp;
}

function renderPending() {
  for (const item of pending) {
    if (log.querySelector(`li[data-client-id="${CSS.escape(item.client_id)}"]`)) continue;
    const li = bubble({ sender: "customer", body: item.body, client_id: item.client_id });
    setMeta(li, "Sending…");
    log.append(li);
  }
}

function dropPending(clientId) {
  pending = pending.filter((item) => item.client_id !== clientId);
  inflight.delete(clientId);
  savePending();
}

function acknowledged(result) {
  dropPending(result.client_id);
  // The details went along with the first message; on a phone the form would only take room now.
  $("chat-prechat").hidden = true;
  if (!active || result.conversation.id !== active.id) switchTo(result.conversation);
  applyMessage(result.message);
  const expectation = $("chat-expectation");
  expectation.textContent = boot.availability.expectation;
  expectation.hidden = false;
}

function refusedMessage(clientId, error) {
  // A message the server will never take (too long, empty, e-mail needed): give the text back to edit.
  const item = pending.find((p) => p.client_id === clientId);
  dropPending(clientId);
  const li = log.querySelector(`li[data-client-id="${CSS.escape(clientId)}"]:not([data-seq])`);
  if (li) li.remove();
  if (item && !input.value) input.value = item.body;
  if (error.code === "email_required") {
    $("chat-prechat").hidden = false;
    $("chat-email").required = true;
    $("chat-email").focus();
  }
  showError(error.message);
}

// Retryable failures (the server failed, no answer) are tried again by themselves, 1 s, 2 s, 4 s … 30 s.
const RETRY_MAX_MS = 30000;
let retryTimer = null;
let flushing = false;
let flushAgain = false;

function retryLater(item) {
  item.attempts = (item.attempts || 0) + 1;
  const delay = Math.min(RETRY_MAX_MS, 1000 * 2 ** (item.attempts - 1));
  item.notBefore = Date.now() + delay;
  clearTimeout(retryTimer);
  retryTimer = setTimeout(flush, delay);
}

// One flush at a time, in the order the messages were written: a message typed while an earlier one
// waits for its resend must not overtake it (the log would read "first, third, second").
async function flush() {
  if (flushing) {
    flushAgain = true;
    return;
  }
  flushing = true;
  try {
    do {
      flushAgain = false;
      await flushInOrder();
    } while (flushAgain);
  } finally {
    flushing = false;
  }
}

async function flushInOrder() {
  const now = Date.now();
  for (const item of [...pending]) {
    if (!pending.includes(item)) continue; // acknowledged meanwhile
    const sentAt = inflight.get(item.client_id);
    if (sentAt && now - sentAt < RESEND_AFTER_MS) continue; // ahead of what follows, on the same socket
    if (item.notBefore && now < item.notBefore) {
      clearTimeout(retryTimer);
      retryTimer = setTimeout(flush, item.notBefore - now);
      return; // held back (rate limit, back-off): what follows waits behind it
    }
    inflight.set(item.client_id, now);
    const frame = { type: "message", ref: item.client_id, client_id: item.client_id, body: item.body, context: item.context };
    if (item.name !== undefined) frame.name = item.name;
    if (item.email !== undefined) frame.email = item.email;
    if (socket.send(frame)) continue;
    try {
      acknowledged(await api(boot.urls.messages, { method: "POST", body: JSON.stringify(frame) }));
    } catch (error) {
      inflight.delete(item.client_id);
      if (error.status === 429) {
        item.notBefore = Date.now() + (error.retryAfter || 5) * 1000;
        showError(error.message);
        return;
      } else if (error.status && error.status < 500 && error.status !== 401 && error.status !== 403) {
        refusedMessage(item.client_id, error);
      } else {
        retryLater(item); // no answer or a server failure: the same client_id later, never a duplicate
        return;
      }
    }
  }
}

function markRead() {
  if (!active || document.visibilityState !== "visible" || lastSeq <= readSent) return;
  const hasUnreadReply = [...log.querySelectorAll("li[data-seq]:not(.chat-msg--customer)")].some(
    (node) => Number(node.dataset.seq) > readSent,
  );
  readSent = lastSeq;
  if (!hasUnreadReply) return;
  const frame = { type: "read", conversation_id: active.id, seq: lastSeq };
  if (!socket.send(frame)) {
    api(`${boot.urls.base}api/conversations/${active.id}/read`, {
      method: "POST",
      body: JSON.stringify({ seq: frame.seq }),
    }).catch(() => {
      readSent = 0;
    });
  }
}

function hideAgentTyping() {
  $("chat-typing").textContent = "";
  clearTimeout(agentTypingTimer);
}

function onFrame(frame) {
  switch (frame.type) {
    case "message":
      applyMessage(frame.message, frame.prev_seq);
      break;
    case "ack":
      acknowledged(frame);
      break;
    case "read.ack":
    case "read.ok": // the name before read.ack
      readSent = Math.max(readSent, Number(frame.seq) || 0);
      break;
    case "read":
      if (frame.by === "agent") {
        agentReadSeq = Math.max(agentReadSeq, frame.seq);
        refreshSeen();
      }
      break;
    case "typing":
      if (frame.by === "agent" && active && (!frame.conversation_id || frame.conversation_id === active.id)) {
        hideAgentTyping();
        if (frame.is_typing !== false && frame.active !== false) {
          $("chat-typing").textContent = `${(frame.author && frame.author.name) || boot.inbox.name} is typing…`;
          agentTypingTimer = setTimeout(hideAgentTyping, 8000);
        }
      }
      break;
    case "conversation":
      if (!active || frame.conversation.id > active.id) switchTo(frame.conversation);
      break;
    case "error":
      if (frame.client_id && frame.code === "rate_limited") {
        const item = pending.find((p) => p.client_id === frame.client_id);
        if (item) item.notBefore = Date.now() + (frame.retry_after || 5) * 1000;
        inflight.delete(frame.client_id);
        showError(frame.message);
        flush(); // schedules the resend for when the limit allows
      } else if (frame.client_id && frame.code !== "server_error") {
        refusedMessage(frame.client_id, frame);
      } else if (frame.client_id) {
        // The server failed on it (server_error): send it again by itself, with back-off.
        const item = pending.find((p) => p.client_id === frame.client_id);
        inflight.delete(frame.client_id);
        if (item) retryLater(item);
      }
      break;
    default:
      break;
  }
}

function refuse(message) {
  setConnection("");
  showError(message);
  input.disabled = true;
  $("chat-send").disabled = true;
}

const socket = new ReconnectingSocket(boot.urls.socket, {
  // The server's log is the truth: on every (re)connect fetch what was missed, then resend what is pending.
  async resume(hello) {
    setConnection("");
    const newest = hello.conversations[0];
    if (newest && (!active || newest.id > active.id)) switchTo(newest);
    await catchUp();
    inflight.clear();
    flush();
    markRead();
  },
  onFrame,
  onStatus(status) {
    if (status === "live") document.body.dataset.live = "true";
    else delete document.body.dataset.live;
    if (status === "reconnecting") {
      // What was sent on the dead socket may never have arrived: it goes again, first, before anything new.
      inflight.clear();
      setConnection("Reconnecting… your messages are kept and will be sent.");
    }
  },
  onStopped(reason) {
    refuse(reason.message || "Your chat session has ended. Reload the page to continue.");
  },
});

function sendTyping(activeNow) {
  if (!active) return;
  socket.send({ type: "typing", conversation_id: active.id, is_typing: activeNow });
}

input.addEventListener("input", () => {
  const now = Date.now();
  if (now - typingSentAt > 3000) {
    typingSentAt = now;
    sendTyping(true);
  }
  clearTimeout(typingTimer);
  typingTimer = setTimeout(() => {
    typingSentAt = 0;
    sendTyping(false);
  }, 4000);
});

input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey) {
    event.preventDefault();
    form.requestSubmit();
  }
});

form.addEventListener("submit", (event) => {
  event.preventDefault();
  showError("");
  const body = input.value.trim();
  if (!body) return;
  if (body.length > boot.max_chars) {
    showError(`A message can be at most ${boot.max_chars} characters long.`);
    return;
  }
  const item = { client_id: crypto.randomUUID(), body, context: browserContext() };
  if (!$("chat-prechat").hidden) {
    const email = $("chat-email");
    if (email.required && !email.value.trim()) {
      showError("We are away right now: leave your e-mail address so our reply can reach you.");
      email.focus();
      return;
    }
    if (email.value.trim() && !email.checkValidity()) {
      showError("That e-mail address does not look right.");
      email.focus();
      return;
    }
    item.name = $("chat-name").value.trim();
    item.email = email.value.trim();
  }
  input.value = "";
  clearTimeout(typingTimer);
  if (typingSentAt) sendTyping(false);
  typingSentAt = 0;
  pending.push(item);
  savePending();
  renderPending();
  flush();
});

document.addEventListener("visibilitychange", markRead);

// While the customer waits for an answer, look in the log now and then: a reply published before this
// page's socket had joined the conversation (its first message, an away reply) is never missed for long.
const WAITING_CHECK_MS = 15000;
setInterval(() => {
  const last = [...log.querySelectorAll("li[data-seq]")].pop();
  if (active && document.visibilityState === "visible" && last && last.classList.contains("chat-msg--customer")) catchUp();
}, WAITING_CHECK_MS);

function renderHistory() {
  const earlier = conversations.filter((c) => !active || c.id !== active.id);
  const list = $("chat-history-list");
  list.replaceChildren();
  $("chat-history").hidden = earlier.length === 0;
  for (const conversation of earlier) {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "chat-history-open";
    const started = new Date(conversation.created_at);
    button.textContent = `Conversation of ${started.toLocaleString()}`;
    const messages = document.createElement("ol");
    messages.className = "chat-log chat-log--history";
    button.addEventListener("click", async () => {
      if (messages.childElementCount) return;
      const data = await api(`${boot.urls.messages}?conversation=${conversation.id}&after_seq=0&limit=200`);
      for (const message of data.messages) messages.append(bubble(message));
    });
    li.append(button, messages);
    list.append(li);
  }
}

async function refreshAvailability() {
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  const lang = (navigator.language || "en").slice(0, 2);
  try {
    const state = await api(`${boot.urls.state}?tz=${encodeURIComponent(tz)}&lang=${encodeURIComponent(lang)}`);
    boot.availability = state.availability;
    $("chat-status").textContent = state.availability.status_text;
    $("chat-status").dataset.state = state.availability.state;
  } catch {
    /* the server-rendered status stays */
  }
}

// Without a socket (blocked by a proxy, or down), fetch and send over HTTP instead.
setInterval(() => {
  if (!socket.isOpen && !socket.stopped) {
    catchUp();
    flush();
  }
}, 5000);

renderHistory();
renderPending();
refreshAvailability();
catchUp();
socket.connect();
input.focus();
