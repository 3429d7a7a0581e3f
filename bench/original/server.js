// The original support chat's design, for the benchmark's comparison: socket.io 4.x,
// JWT HS256 from the `token` cookie or the handshake auth.token, rooms user:<name> and
// admins, relay without waiting on the database, one fire-and-forget INSERT per message.
// Usage: PORT=... JWT_SECRET=... DATABASE_URL=mysql://root@127.0.0.1/db node server.js
"use strict";
const http = require("http");
const jwt = require("jsonwebtoken");
const mysql = require("mysql2");
const { Server } = require("socket.io");

const { PORT = "3000", JWT_SECRET, DATABASE_URL, INBOX = "admin" } = process.env;
const TABLE = "mensajes_original"; // its own table: the bench database also holds soporte's
const pool = mysql.createPool({ uri: DATABASE_URL, connectionLimit: 10, charset: "utf8mb4" });

function cookieToken(header) {
  // the cookie wins over auth.token, as the protocol says
  const m = /(?:^|;\s*)token=([^;]+)/.exec(header || "");
  return m ? decodeURIComponent(m[1]) : null;
}

const server = http.createServer((req, res) => {
  // /login answers 200 so the bench can wait for the port the same way for both servers
  res.writeHead(200, { "Content-Type": "text/plain" });
  res.end("ok");
});
const io = new Server(server, { cors: { origin: true, credentials: true } });

io.use((socket, next) => {
  const header = socket.handshake.headers.cookie;
  const t = cookieToken(header) || (socket.handshake.auth && socket.handshake.auth.token);
  if (!t) return next(new Error(header ? "Token no proporcionado" : "No autenticado"));
  try {
    socket.data.user = jwt.verify(t, JWT_SECRET, { algorithms: ["HS256"] });
    next();
  } catch (e) {
    next(new Error("Token inválido"));
  }
});

io.on("connection", (socket) => {
  const { user, rol } = socket.data.user;
  socket.join(`user:${user}`);
  if (rol === "admin") socket.join("admins");
  socket.on("mensaje_privado", (data, ack) => {
    const reply = typeof ack === "function" ? ack : () => {};
    const para = data && data.para;
    const mensaje = data && typeof data.mensaje === "string" ? data.mensaje : "";
    if (!para || !mensaje.trim() || mensaje.length > 2000) return reply({ ok: false, error: "Mensaje no válido" });
    if (rol !== "admin" && para !== INBOX) return reply({ ok: false, error: "Solo puedes escribir a soporte" });
    const fecha = new Date();
    const payload = { de: user, mensaje, para, fecha: fecha.toISOString() };
    if (rol === "admin") {
      io.to(`user:${para}`).emit("mensaje_recibido", payload);
      socket.to("admins").except(`user:${para}`).emit("mensaje_enviado", payload);
    } else {
      io.to("admins").to(`user:${para}`).emit("mensaje_recibido", payload); // one copy per socket
    }
    // fire and forget: delivery never waits on the database
    pool.query(`INSERT INTO ${TABLE} (de_usuario, para_usuario, mensaje, fecha) VALUES (?, ?, ?, ?)`,
      [user, para, mensaje, fecha], (err) => { if (err) console.error("insert failed:", err.message); });
    reply({ ok: true, fecha: payload.fecha });
  });
});

pool.query(`CREATE TABLE IF NOT EXISTS ${TABLE} (id INT AUTO_INCREMENT PRIMARY KEY,
  de_usuario VARCHAR(100) NOT NULL, para_usuario VARCHAR(100) NOT NULL, mensaje TEXT NOT NULL,
  fecha DATETIME(6) NOT NULL) CHARACTER SET utf8mb4`, (err) => {
  if (err) { console.error(err.message); process.exit(1); }
  server.listen(Number(PORT), "127.0.0.1");
});
