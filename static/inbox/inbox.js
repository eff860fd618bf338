// The agent inbox: conversation list, thread and customer panel, kept live by the agent socket.
// Every piece of user content is put on the page with textContent, never parsed as HTML.

import { AgentSocket, api } from "./api.js";

const boot = JSON.parse(document.getElementById("inbox-bootstrap").textContent);
const $ = (id) => document.getElementById(id);
const NOT_WAITING = "3000-01-01T00:00:00+00:00";
const PAGE = 30;

const state = {
  view: localStorage.getItem("inbox.view") || "all",
  filters: {},
  rows: new Map(), // id -> row
  order: [], // ids as shown
  nextCursor: null,
  selected: null, // the open conversation's row
  messages: new Map(), // seq -> message of the open conversation
  lastSeq: 0,
  earliestSeq: null,
  counts: {},
  canned: null,
  typingTimers: new Map(),
  unseen: [], // new customer messages waiting to be announced
};

// ---- small DOM helpers ---------------------------------------------------------------------------

function el(tag, { className, text, attrs } = {}, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  if (attrs) for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  for (const child of children) if (child) node.append(child);
  return node;
}

function safeColor(value) {
  return /^#[0-9a-fA-F]{3,8}$/.test(value || "") ? value : "#6b7280";
}

function toast(message) {
  const box = $("toast");
  box.textContent = message;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (box.hidden = true), 5000);
}

