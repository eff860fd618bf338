// The conversation list: rows of the current view and filters, kept in the server's order. A change is
// applied by re-reading that one row from the server, which knows who may see what.
import { api } from "./api.js";
import { $, el, relative, safeColor, toast } from "./dom.js";
import { NOT_WAITING, PAGE, state } from "./store.js";
import { closeConversation, openConversation, renderDeliveries, renderThreadHead } from "./thread.js";
import { customerTypingIn } from "./typing.js";

export function markView() {
  for (const button of document.querySelectorAll(".ibx-view")) {
    const current = button.dataset.view === state.view;
    button.classList.toggle("is-current", current);
    if (current) button.setAttribute("aria-current", "page");
    else button.removeAttribute("aria-current");
  }
}

export function listParams() {
  return { view: state.view, ...state.filters };
}

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
  if (customerTypingIn(row.id)) {
    button.append(el("span", { className: "ibx-row-preview ibx-row-typing", text: "Typing…" }));
  } else {
    const preview = (row.preview_sender === "agent" ? "You: " : "") + (row.preview || "");
    button.append(el("span", { className: "ibx-row-preview", text: preview }));
  }
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

export function renderList() {
  const list = $("conversation-list");
  list.replaceChildren(...state.order.map((id) => rowNode(state.rows.get(id))));
  $("list-empty").hidden = state.order.length > 0;
  $("load-more").hidden = !state.nextCursor;
}

export async function loadList({ more = false } = {}) {
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

export function placeRow(row) {
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

export function refreshRow(id) {
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
