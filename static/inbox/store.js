// The inbox's state, in one place: the server's bootstrap and what the page holds now. Modules read and
// change it; drawing it is theirs.

export const boot = JSON.parse(document.getElementById("inbox-bootstrap").textContent);
export const NOT_WAITING = "3000-01-01T00:00:00+00:00";
export const PAGE = 30;

export const state = {
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
  typing: new Map(), // conversation id -> Map(who -> {text, timer}): who is writing where
  unseen: [], // new customer messages waiting to be announced
};
