// The composer: replies and private notes (sent with a client_id, so a retry is never a duplicate),
// canned replies after "/", @mentions in notes, and our own typing frames.
import { api } from "./api.js";
import { socket } from "./connection.js";
import { $, el } from "./dom.js";
import { boot, state } from "./store.js";
import { addMessage, renderMessages } from "./thread.js";

function composerMode() {
  return document.querySelector('input[name="mode"]:checked').value;
}

// Replies the server has not acknowledged, by conversation, kind and text: sending the same text again
// (after the retries gave up and the text came back) reuses the first client_id, so a reply that was
// stored but whose answer was lost is returned, not stored twice.
const unacknowledged = new Map();

function newClientId() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
}

function clientIdFor(key) {
  if (!unacknowledged.has(key)) unacknowledged.set(key, newClientId());
  return unacknowledged.get(key);
}

// No answer, or the server failed: the write may have been stored, so only the same client_id may retry.
function mayHaveBeenStored(error) {
  return error.code === "network" || (error.status || 0) >= 500;
}

async function send() {
  const text = $("composer-text");
  const body = text.value.trim();
  if (!body || !state.selected) return;
  const conversation = state.selected;
  const isPrivate = composerMode() === "note";
  const key = `${conversation.id}\n${isPrivate}\n${body}`;
  const clientId = clientIdFor(key);
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
      unacknowledged.delete(key);
      state.messages.delete(pendingSeq);
      if (state.selected && state.selected.id === conversation.id) addMessage(message);
      return;
    } catch (error) {
      if (!mayHaveBeenStored(error)) unacknowledged.delete(key); // refused: nothing was stored
      if (!mayHaveBeenStored(error) || attempt === 2) {
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

export function setupComposer() {
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
