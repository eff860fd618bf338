// The open conversation: its messages, delivery states, head with the actions' current values, and the
// customer panel. Messages are kept by seq; a gap is filled from the log over HTTP.
import { api } from "./api.js";
import { socket } from "./connection.js";
import { $, dayOf, el, timeOf, toast } from "./dom.js";
import { renderList } from "./list.js";
import { boot, state } from "./store.js";
import { renderTyping } from "./typing.js";

const DELIVERY_LABELS = { pending: "Sending…", sent: "Sent", delivered: "Delivered", read: "Read", failed: "Failed" };
// A later state never gives way to an earlier one arriving late (an HTTP answer serialized before it).
const DELIVERY_RANK = { pending: 0, sent: 1, delivered: 2, read: 3, failed: 4 };

/** What to show under an agent's public message: {status, text}, or null for nothing. */
function delivery(message) {
  if (message.sender === "customer" || message.is_private || message.sender === "system") return null;
  if (message._pending) return { status: "pending", text: "Sending…" };
  if (message._failed) return { status: "notsent", text: "Not sent" };
  if (message.delivery_status === "failed") {
    const reason = message.meta && message.meta.delivery_error;
    return { status: "failed", text: reason ? `Failed: ${reason}` : "Failed" };
  }
  if (state.selected && state.selected.customer_read_seq >= message.seq) return { status: "read", text: "Read" };
  const text = DELIVERY_LABELS[message.delivery_status];
  return text ? { status: message.delivery_status, text } : null;
}

function deliveryBadge(badge, shown) {
  badge.textContent = shown.text;
  badge.className = `msg-delivery delivery-${shown.status}`;
  badge.dataset.status = shown.status;
}

function messageNode(message) {
  let kind = message.sender;
  if (message.is_private) kind = message.sender === "system" ? "event" : "note";
  const item = el("li", {
    className: `msg msg-${kind}`,
    attrs: { "data-seq": message.seq ?? "", "data-client-id": message.client_id || "" },
  });
  if (kind === "event") {
    item.append(el("span", { className: "msg-event", text: message.body }));
    item.append(el("time", { className: "muted", text: timeOf(message.created_at), attrs: { datetime: message.created_at } }));
    return item;
  }
  const who =
    message.sender === "customer"
      ? state.selected
        ? state.selected.customer.name
        : "Customer"
      : message.author
        ? message.author.name
        : "Helpdesk";
  const head = el("div", { className: "msg-head" });
  head.append(el("span", { className: "msg-author", text: who }));
  if (kind === "note") head.append(el("span", { className: "msg-tag", text: "Private note" }));
  head.append(el("time", { className: "muted", text: timeOf(message.created_at), attrs: { datetime: message.created_at } }));
  item.append(head);
  item.append(el("div", { className: "msg-body", text: message.body }));
  const shown = delivery(message);
  if (shown) {
    const badge = el("div");
    deliveryBadge(badge, shown);
    item.append(badge);
  }
  return item;
}

export function renderMessages() {
  const list = $("messages");
  const sorted = [...state.messages.values()].sort((a, b) => a.seq - b.seq);
  const nodes = [];
  let day = null;
  for (const message of sorted) {
    const thisDay = dayOf(message.created_at);
    if (thisDay !== day) {
      nodes.push(el("li", { className: "day", text: thisDay, attrs: { role: "separator" } }));
      day = thisDay;
    }
    nodes.push(messageNode(message));
  }
  const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 120;
  list.replaceChildren(...nodes);
  if (nearBottom || renderMessages.forceScroll) list.scrollTop = list.scrollHeight;
  renderMessages.forceScroll = false;
}

export function renderDeliveries() {
  for (const node of $("messages").querySelectorAll(".msg-agent")) {
    const message = state.messages.get(Number(node.dataset.seq));
    if (!message) continue;
    const shown = delivery(message);
    let badge = node.querySelector(".msg-delivery");
    if (!badge && shown) {
      badge = el("div");
      node.append(badge);
    }
    if (badge && shown) deliveryBadge(badge, shown);
    else if (badge) badge.remove();
  }
}

/** A message.status event: the channel says how far the message got (or why it did not). */
export function applyMessageStatus(data) {
  const message = state.messages.get(data.seq);
  if (!message || message.id !== data.message_id) return;
  message.delivery_status = data.status;
  if (data.error) message.meta = { ...(message.meta || {}), delivery_error: data.error };
  renderDeliveries();
}

function fillSelect(select, options, value) {
  select.replaceChildren(...options.map(([v, label]) => el("option", { text: label, attrs: { value: v } })));
  select.value = String(value ?? "");
}

export function renderThreadHead() {
  const row = state.selected;
  $("thread-title").textContent = row.customer.name;
  $("thread-subtitle").textContent = [row.inbox.name, row.team ? row.team.name : "No team", row.status].join(" · ");
  const eligible = boot.agents.filter((a) => !row.team || a.team_ids.includes(row.team.id));
  fillSelect($("act-assignee"), [["", "Unassigned"], ...eligible.map((a) => [a.id, `${a.name} (${a.availability})`])], row.assignee ? row.assignee.id : "");
  fillSelect($("act-team"), [["", "No team"], ...boot.teams.map((t) => [t.id, t.name])], row.team ? row.team.id : "");
  fillSelect($("act-priority"), boot.priorities.map((p) => [p.value, p.label]), row.priority);
  $("act-snooze").value = "";
  const labels = $("act-labels");
  const chosen = new Set(row.labels.map((l) => l.id));
  labels.replaceChildren(el("legend", { className: "visually-hidden", text: "Labels" }));
  for (const label of boot.labels) {
    const box = el("input", { attrs: { type: "checkbox", value: label.id } });
    box.checked = chosen.has(label.id);
    labels.append(el("label", {}, box, document.createTextNode(" " + label.name)));
  }
  $("act-resolve").textContent = { resolved: "Reopen", snoozed: "Wake up" }[row.status] || "Resolve";
  for (const node of document.querySelectorAll(".ibx-row-button")) {
    const current = Number(node.parentElement.dataset.id) === row.id;
    node.classList.toggle("is-selected", current);
    node.setAttribute("aria-current", current ? "true" : "false");
  }
}

