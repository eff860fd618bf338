// The agent inbox: conversation list, thread and customer panel, kept live by the agent socket.
// State lives in store.js; each module draws or changes one part of the page; server_events.js applies
// what the socket brings.
import { setupActions } from "./actions.js";
import { setupComposer } from "./composer.js";
import { setupFilters } from "./filters.js";
import { setupKeyboard } from "./keyboard.js";
import { loadList, markView, renderList } from "./list.js";
import { loadCounts, setupNotifications } from "./notifications.js";
import { renderTeams, setPresence, setupPresence } from "./presence.js";
import { connect } from "./server_events.js";
import { boot, state } from "./store.js";
import { markRead, openConversation } from "./thread.js";

async function start() {
  if (!["mine", "unassigned", "team", "all", "snoozed", "resolved"].includes(state.view)) state.view = "all";
  setPresence(boot.me.availability);
  renderTeams();
  setupNotifications();
  setupFilters();
  setupPresence();
  setupActions();
  setupComposer();
  setupKeyboard();
  markView();
  await Promise.all([loadList(), loadCounts()]);
  connect();
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
