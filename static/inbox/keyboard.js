// Keyboard shortcuts outside text fields: j/k move, e resolves, a assigns to me, r replies.
import { act, resolveOrReopen } from "./actions.js";
import { $ } from "./dom.js";
import { boot, state } from "./store.js";
import { openConversation } from "./thread.js";

function moveSelection(step) {
  if (!state.order.length) return;
  const index = state.selected ? state.order.indexOf(state.selected.id) : -1;
  const next = Math.min(Math.max(index + step, 0), state.order.length - 1);
  openConversation(state.order[next]);
  const node = document.querySelector(`.ibx-row[data-id="${state.order[next]}"] button`);
  if (node) node.scrollIntoView({ block: "nearest" });
}

export function setupKeyboard() {
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