function renderPanel(panel) {
  const box = $("panel");
  const customer = panel.customer;
  const nodes = [el("h2", { text: customer.name })];
  const facts = el("dl", { className: "facts" });
  const fact = (term, value) => {
    if (!value) return;
    facts.append(el("dt", { text: term }), el("dd", {}, value instanceof Node ? value : document.createTextNode(value)));
  };
  if (customer.email) fact("E-mail", el("a", { text: customer.email, attrs: { href: `mailto:${customer.email}` } }));
  fact("Phone", customer.phone);
  if (customer.time_zone) {
    let local = customer.time_zone;
    try {
      local += ` (${new Date().toLocaleTimeString([], { timeZone: customer.time_zone, hour: "2-digit", minute: "2-digit" })} now)`;
    } catch {
      /* an unknown zone is shown as stored */
    }
    fact("Time zone", local);
  }
  fact("Language", customer.locale);
  fact("Channel", `${panel.channel.label} · ${panel.channel.inbox}`);
  nodes.push(facts);
  nodes.push(el("a", { className: "profile-link", text: "Full profile", attrs: { href: customer.profile_url } }));
  nodes.push(el("h3", { text: "Other conversations" }));
  if (!panel.other_conversations.length) nodes.push(el("p", { className: "muted", text: "None." }));
  const list = el("ul", { className: "others" });
  for (const other of panel.other_conversations) {
    const button = el("button", { className: "ibx-ghost", attrs: { type: "button" } });
    button.append(el("span", { className: `status status-${other.status}`, text: other.status }));
    button.append(el("span", { text: ` ${new Date(other.created_at).toLocaleDateString()} · ${other.inbox}` }));
    button.append(el("span", { className: "muted others-preview", text: other.preview }));
    button.addEventListener("click", () => openConversation(other.id));
    list.append(el("li", {}, button));
  }
  nodes.push(list);
  box.replaceChildren(...nodes);
}

export async function openConversation(id) {
  let data;
  try {
    data = await api(`inbox/conversations/${id}/thread/`);
  } catch (error) {
    toast(error.message);
    return;
  }
  state.selected = data.conversation;
  state.messages = new Map(data.messages.map((m) => [m.seq, m]));
  state.lastSeq = data.conversation.last_seq;
  state.earliestSeq = data.messages.length ? data.messages[0].seq : null;
  $("thread-empty").hidden = true;
  $("thread-body").hidden = false;
  $("load-earlier").hidden = !data.has_earlier;
  document.body.classList.remove("show-list");
  document.body.classList.add("show-thread");
  history.replaceState(null, "", `#c=${id}`);
  renderThreadHead();
  renderMessages.forceScroll = true;
  renderMessages();
  renderPanel(data.panel);
  renderTyping();
  markRead();
}

export function closeConversation() {
  state.selected = null;
  $("thread-empty").hidden = false;
  $("thread-body").hidden = true;
  $("panel").replaceChildren();
  document.body.classList.add("show-list");
  document.body.classList.remove("show-thread");
  history.replaceState(null, "", "#");
}

export function markRead() {
  const row = state.selected;
  if (!row || document.hidden || state.lastSeq <= row.agent_read_seq) return;
  row.agent_read_seq = state.lastSeq;
  const listed = state.rows.get(row.id);
  if (listed) {
    listed.agent_read_seq = state.lastSeq;
    listed.unread = 0;
    renderList();
  }
  if (!socket.send({ type: "read", conversation_id: row.id, seq: state.lastSeq })) {
    api(`conversations/${row.id}/read/`, { method: "POST", body: { seq: state.lastSeq } }).catch(() => {});
  }
}

async function fillGap() {
  const id = state.selected.id;
  const page = await api(`conversations/${id}/messages/`, { params: { after_seq: state.lastSeq, limit: 200 } });
  if (!state.selected || state.selected.id !== id) return;
  for (const message of page.messages) state.messages.set(message.seq, message);
  state.lastSeq = Math.max(state.lastSeq, page.last_seq);
  renderMessages();
}

export function addMessage(message) {
  for (const [seq, existing] of state.messages) {
    if (existing._pending && existing.client_id && existing.client_id === message.client_id) state.messages.delete(seq);
  }
  const known = state.messages.get(message.seq);
  if (known && known.id === message.id && DELIVERY_RANK[known.delivery_status] > DELIVERY_RANK[message.delivery_status]) {
    message = { ...message, delivery_status: known.delivery_status, meta: known.meta };
  }
  state.messages.set(message.seq, message);
  if (message.seq > state.lastSeq + 1) {
    fillGap();
    return;
  }
  state.lastSeq = Math.max(state.lastSeq, message.seq);
  renderMessages();
  markRead();
}