function relative(iso) {
  if (!iso) return "";
  const minutes = Math.round((Date.now() - new Date(iso).getTime()) / 60000);
  if (minutes < 1) return "now";
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h`;
  return `${Math.floor(hours / 24)} d`;
}

function timeOf(iso) {
  return new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function dayOf(iso) {
  const date = new Date(iso);
  const today = new Date();
  const yesterday = new Date(Date.now() - 86400000);
  if (date.toDateString() === today.toDateString()) return "Today";
  if (date.toDateString() === yesterday.toDateString()) return "Yesterday";
  return date.toLocaleDateString([], { weekday: "long", day: "numeric", month: "long", year: "numeric" });
}

function agentName(id) {
  const agent = boot.agents.find((a) => a.id === id);
  return agent ? agent.name : "someone";
}

// ---- header: presence, teams, notifications -------------------------------------------------------

function renderTeams() {
  const list = $("team-status");
  list.replaceChildren();
  for (const team of boot.team_status) {
    let text = `${team.name}: ${team.state}`;
    if (team.state !== "open" && team.next_open) {
      text += ` until ${new Date(team.next_open).toLocaleString([], { weekday: "short", hour: "2-digit", minute: "2-digit" })}`;
    }
    list.append(el("li", { className: `team-chip team-${team.state}`, text }));
  }
}

function setPresence(availability) {
  $("presence").value = availability;
  $("presence-dot").className = `presence-dot presence-${availability}`;
}

function setupNotifications() {
  const button = $("enable-notifications");
  if (!("Notification" in window) || Notification.permission !== "default") return;
  button.hidden = false;
  button.addEventListener("click", async () => {
    await Notification.requestPermission();
    button.hidden = true;
  });
}

// Announcements are gathered for a few seconds and shown as one notification: a burst of messages is
// one nudge, not a storm.
function announce(item) {
  state.unseen.push(item);
  if (announce.timer) return;
  announce.timer = setTimeout(() => {
    const items = state.unseen.splice(0);
    announce.timer = null;
    if (!items.length || !document.hidden) return;
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    const title = items.length === 1 ? items[0].title : `${items.length} new messages`;
    const names = [...new Set(items.map((i) => i.title))];
    const body = items.length === 1 ? items[0].body : names.slice(0, 3).join(", ") + (names.length > 3 ? "…" : "");
    const note = new Notification(title, { body: body.slice(0, 140), tag: "helpdesk-inbox", renotify: true });
    note.onclick = () => {
      window.focus();
      if (items.length === 1 && items[0].conversationId) openConversation(items[0].conversationId);
    };
  }, 3000);
}

function renderTitle() {
  const unread = (state.counts.unread_mine || 0) + (state.counts.unread_unassigned || 0);
  document.title = unread ? `(${unread}) Inbox · Helpdesk` : "Inbox · Helpdesk";
}

// ---- counts and views ----------------------------------------------------------------------------

async function loadCounts() {
  try {
    state.counts = await api("inbox/counts/");
  } catch {
    return;
  }
  for (const node of document.querySelectorAll("[data-count]")) {
    node.textContent = state.counts[node.dataset.count] ?? 0;
  }
  renderTitle();
}

function scheduleCounts() {
  clearTimeout(scheduleCounts.timer);
  scheduleCounts.timer = setTimeout(loadCounts, 300);
}

function markView() {
  for (const button of document.querySelectorAll(".ibx-view")) {
    const current = button.dataset.view === state.view;
    button.classList.toggle("is-current", current);
    if (current) button.setAttribute("aria-current", "page");
    else button.removeAttribute("aria-current");
  }
}

function listParams() {
  return { view: state.view, ...state.filters };
}

// ---- the list ------------------------------------------------------------------------------------

function sortKey(row) {
  if ((state.filters.sort || defaultSort()) === "recent") {
    return [row.last_message_at || row.created_at, row.id, -1];
  }
  return [row.waiting_since || NOT_WAITING, row.id, 1];
}

function defaultSort() {
  return state.view === "resolved" || state.view === "snoozed" ? "recent" : "waiting";
}

function compareRows(a, b) {
  const [ka, ia, dir] = sortKey(a);
  const [kb, ib] = sortKey(b);
  const ta = new Date(ka).getTime();
  const tb = new Date(kb).getTime();
  if (ta !== tb) return dir * (ta - tb);
  return dir * (ia - ib);
}

function rowNode(row) {
  const selected = state.selected && state.selected.id === row.id;
  const item = el("li", { className: "ibx-row", attrs: { "data-id": row.id } });
  const button = el("button", {
    className: "ibx-row-button" + (selected ? " is-selected" : "") + (row.unread ? " is-unread" : ""),
    attrs: { type: "button", "aria-current": selected ? "true" : "false" },
  });
  const top = el("span", { className: "ibx-row-top" });
  top.append(el("span", { className: "ibx-row-name", text: row.customer.name }));
  if (row.unread) {
    top.append(el("span", { className: "badge", text: String(row.unread), attrs: { "aria-label": `${row.unread} unread` } }));
  }
  const waited = row.waiting_since ? relative(row.waiting_since) : relative(row.last_message_at || row.created_at);
  top.append(el("span", { className: "ibx-row-time muted", text: waited, attrs: { title: row.waiting_since ? "Waiting" : "Last message" } }));
  button.append(top);
  const preview = (row.preview_sender === "agent" ? "You: " : "") + (row.preview || "");
  button.append(el("span", { className: "ibx-row-preview", text: preview }));
  const meta = el("span", { className: "ibx-row-meta muted" });
  meta.append(el("span", { text: row.inbox.name }));
  meta.append(el("span", { text: row.assignee ? row.assignee.name : "Unassigned" }));
  if (row.priority >= 3) meta.append(el("span", { className: `prio prio-${row.priority}`, text: row.priority === 4 ? "Urgent" : "High" }));
  if (row.status !== "open") meta.append(el("span", { className: `status status-${row.status}`, text: row.status }));
  for (const label of row.labels) {
    const chip = el("span", { className: "label", text: label.name });
    chip.style.setProperty("--label", safeColor(label.color));
    meta.append(chip);
  }
  button.append(meta);
  button.addEventListener("click", () => openConversation(row.id));
  item.append(button);
  return item;
}

function renderList() {
  const list = $("conversation-list");
  list.replaceChildren(...state.order.map((id) => rowNode(state.rows.get(id))));
  $("list-empty").hidden = state.order.length > 0;
  $("load-more").hidden = !state.nextCursor;
}

async function loadList({ more = false } = {}) {
  const params = { ...listParams(), limit: PAGE };
  if (more) params.cursor = state.nextCursor;
  let page;
  try {
    page = await api("inbox/conversations/", { params });
  } catch (error) {
    toast(error.message);
    return;
  }
  if (!more) {
    state.rows.clear();
    state.order = [];
  }
  for (const row of page.results) {
    if (!state.rows.has(row.id)) state.order.push(row.id);
    state.rows.set(row.id, row);
  }
  state.nextCursor = page.next_cursor;
  renderList();
}

function placeRow(row) {
  state.rows.set(row.id, row);
  state.order = state.order.filter((id) => id !== row.id);
  const last = state.order.length ? state.rows.get(state.order[state.order.length - 1]) : null;
  // Beyond the last loaded row with more pages to come: it will arrive with its page.
  if (state.nextCursor && last && compareRows(row, last) > 0) {
    state.rows.delete(row.id);
    return;
  }
  const index = state.order.findIndex((id) => compareRows(row, state.rows.get(id)) < 0);
  if (index === -1) state.order.push(row.id);
  else state.order.splice(index, 0, row.id);
}

const pendingRows = new Map();

function refreshRow(id) {
  if (pendingRows.has(id)) return;
  pendingRows.set(
    id,
    setTimeout(async () => {
      pendingRows.delete(id);
      let result = null;
      try {
        result = await api(`inbox/conversations/${id}/`, { params: listParams() });
      } catch (error) {
        if (error.status !== 404) return;
      }
      if (!result || !result.in_view) {
        state.rows.delete(id);
        state.order = state.order.filter((other) => other !== id);
      } else {
        placeRow(result.conversation);
      }
      renderList();
      if (state.selected && state.selected.id === id) {
        if (result) {
          state.selected = result.conversation;
          renderThreadHead();
          renderDeliveries();
        } else {
          toast("This conversation has moved out of your sight.");
          closeConversation();
        }
      }
    }, 150),
  );
}

// ---- the thread ----------------------------------------------------------------------------------

function deliveryText(message) {
  if (message.sender === "customer" || message.is_private || message.sender === "system") return "";
  if (message._pending) return "Sending…";
  if (message._failed) return "Not sent";
  if (state.selected && state.selected.customer_read_seq >= message.seq) return "Read";
  return { pending: "Sending…", sent: "Sent", delivered: "Delivered", read: "Read", failed: "Failed" }[message.delivery_status] || "";
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
  const delivery = deliveryText(message);
  if (delivery) item.append(el("div", { className: `msg-delivery delivery-${delivery.toLowerCase().replace(/\W/g, "")}`, text: delivery }));
  return item;
}

function renderMessages() {
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

function renderDeliveries() {
  for (const node of $("messages").querySelectorAll(".msg-agent")) {
    const message = state.messages.get(Number(node.dataset.seq));
    if (!message) continue;
    const text = deliveryText(message);
    let badge = node.querySelector(".msg-delivery");
    if (!badge && text) {
      badge = el("div", { className: "msg-delivery" });
      node.append(badge);
    }
    if (badge) {
      badge.textContent = text;
      badge.className = `msg-delivery delivery-${text.toLowerCase().replace(/\W/g, "")}`;
    }
  }
}

function fillSelect(select, options, value) {
  select.replaceChildren(...options.map(([v, label]) => el("option", { text: label, attrs: { value: v } })));
  select.value = String(value ?? "");
}

function renderThreadHead() {
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

async function openConversation(id) {
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
  $("typing").textContent = "";
  document.body.classList.remove("show-list");
  document.body.classList.add("show-thread");
  history.replaceState(null, "", `#c=${id}`);
  renderThreadHead();
  renderMessages.forceScroll = true;
  renderMessages();
  renderPanel(data.panel);
  markRead();
}

