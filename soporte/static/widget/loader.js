/*
 * soporte's snippet: a launcher button and the chat in an iframe served by soporte.
 *
 *   <script src="https://soporte.example/widget.js" async
 *           data-idioma="es" data-posicion="derecha" data-color="#0d6efd" data-saludo="¡Hola!"></script>
 *
 * Dependency-free, no globals but one guard. Everything it adds lives in a shadow root
 * and is styled through element.style (allowed under any CSP of the host), with `all: initial`
 * on its host element, so the host page's CSS can neither break nor see it. The conversation
 * itself stays in the iframe (another origin): the host page's scripts cannot read it.
 *
 * Messages with the iframe (postMessage, checked on both sides):
 *   iframe -> here  {soporte: "listo"} | {soporte: "no_leidos", n} | {soporte: "cerrar"}
 *                   | {soporte: "guardar", token}  (a guest's token, when the browser gives the frame no storage)
 *   here -> iframe  {soporte: "identidad", id?, nombre?, email?, hash?, token?} | {soporte: "abierto", abierto}
 * The verified identity (data-usuario-*) goes only by postMessage to soporte's origin, never in a URL.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__soporteWidget) return; // pasted twice: one launcher
  window.__soporteWidget = true;

  var data = script.dataset;
  var ORIGIN = new URL(script.src, location.href).origin;
  var TEXTS = {
    es: { abrir: "Abrir el chat de soporte", cerrar: "Cerrar el chat de soporte", titulo: "Chat de soporte",
      uno: "1 mensaje sin leer", varios: "{n} mensajes sin leer" },
    en: { abrir: "Open the support chat", cerrar: "Close the support chat", titulo: "Support chat",
      uno: "1 unread message", varios: "{n} unread messages" },
  };
  var pageLang = (data.idioma || document.documentElement.lang || navigator.language || "es").slice(0, 2).toLowerCase();
  var lang = pageLang === "en" ? "en" : "es";
  var text = TEXTS[lang];
  var color = /^#[0-9a-fA-F]{6}$/.test(data.color || "") ? data.color : "#0d6efd";
  var side = data.posicion === "izquierda" ? "left" : "right";
  var sound = data.sonido === "si" || data.sonido === "true" || data.sonido === "1";

  /** Set inline style properties (CSSOM: no <style>, nothing the host's CSP could refuse). */
  function css(element, styles) {
    for (var name in styles) element.style.setProperty(name, styles[name], "important");
    return element;
  }

  var host = css(document.createElement("div"), {
    all: "initial", position: "fixed", bottom: "20px", "z-index": "2147483000",
  });
  host.style.setProperty(side, "20px", "important");
  host.setAttribute("data-soporte-widget", "");
  // open, not closed: the host page's scripts could reach the button either way (it is on their page);
  // what they must not reach is the conversation, and that is in the iframe, another origin
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;

  var params = new URLSearchParams({ lang: lang, color: color });
  if (data.saludo) params.set("greeting", data.saludo.slice(0, 200));
  var frame = css(document.createElement("iframe"), {
    display: "none", position: "absolute", bottom: "72px", width: "370px", height: "560px",
    "max-width": "calc(100vw - 40px)", "max-height": "calc(100vh - 112px)",
    border: "0", "border-radius": "12px", background: "#fff",
    "box-shadow": "0 8px 32px rgba(0,0,0,.25)", "color-scheme": "normal",
  });
  frame.style.setProperty(side, "0", "important");
  frame.title = text.titulo;
  frame.id = "soporte-chat";
  frame.src = ORIGIN + "/widget?" + params.toString();

  var button = css(document.createElement("button"), {
    all: "initial", display: "flex", "align-items": "center", "justify-content": "center",
    position: "relative", width: "56px", height: "56px", "border-radius": "50%", background: color,
    cursor: "pointer", "box-shadow": "0 4px 14px rgba(0,0,0,.3)",
  });
  button.type = "button";
  button.setAttribute("aria-controls", "soporte-chat");
  button.setAttribute("aria-expanded", "false");
  button.appendChild(icon());
  var badge = css(document.createElement("span"), {
    display: "none", position: "absolute", top: "-4px", right: "-4px", "min-width": "20px", height: "20px",
    padding: "0 5px", "box-sizing": "border-box", "border-radius": "10px", background: "#dc3545", color: "#fff",
    font: "bold 12px/20px system-ui, sans-serif", "text-align": "center",
  });
  badge.setAttribute("aria-hidden", "true");
  button.appendChild(badge);
  // a visible ring when focused by keyboard (all: initial took the browser's away)
  button.addEventListener("focus", function () {
    var keyboard = true;
    try { keyboard = button.matches(":focus-visible"); } catch (error) { /* an old browser: always show it */ }
    if (keyboard) css(button, { outline: "3px solid " + color, "outline-offset": "3px" });
  });
  button.addEventListener("blur", function () { button.style.removeProperty("outline"); });

  var open = false;
  var unread = 0;
  var ready = false;
  var TOKEN_KEY = "soporte.widget.token";

  /** The guest's token kept in this site's storage for the iframe (null if none or no storage). */
  function keptToken() {
    try {
      return localStorage.getItem(TOKEN_KEY);
    } catch (error) {
      return null;
    }
  }

  function keepToken(value) {
    try {
      if (typeof value === "string" && value.length < 4096) localStorage.setItem(TOKEN_KEY, value);
      else if (value === null) localStorage.removeItem(TOKEN_KEY);
    } catch (error) {
      /* no storage here either: the guest lasts as long as the page */
    }
  }

  /** A speech bubble drawn with SVG (white on the chosen colour). */
  function icon() {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "28");
    svg.setAttribute("height", "28");
    svg.setAttribute("aria-hidden", "true");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("fill", "#fff");
    path.setAttribute("d", "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z");
    svg.appendChild(path);
    return svg;
  }

  /** The button's accessible name: what it does, and how many messages wait unread. */
  function label() {
    var name = open ? text.cerrar : text.abrir;
    if (unread > 0) name += " (" + (unread === 1 ? text.uno : text.varios.replace("{n}", unread)) + ")";
    button.setAttribute("aria-label", name);
    button.title = name;
    badge.textContent = unread > 99 ? "99+" : String(unread);
    badge.style.setProperty("display", unread > 0 ? "block" : "none", "important");
  }

  function tell(message) {
    if (ready) frame.contentWindow.postMessage(message, ORIGIN);
  }

  function setOpen(value) {
    open = value;
    frame.style.setProperty("display", open ? "block" : "none", "important");
    button.setAttribute("aria-expanded", String(open));
    label();
    tell({ soporte: "abierto", abierto: open });
    if (open) frame.focus();
  }

  /** A short tone for a new message, when data-sonido asks for it (browsers may refuse before a click). */
  function beep() {
    try {
      var Context = window.AudioContext || window.webkitAudioContext;
      var audio = new Context();
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      osc.frequency.value = 880;
      gain.gain.value = 0.05;
      osc.connect(gain);
      gain.connect(audio.destination);
      osc.start();
      osc.stop(audio.currentTime + 0.15);
      osc.onended = function () { audio.close(); };
    } catch (error) {
      /* no sound: the badge still shows it */
    }
  }

  window.addEventListener("message", function (event) {
    // only soporte's iframe speaks to the loader; any other window or origin is ignored
    if (event.origin !== ORIGIN || event.source !== frame.contentWindow) return;
    var message = event.data;
    if (!message || typeof message !== "object") return;
    if (message.soporte === "listo") {
      ready = true;
      var identity = { soporte: "identidad" };
      if (data.usuarioId && data.usuarioHash) {
        identity.id = data.usuarioId;
        identity.hash = data.usuarioHash;
        if (data.usuarioNombre) identity.nombre = data.usuarioNombre;
        if (data.usuarioEmail) identity.email = data.usuarioEmail;
      }
      var token = keptToken();
      if (token) identity.token = token;
      tell(identity);
      tell({ soporte: "abierto", abierto: open });
    } else if (message.soporte === "no_leidos") {
      var n = Math.max(0, Math.floor(Number(message.n)) || 0);
      if (sound && n > unread) beep();
      unread = n;
      label();
    } else if (message.soporte === "guardar") {
      keepToken(message.token);
    } else if (message.soporte === "cerrar") {
      setOpen(false);
      button.focus();
    }
  });

  button.addEventListener("click", function () { setOpen(!open); });
  label();
  root.appendChild(frame);
  root.appendChild(button);

  function mount() { document.body.appendChild(host); }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
