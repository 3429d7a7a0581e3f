// A message's text on the page: plain text, with its http, https and mailto links clickable.
//
// Every piece goes in as a text node or an <a> built with DOM calls: "<b>" in a message shows
// as those three characters. Line breaks stay (the CSS's white-space: pre-wrap).

// a scheme we allow, then anything up to a space or a character no URL holds unescaped
const LINK = /\b(?:https?:\/\/|mailto:)[^\s<>"'`]+/gi;
// punctuation that ends a sentence rather than the link ("see https://x.es/a." links https://x.es/a)
const TRAILING = ".,;:!?'\"»›)]}";
const SCHEMES = new Set(["http:", "https:", "mailto:"]);

/** Replace node's children with text's pieces: text nodes, and links for its URLs. */
export function renderText(node, text) {
  node.replaceChildren(...pieces(text));
}

/** text as nodes: text nodes between <a> elements, in order. */
export function pieces(text) {
  const nodes = [];
  let last = 0;
  for (const match of text.matchAll(LINK)) {
    const raw = trimmed(match[0]);
    const url = safeUrl(raw);
    if (!url) continue;
    if (match.index > last) nodes.push(document.createTextNode(text.slice(last, match.index)));
    nodes.push(anchor(url, raw));
    last = match.index + raw.length;
  }
  if (last < text.length || nodes.length === 0) nodes.push(document.createTextNode(text.slice(last)));
  return nodes;
}

/** The link without the punctuation after it; a closing bracket stays when the link opened it. */
function trimmed(raw) {
  let link = raw;
  while (link && TRAILING.includes(link.at(-1))) {
    // https://es.wikipedia.org/wiki/Foo_(bar): its last ")" closes one it opened
    if (link.at(-1) === ")" && count(link, "(") >= count(link, ")")) break;
    link = link.slice(0, -1);
  }
  return link;
}

function count(text, char) {
  return text.split(char).length - 1;
}

/** The URL if it parses and its scheme is one we allow (never javascript:, data:, ...), else null. */
function safeUrl(raw) {
  try {
    const url = new URL(raw);
    if (!SCHEMES.has(url.protocol)) return null;
    if (url.protocol !== "mailto:" && !url.hostname) return null;
    if (url.protocol === "mailto:" && raw.length <= "mailto:".length) return null;
    return url;
  } catch {
    return null;
  }
}

function anchor(url, raw) {
  const a = document.createElement("a");
  a.href = url.href;
  a.textContent = raw; // as written: the reader sees what the writer typed
  a.target = "_blank";
  a.rel = "noopener noreferrer";
  a.className = "msg-enlace";
  return a;
}