function closeConversation() {
  state.selected = null;
  $("thread-empty").hidden = false;
  $("thread-body").hidden = true;
  $("panel").replaceChildren();
  document.body.classList.add("show-list");
  document.body.classList.remove("show-thread");
  history.replaceState(null, "", "#");
}

function markRead() {
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

function addMessage(message) {
  for (const [seq, existing] of state.messages) {
    if (existing._pending && existing.client_id && existing.client_id === message.client_id) state.messages.delete(seq);
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

// ---- live events ---------------------------------------------------------------------------------

function onEvent(frame) {
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
    if (state.selected && state.selected.id === conversationId) {
      addMessage(message);
      // The thread is re-rendered as a whole, so new messages are read out from one live region.
      if (!(message.author && message.author.id === boot.me.id) && message.event === "") {
        const who = message.sender === "customer" ? state.selected.customer.name : message.author ? message.author.name : "Helpdesk";
        $("announcer").textContent = `${message.is_private ? "Note from " : ""}${who}: ${message.body}`;
      }
    }
  }
  if (frame.event === "conversation.read" && state.selected && state.selected.id === conversationId && data.by === "customer") {
    state.selected.customer_read_seq = data.seq;
    renderDeliveries();
  }
  if (conversationId) refreshRow(conversationId);
  scheduleCounts();
}

function onFrame(frame) {
  if (frame.type === "presence.ack") setPresence(frame.availability);
  if (frame.type === "presence") {
    const agent = boot.agents.find((a) => a.id === frame.agent.id);
    if (agent) agent.availability = frame.availability;
    if (frame.agent.id === boot.me.id) setPresence(frame.availability);
  }
  if (frame.type === "typing" && frame.agent.id !== boot.me.id && state.selected && state.selected.id === frame.conversation_id) {
    const line = $("typing");
    clearTimeout(state.typingTimers.get(frame.agent.id));
    if (frame.is_typing) {
      line.textContent = `${frame.agent.name} is writing ${frame.private ? "a note" : "a reply"}…`;
      state.typingTimers.set(frame.agent.id, setTimeout(() => (line.textContent = ""), 6000));
    } else {
      line.textContent = "";
    }
  }
  if (frame.type === "error") toast(frame.message);
}

function onStatus(status) {
  // "live": subscribed and caught up, so nothing that happens from now on can be missed.
  if (status === "live") document.body.dataset.live = "true";
  else delete document.body.dataset.live;
  const banner = $("connection");
  banner.hidden = status !== "reconnecting";
  banner.textContent = status === "connected" ? "" : "Reconnecting… anything that happens meanwhile will appear when we are back.";
}

const socket = new AgentSocket({ eventSeq: boot.event_seq, onEvent, onFrame, onStatus });

// ---- actions -------------------------------------------------------------------------------------

async function act(body) {
  if (!state.selected) return;
  const id = state.selected.id;
  try {
    const result = await api(`conversations/${id}/actions/`, { method: "POST", body });
    if (result.conversation) {
      state.selected = result.conversation;
      renderThreadHead();
    }
    refreshRow(id);
    scheduleCounts();
  } catch (error) {
    toast(error.message);
    if (state.selected) renderThreadHead();
  }
}

function setupActions() {
  $("act-assignee").addEventListener("change", (event) => {
    const value = event.target.value;
    act(value ? { action: "assign", assignee: Number(value) } : { action: "unassign" });
  });
  $("act-team").addEventListener("change", (event) => {
    if (event.target.value) act({ action: "transfer", team: Number(event.target.value) });
  });
  $("act-priority").addEventListener("change", (event) => act({ action: "priority", priority: Number(event.target.value) }));
  $("act-labels").addEventListener("change", () => {
    const ids = [...$("act-labels").querySelectorAll("input:checked")].map((box) => Number(box.value));
    act({ action: "labels", labels: ids });
  });
  $("act-snooze").addEventListener("change", (event) => {
    const value = event.target.value;
    if (!value) return;
    if (value === "open") return act({ action: "snooze", until_open: true });
    let until;
    if (value === "tomorrow") {
      until = new Date();
      until.setDate(until.getDate() + 1);
      until.setHours(9, 0, 0, 0);
    } else {
      until = new Date(Date.now() + Number(value) * 60000);
    }
    act({ action: "snooze", until: until.toISOString() });
  });
  $("act-resolve").addEventListener("click", () => resolveOrReopen());
}

function resolveOrReopen({ fromKeyboard = false } = {}) {
  if (!state.selected) return;
  const status = state.selected.status;
  // "e" always means done with it; the button also wakes a snoozed conversation.
  const reopen = status === "resolved" || (status === "snoozed" && !fromKeyboard);
  act({ action: reopen ? "reopen" : "resolve" });
}

// ---- composer: send, canned replies, mentions, typing ---------------------------------------------

function composerMode() {
  return document.querySelector('input[name="mode"]:checked').value;
}

async function send() {
  const text = $("composer-text");
  const body = text.value.trim();
  if (!body || !state.selected) return;
  const conversation = state.selected;
  const clientId = crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
  const isPrivate = composerMode() === "note";
  const pendingSeq = state.lastSeq + 0.5; // sorts after what is there, replaced by the real one
  const pending = {
    seq: pendingSeq,
    sender: "agent",
    author: { id: boot.me.id, name: boot.me.name },
    body,
    is_private: isPrivate,
    client_id: clientId,
    created_at: new Date().toISOString(),
    _pending: true,
  };
  state.messages.set(pendingSeq, pending);
  renderMessages.forceScroll = true;
  renderMessages();
  text.value = "";
  $("composer-error").hidden = true;
  sendTyping(false);
  // The client_id makes a retry after a dropped connection return the first message, never a duplicate.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const message = await api(`conversations/${conversation.id}/messages/`, {
        method: "POST",
        body: { body, client_id: clientId, private: isPrivate },
      });
      state.messages.delete(pendingSeq);
      if (state.selected && state.selected.id === conversation.id) addMessage(message);
      return;
    } catch (error) {
      if (error.code !== "network" || attempt === 2) {
        state.messages.delete(pendingSeq);
        renderMessages();
        if (!text.value) text.value = body; // nothing typed is lost
        $("composer-error").textContent = error.message;
        $("composer-error").hidden = false;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 1000 * (attempt + 1)));
    }
  }
}

