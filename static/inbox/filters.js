// Views, filters, search and paging of the list; paging back through the open thread.
import { api } from "./api.js";
import { $, el } from "./dom.js";
import { loadList, markView } from "./list.js";
import { boot, state } from "./store.js";
import { closeConversation, renderMessages } from "./thread.js";

export function setupFilters() {
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
}
