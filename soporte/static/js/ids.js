// Ids on the page: the server's message ids, and the client ids of own messages.

/** Order two message ids: numbers, or strings of digits, of any length. */
export function compareIds(a, b) {
  const x = String(a);
  const y = String(b);
  return x.length - y.length || (x < y ? -1 : x > y ? 1 : 0);
}

/** A client id for a message, so that a retry is recognised (works without HTTPS too). */
export function newCid() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
