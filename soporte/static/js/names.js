// Display names: what a person reads for an account, learned from what the server sends.
//
// Usernames stay the ids (data-user, para, con, rooms); wherever a name is shown the page
// asks nameOf(username), which falls back to the username until the display name is known.
// The server sends display names with messages (nombre, de_nombre), typing (nombre), the
// conversation list (/api/conversaciones) and search results.

const known = new Map(); // username -> display name
const listeners = [];

/** Remember an account's display name; listeners hear of a new or changed one. */
export function learnName(username, nombre) {
  if (!username || typeof nombre !== "string" || !nombre.trim() || known.get(username) === nombre) return;
  known.set(username, nombre);
  for (const listener of listeners) listener(username, nombre);
}

/** The display name of an account, or its username while none is known. */
export function nameOf(username) {
  return known.get(username) || username;
}

/** Call listener(username, nombre) whenever a display name is learned. */
export function onNameLearned(listener) {
  listeners.push(listener);
}