function sendTyping(isTyping) {
  if (!state.selected) return;
  const now = Date.now();
  if (isTyping && sendTyping.last && now - sendTyping.last < 3000) return;
  sendTyping.last = isTyping ? now : 0;
  socket.send({ type: "typing", conversation_id: state.selected.id, is_typing: isTyping, private: composerMode() === "note" });
  clearTimeout(sendTyping.idle);
  if (isTyping) sendTyping.idle = setTimeout(() => sendTyping(false), 4000);
}

const suggest = { items: [], index: 0, apply: null };

function currentToken(text) {
  const upto = text.value.slice(0, text.selectionStart);
  const match = /(^|\s)([/@][^\s]*)$/.exec(upto);
  return match ? match[2] : null;
}

async function updateSuggestions() {
  const text = $("composer-text");
  const token = currentToken(text);
  const box = $("suggestions");
  if (token && token.startsWith("/") && text.value.trimStart().startsWith("/")) {
    if (state.canned === null) {
      state.canned = [];
      try {
        state.canned = await api("canned-responses/");
      } catch {
        /* no canned replies is not an error worth interrupting for */
      }
    }
    const prefix = token.slice(1).toLowerCase();
    suggest.items = state.canned
      .filter((c) => c.shortcut.startsWith(prefix) || c.title.toLowerCase().includes(prefix))
      .map((c) => ({ label: `/${c.shortcut}`, detail: c.title, value: c.body }));
    suggest.apply = (item) => {
      text.value = item.value;
    };
  } else if (token && token.startsWith("@") && composerMode() === "note") {
    const prefix = token.slice(1).toLowerCase();
    suggest.items = boot.agents
      .filter((a) => a.id !== boot.me.id && (a.username.toLowerCase().startsWith(prefix) || a.name.toLowerCase().includes(prefix)))
      .slice(0, 8)
      .map((a) => ({ label: `@${a.username}`, detail: a.name, value: `@${a.username} ` }));
    suggest.apply = (item) => {
      const start = text.selectionStart - token.length;
      text.value = text.value.slice(0, start) + item.value + text.value.slice(text.selectionStart);
      text.selectionStart = text.selectionEnd = start + item.value.length;
    };
  } else {
    suggest.items = [];
  }
  suggest.index = 0;
  renderSuggestions();
}

