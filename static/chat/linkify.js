// Message bodies become DOM text nodes; only http(s) links become anchors. Never innerHTML.
const URL_RE = /\bhttps?:\/\/[^\s<>"']+/gi;
const TRAILING = /[.,;:!?)\]}'"]+$/;

export function safeHref(candidate) {
  try {
    const url = new URL(candidate);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

export function renderBody(text, target) {
  let last = 0;
  for (const match of text.matchAll(URL_RE)) {
    let raw = match[0];
    const trail = raw.match(TRAILING);
    if (trail) raw = raw.slice(0, -trail[0].length);
    const href = safeHref(raw);
    if (!href) continue;
    target.append(document.createTextNode(text.slice(last, match.index)));
    const link = document.createElement("a");
    link.href = href;
    link.textContent = raw;
    link.rel = "noopener noreferrer nofollow";
    link.target = "_blank";
    target.append(link);
    last = match.index + raw.length;
  }
  target.append(document.createTextNode(text.slice(last)));
  return target;
}
