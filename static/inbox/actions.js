// The thread's actions: assign, transfer, priority, labels, snooze, resolve. The server answers with the
// conversation as it now is; the row is re-read so the list follows the view's rules.
import { api } from "./api.js";
import { $, toast } from "./dom.js";
import { refreshRow } from "./list.js";
import { scheduleCounts } from "./notifications.js";
import { state } from "./store.js";
import { renderThreadHead } from "./thread.js";

export async function act(body) {
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

export function setupActions() {
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

export function resolveOrReopen({ fromKeyboard = false } = {}) {
  if (!state.selected) return;
  const status = state.selected.status;
  // "e" always means done with it; the button also wakes a snoozed conversation.
  const reopen = status === "resolved" || (status === "snoozed" && !fromKeyboard);
  // The last seq this thread shows: a customer message newer than that refuses the resolve.
  act(reopen ? { action: "reopen" } : { action: "resolve", seen_seq: state.lastSeq });
}
