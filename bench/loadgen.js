// Open-loop load for soporte: customers write to the inbox at a fixed offered rate,
// agents receive; prints one JSON line with rates and send->agent latencies.
// Usage: node loadgen.js < config.json  (see bench/run.py)
"use strict";
const { io } = require("socket.io-client");

const cfg = JSON.parse(require("fs").readFileSync(0, "utf8")); // config on stdin
const { url, userTokens, agentTokens, rate, seconds, mode = "load", inbox = "admin" } = cfg;
const userUrls = cfg.userUrls || [url]; // several processes: customers spread over them
const now = () => performance.now();
const runId = `r${Date.now().toString(36)}${process.pid}`;

function connect(token, i = 0, urls = [url]) {
  return new Promise((resolve, reject) => {
    const s = io(urls[i % urls.length], { transports: ["websocket"], auth: { token }, reconnection: false, timeout: 60000 });
    s.once("connect", () => resolve(s));
    s.once("connect_error", (e) => reject(new Error("connect_error: " + e.message)));
  });
}

async function connectAll(tokens, parallel = 200, urls = [url]) {
  const sockets = [];
  for (let i = 0; i < tokens.length; i += parallel) {
    sockets.push(...(await Promise.all(tokens.slice(i, i + parallel).map((t, j) => connect(t, i + j, urls)))));
  }
  return sockets;
}

function say(line) {
  process.stdout.write(JSON.stringify(line) + "\n"); // synchronous to a pipe on Linux
}

function percentile(sorted, p) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function idle() {
  // connection capacity: open every socket, report the time, hold them, then close
  const t0 = now();
  const sockets = await connectAll(userTokens, 500);
  const connectMs = now() - t0;
  say({ event: "connected", sockets: sockets.length, connect_ms: connectMs });
  await new Promise((r) => setTimeout(r, seconds * 1000));
  sockets.forEach((s) => s.close());
  return { sockets: sockets.length, connect_ms: connectMs, cpu: process.cpuUsage() };
}

async function load() {
  const agents = await connectAll(agentTokens);
  const users = await connectAll(userTokens, 200, userUrls);
  const sentAt = new Map();
  const latencies = [];
  let delivered = 0, acked = 0, refused = 0, sent = 0;
  const ackLatencies = [];
  agents.forEach((a) =>
    a.on("mensaje_recibido", (m) => {
      const t = sentAt.get(m.mensaje);
      if (t !== undefined) { latencies.push(now() - t); delivered++; }
    }));
  const cpu0 = process.cpuUsage();
  say({ event: "sending" }); // the runner samples the server's CPU over the send window
  const start = now();
  const end = start + seconds * 1000;
  await new Promise((resolve) => {
    const tick = () => {
      const t = now();
      const due = Math.min(Math.floor(((Math.min(t, end) - start) / 1000) * rate), rate * seconds);
      while (sent < due) {
        const text = `${runId}-${sent}`; // unique across steps: a repeated cid is a retry
        const sender = users[sent % users.length];
        const t1 = now();
        sentAt.set(text, t1);
        sender.emit("mensaje_privado", { para: inbox, mensaje: text, cid: text }, (ack) => {
          if (ack && ack.ok) { acked++; ackLatencies.push(now() - t1); } else refused++;
        });
        sent++;
      }
      // a 1 ms timer, not setImmediate: spinning would take a core from the server
      if (t >= end) resolve(); else setTimeout(tick, 1);
    };
    tick();
  });
  const sendEnd = now();
  say({ event: "sent" });
  // wait for the tail: every copy delivered and acked, or 10 s
  const expected = sent * agents.length;
  const drainStart = now();
  while ((delivered < expected || acked + refused < sent) && now() - drainStart < 10000) {
    await new Promise((r) => setTimeout(r, 20));
  }
  const cpu = process.cpuUsage(cpu0);
  latencies.sort((a, b) => a - b);
  ackLatencies.sort((a, b) => a - b);
  const wall = (now() - start) / 1000;
  [...agents, ...users].forEach((s) => s.close());
  return {
    offered: rate, seconds, sent, acked, refused,
    delivered_copies: delivered, expected_copies: expected,
    send_seconds: (sendEnd - start) / 1000,
    delivered_per_s: delivered / agents.length / ((sendEnd - start) / 1000),
    p50: percentile(latencies, 50), p90: percentile(latencies, 90),
    p99: percentile(latencies, 99), max: latencies[latencies.length - 1] ?? null,
    ack_p50: percentile(ackLatencies, 50), ack_p99: percentile(ackLatencies, 99),
    loadgen_cpu_pct: ((cpu.user + cpu.system) / 1e6 / wall) * 100,
  };
}

(mode === "idle" ? idle() : load())
  .then((r) => { say({ event: "result", ...r }); process.exit(0); })
  .catch((e) => { process.stderr.write(String(e.stack || e) + "\n"); process.exit(1); });
