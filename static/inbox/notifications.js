// What tells the agent something is waiting: view counts, the unread count in the title, and desktop
// notifications while the tab is hidden.
import { api } from "./api.js";
import { $ } from "./dom.js";
import { state } from "./store.js";
import { openConversation } from "./thread.js";

export function setupNotifications() {
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
export function announce(item) {
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

export async function loadCounts() {
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

export function scheduleCounts() {
  clearTimeout(scheduleCounts.timer);
  scheduleCounts.timer = setTimeout(loadCounts, 300);
}
