// The page's one Socket.IO connection: one dispatch table for the server's events,
// one request() with the one ack timeout. Features never touch the socket itself.
//
// The vendored client (socket.io.min.js, a classic script) defines the global `io`.

const ACK_TIMEOUT_MS = 10000;

// reconnect soon after a server restart; the randomisation spreads the clients out
const socket = io({ autoConnect: false, reconnectionDelay: 500, reconnectionDelayMax: 3000 });
const handlers = new Map(); // event name -> handlers, in the order they registered

/** Register handler(...args) for a server event (or connect, disconnect, connect_error). */
export function on(event, handler) {
  let registered = handlers.get(event);
  if (!registered) {
    registered = [];
    handlers.set(event, registered);
    socket.on(event, (...args) => {
      for (const each of registered) each(...args);
    });
  }
  registered.push(handler);
}

/**
 * Emit an event that the server acknowledges; done(err, ack) gets err when no ack came in time.
 * Without a payload (undefined) the event carries none, as the server's handler expects.
 */
export function request(event, payload, done) {
  const args = payload === undefined ? [] : [payload];
  socket.timeout(ACK_TIMEOUT_MS).emit(event, ...args, done);
}

/** Emit an event that the server does not acknowledge. */
export function emit(event, payload) {
  socket.emit(event, payload);
}

/** Whether the socket is up now. */
export function isConnected() {
  return socket.connected;
}

/** Whether the client still tries to (re)connect on its own (false once the server refused it). */
export function isRetrying() {
  return socket.active;
}

/**
 * Authenticate with a token instead of the login cookie (the embeddable widget, where the browser
 * blocks third-party cookies): token() is asked again at each (re)connection.
 */
export function useToken(token) {
  socket.auth = (send) => send({ token: token(), widget: true }); // widget: the server ignores any cookie
}

/** Open the connection (the page does it once its features have registered). */
export function connect() {
  socket.connect();
}

// the server closed this socket itself, so the client will not come back on its own
on("disconnect", (reason) => {
  if (reason === "io server disconnect") setTimeout(() => socket.connect(), 1000);
});