function renderSuggestions() {
  const box = $("suggestions");
  box.hidden = suggest.items.length === 0;
  box.replaceChildren(
    ...suggest.items.map((item, i) => {
      const option = el("li", { attrs: { role: "option", id: `suggestion-${i}`, "aria-selected": i === suggest.index ? "true" : "false" } });
      option.append(el("strong", { text: item.label }), el("span", { className: "muted", text: ` ${item.detail}` }));
      option.addEventListener("mousedown", (event) => {
        event.preventDefault();
        chooseSuggestion(i);
      });
      return option;
    }),
  );
  const text = $("composer-text");
  if (suggest.items.length) text.setAttribute("aria-activedescendant", `suggestion-${suggest.index}`);
  else text.removeAttribute("aria-activedescendant");
}

function chooseSuggestion(index) {
  const item = suggest.items[index];
  if (!item) return;
  suggest.apply(item);
  suggest.items = [];
  renderSuggestions();
  $("composer-text").focus();
}

function setupComposer() {
  const text = $("composer-text");
  const form = $("composer");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send();
  });
  text.addEventListener("keydown", (event) => {
    if (suggest.items.length) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        const step = event.key === "ArrowDown" ? 1 : -1;
        suggest.index = (suggest.index + step + suggest.items.length) % suggest.items.length;
        renderSuggestions();
        return;
      }
      if (event.key === "Enter" || event.key === "Tab") {
        event.preventDefault();
        chooseSuggestion(suggest.index);
        return;
      }
      if (event.key === "Escape") {
        suggest.items = [];
        renderSuggestions();
        return;
      }
    }
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    } else if (event.key === "Escape") {
      text.blur();
    }
  });
  text.addEventListener("input", () => {
    updateSuggestions();
    if (text.value.trim()) sendTyping(true);
  });
  text.addEventListener("blur", () =>
    setTimeout(() => {
      // Focus may be back already (a click on a radio, then typing): keep what the new input suggested.
      if (document.activeElement === text) return;
      suggest.items = [];
      renderSuggestions();
    }, 100),
  );
  for (const radio of document.querySelectorAll('input[name="mode"]')) {
    radio.addEventListener("change", () => {
      form.classList.toggle("is-note", composerMode() === "note");
      text.placeholder = composerMode() === "note" ? "Write a private note… (@ to mention)" : "Write a reply… (/ for canned replies)";
      $("send").textContent = composerMode() === "note" ? "Add note" : "Send";
    });
  }
}

