// Who is writing where: other agents (replies or notes) and the customer. Typing frames are not logged,
// so each entry clears itself if the "stopped" frame never comes.
import { $ } from "./dom.js";
import { renderList } from "./list.js";
import { boot, state } from "./store.js";

// The chat page repeats "typing" every 3 s while keys are pressed and says stop after 4 s idle.
const TYPING_TIMEOUT_MS = 6000;

function typingSet(conversationId, who, text) {
  let here = state.typing.get(conversationId);
  const current = here && here.get(who);
  if (current) clearTimeout(current.timer);
  if (text) {
    if (!here) state.typing.set(conversationId, (here = new Map()));
    const timer = setTimeout(() => typingSet(conversationId, who, null), TYPING_TIMEOUT_MS);
    here.set(who, { text, timer });
  } else if (here) {
    here.delete(who);
    if (!here.size) state.typing.delete(conversationId);
  }
  renderTyping();
  // The list row shows the customer's typing; redraw it only when that flips.
  if (who === "customer" && Boolean(current) !== Boolean(text)) renderList();
}

export function customerTypingIn(conversationId) {
  const here = state.typing.get(conversationId);
  return Boolean(here && here.has("customer"));
}

export function renderTyping() {
  const here = state.selected && state.typing.get(state.selected.id);
  $("typing").textContent = here ? [...here.values()].map((entry) => entry.text).join(" · ") : "";
}

/** An agent's "typing" frame (never our own). */
export function agentTyping(frame) {
  if (frame.agent.id === boot.me.id) return;
  const text = frame.is_typing ? `${frame.agent.name} is writing ${frame.private ? "a note" : "a reply"}…` : null;
  typingSet(frame.conversation_id, `agent:${frame.agent.id}`, text);
}

/** A "customer.typing" frame. */
export function customerTyping(frame) {
  typingSet(frame.conversation_id, "customer", frame.is_typing ? "Customer is typing…" : null);
}

/** A message arrived: whoever wrote it has stopped typing. */
export function typingDone(message) {
  const who = message.sender === "customer" ? "customer" : message.author ? `agent:${message.author.id}` : null;
  if (who && state.typing.get(message.conversation_id)?.has(who)) typingSet(message.conversation_id, who, null);
}