// ---- keyboard ------------------------------------------------------------------------------------

function moveSelection(step) {
  if (!state.order.length) return;
  const index = state.selected ? state.order.indexOf(state.selected.id) : -1;
  const next = Math.min(Math.max(index + step, 0), state.order.length - 1);
  openConversation(state.order[next]);
  const node = document.querySelector(`.ibx-row[data-id="${state.order[next]}"] button`);
  if (node) node.scrollIntoView({ block: "nearest" });
}

function setupKeyboard() {
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (target.closest("input, textarea, select, [contenteditable]")) return;
    if (event.key === "j") moveSelection(1);
    else if (event.key === "k") moveSelection(-1);
    else if (event.key === "e") resolveOrReopen({ fromKeyboard: true });
    else if (event.key === "a" && state.selected) act({ action: "assign", assignee: boot.me.id });
    else if (event.key === "r" && state.selected) $("composer-text").focus();
    else return;
    event.preventDefault();
  });
}

// ---- filters, views, search -----------------------------------------------------------------------

function setupFilters() {
  const form = $("filters");
  const add = (name, items) => {
    const select = form.elements[name];
    for (const [value, label] of items) select.append(el("option", { text: label, attrs: { value } }));
  };
  add("status", boot.statuses.map((s) => [s.value, s.label]));
  add("inbox", boot.inboxes.map((i) => [i.id, i.name]));
  add("channel", boot.channels.map((c) => [c.value, c.label]));
  add("team", boot.teams.map((t) => [t.id, t.name]));
  add("label", boot.labels.map((l) => [l.id, l.name]));
  form.addEventListener("change", () => {
    const data = Object.fromEntries(new FormData(form).entries());
    state.filters = { ...data, q: state.filters.q || "" };
    loadList();
  });
  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    state.filters = { ...state.filters, q: $("search").value.trim() };
    loadList();
  });
  $("search").addEventListener("search", () => {
    state.filters = { ...state.filters, q: $("search").value.trim() };
    loadList();
  });
  for (const button of document.querySelectorAll(".ibx-view")) {
    button.addEventListener("click", () => {
      state.view = button.dataset.view;
      localStorage.setItem("inbox.view", state.view);
      markView();
      loadList();
      document.body.classList.add("show-list");
      document.body.classList.remove("show-thread");
    });
  }
  $("load-more").addEventListener("click", () => loadList({ more: true }));
  $("load-earlier").addEventListener("click", async () => {
    const id = state.selected.id;
    const data = await api(`inbox/conversations/${id}/thread/`, { params: { before_seq: state.earliestSeq } });
    for (const message of data.messages) state.messages.set(message.seq, message);
    state.earliestSeq = data.messages.length ? data.messages[0].seq : state.earliestSeq;
    $("load-earlier").hidden = !data.has_earlier;
    renderMessages();
  });
  $("back").addEventListener("click", closeConversation);
  $("panel-toggle").addEventListener("click", () => {
    const open = document.body.classList.toggle("show-panel");
    $("panel-toggle").setAttribute("aria-expanded", String(open));
  });
  $("presence").addEventListener("change", async (event) => {
    const availability = event.target.value;
    if (!socket.send({ type: "presence.set", availability })) {
      try {
        const result = await api("presence/", { method: "POST", body: { availability } });
        setPresence(result.availability);
      } catch (error) {
        toast(error.message);
      }
    }
  });
}

// ---- start ---------------------------------------------------------------------------------------

async function start() {
  if (!["mine", "unassigned", "team", "all", "snoozed", "resolved"].includes(state.view)) state.view = "all";
  setPresence(boot.me.availability);
  renderTeams();
  setupNotifications();
  setupFilters();
  setupActions();
  setupComposer();
  setupKeyboard();
  markView();
  await Promise.all([loadList(), loadCounts()]);
  socket.connect();
  const match = /#c=(\d+)/.exec(window.location.hash);
  if (match) openConversation(Number(match[1]));
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) markRead();
  });
  // Waiting times in the list are relative: keep them honest.
  setInterval(renderList, 60000);
  document.body.dataset.ready = "true";
}

start();
