// Attachments: files chosen, dropped or pasted, uploaded with their progress shown, sent with a message,
// and drawn in messages (an image's thumbnail opening the full size; any other file a download link).
//
// A message's text carries one line per attachment for pages that show text only (docs/protocol.md,
// "Adjuntos"); this page drops those last lines and draws the files instead. Text goes in through
// textContent only.
//
// A page authenticated by the bearer header (the widget, rest.js useBearer) cannot point an <img> or
// a link at /api/adjuntos: they would go without the header. There the files are fetched with it and
// shown through blob: URLs (its CSP allows img-src blob:), a full-size image in a dialog inside the
// page, a file saved through a temporary <a download>. The cookie page keeps plain URLs.
import { el } from "./dom.js";
import { locale, t } from "./i18n.js";
import { authHeaders, bearerFetch, usesBearer, withLanguage } from "./rest.js";

/** A size in bytes as people read it: "820 B", "14 KB", "1,2 MB". */
export function formatSize(bytes) {
  const units = ["B", "KB", "MB", "GB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit > 0 && value < 10 ? 1 : 0;
  return `${value.toLocaleString(locale, { maximumFractionDigits: digits })} ${units[unit]}`;
}

/** A message's text without the link lines the server added for its n attachments. */
export function withoutLinkLines(text, n) {
  if (!n) return text;
  const lines = (text || "").split("\n");
  return lines.slice(0, Math.max(0, lines.length - n)).join("\n");
}

// one link line as the server writes it (soporte/files/attachments.py): "📎 <name>: /api/adjuntos/<id>"
const LINK_LINE = /^(📎 .+): \/api\/adjuntos\/[\w-]+$/u;

/** A message's text for a preview (the list, a notification): each link line as the file's name alone. */
export function previewText(text) {
  return String(text || "").split("\n").map((line) => line.replace(LINK_LINE, "$1")).join("\n");
}

/** The attachments of a message, drawn; base is the API's /api/adjuntos. */
export function renderAttachments(adjuntos, base) {
  const list = el("ul", "adjuntos list-unstyled mb-0");
  const bearer = usesBearer();
  for (const a of adjuntos) {
    const url = `${base}/${encodeURIComponent(a.id)}`;
    const item = el("li", "adjunto");
    if (a.miniatura) {
      const link = el("a", "adjunto-imagen");
      link.href = url;
      link.title = t("Abrir {nombre} a tamaño completo", { nombre: a.nombre });
      const image = el("img", "adjunto-miniatura");
      image.alt = a.nombre;
      if (bearer) {
        showFetched(image, `${url}/miniatura`);
        link.addEventListener("click", (event) => {
          event.preventDefault();
          showFullSize(url, a.nombre);
        });
      } else {
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        image.src = `${url}/miniatura`;
        image.loading = "lazy";
      }
      link.append(image);
      item.append(link);
    } else {
      const link = el("a", "adjunto-archivo");
      link.href = url;
      link.download = a.nombre;
      if (bearer) {
        link.addEventListener("click", (event) => {
          event.preventDefault();
          download(url, a.nombre, link);
        });
      }
      const icon = el("span", "adjunto-icono");
      icon.setAttribute("aria-hidden", "true");
      link.append(icon, el("span", "adjunto-nombre", a.nombre),
        el("span", "adjunto-tamano", formatSize(a.tamano)));
      link.title = t("Descargar {nombre}", { nombre: a.nombre });
      item.append(link);
    }
    list.append(item);
  }
  return list;
}

/** A file of the API fetched with the bearer header, as a blob: URL (the caller revokes it). */
async function blobUrl(url) {
  const response = await bearerFetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return URL.createObjectURL(await response.blob());
}

/**
 * An <img> of the bearer page, its pixels fetched with the header. The blob: URL is revoked once the
 * image has decoded (the element keeps its pixels): nothing to track until the element goes.
 */
function showFetched(image, url) {
  blobUrl(url).then((src) => {
    const done = () => URL.revokeObjectURL(src);
    image.addEventListener("load", done, { once: true });
    image.addEventListener("error", done, { once: true });
    image.src = src;
  }).catch(() => {
    image.classList.add("adjunto-fallido");
    image.title = t("No se pudo cargar la imagen");
  });
}

/**
 * The full-size image in a dialog inside the page. Not a new tab: a blob: URL made in the widget's
 * third-party frame belongs to that frame's storage partition, and a top-level tab does not open it
 * (nor may a frame on another site count on opening popups); the dialog needs neither.
 */
async function showFullSize(url, nombre) {
  const dialog = fullSizeDialog();
  const image = dialog.querySelector("img");
  const caption = dialog.querySelector(".adjunto-visor-nombre");
  image.removeAttribute("src");
  image.alt = nombre;
  caption.textContent = nombre;
  dialog.showModal();
  try {
    const src = await blobUrl(url);
    if (!dialog.open) {
      URL.revokeObjectURL(src);
      return;
    }
    dialog.dataset.src = src;
    image.src = src;
  } catch (error) {
    caption.textContent = t("No se pudo cargar la imagen");
  }
}

let viewer = null; // the bearer page's one full-size dialog, made the first time
const DOWNLOAD_REVOKE_MS = 60 * 1000; // how long a downloaded file's blob: URL lives

function fullSizeDialog() {
  if (viewer) return viewer;
  viewer = el("dialog", "adjunto-visor p-0");
  viewer.setAttribute("aria-label", t("Imagen a tamaño completo"));
  const close = el("button", "btn-close adjunto-visor-cerrar");
  close.type = "button";
  close.setAttribute("aria-label", t("Cerrar la imagen"));
  close.addEventListener("click", () => viewer.close());
  const figure = el("figure", "m-0");
  figure.append(el("img", "adjunto-visor-imagen"), el("figcaption", "adjunto-visor-nombre small text-truncate"));
  viewer.append(close, figure);
  viewer.addEventListener("keydown", (event) => {
    // the dialog's Escape closes the image only, not the whole widget (widget.js skips a handled one)
    if (event.key !== "Escape") return;
    event.preventDefault();
    viewer.close();
  });
  viewer.addEventListener("click", (event) => {
    if (event.target === viewer) viewer.close(); // a click beside the image
  });
  viewer.addEventListener("close", () => {
    if (viewer.dataset.src) URL.revokeObjectURL(viewer.dataset.src); // the image goes with the dialog
    delete viewer.dataset.src;
    viewer.querySelector("img").removeAttribute("src");
  });
  document.body.append(viewer);
  return viewer;
}

/** Save a file of the bearer page: fetched with the header, handed to a temporary <a download>. */
async function download(url, nombre, link) {
  if (link.getAttribute("aria-busy") === "true") return;
  link.setAttribute("aria-busy", "true");
  try {
    const src = await blobUrl(url);
    const save = el("a");
    save.href = src;
    save.download = nombre;
    save.hidden = true;
    document.body.append(save);
    save.click();
    save.remove();
    // some browsers read the blob after click() returns (FileSaver.js waits 40 s): a minute is safe
    setTimeout(() => URL.revokeObjectURL(src), DOWNLOAD_REVOKE_MS);
  } catch (error) {
    link.title = t("No se pudo descargar el archivo");
  } finally {
    link.removeAttribute("aria-busy");
  }
}

/**
 * The composer's pending attachments: a chip each, with its upload's progress, removable until sent.
 * conversation(): the customer whose conversation gets the files (agents: the open one; null: none open).
 */
export class PendingAttachments {
  constructor({ url, csrf, max, maxSize, chips, button, picker, dropZones, input, conversation, onChange }) {
    this.url = url;
    this.csrf = csrf;
    this.max = max;
    this.maxSize = maxSize;
    this.chips = chips;
    this.button = button;
    this.conversation = conversation;
    this.onChange = onChange || (() => {});
    this.items = []; // {file, chip, xhr, id, meta, error}
    this.enabled = true;
    button.addEventListener("click", () => picker.click());
    picker.addEventListener("change", () => {
      this.add([...picker.files]);
      picker.value = ""; // the same file may be chosen again
    });
    for (const zone of dropZones) this.acceptDrops(zone);
    input.addEventListener("paste", (event) => {
      const files = [...(event.clipboardData?.files || [])];
      if (!files.length) return;
      if (!event.clipboardData.getData("text")) event.preventDefault(); // a screenshot: no text to paste
      this.add(files);
    });
  }

  /** Files dragged onto a zone (the conversation, the composer) become attachments. */
  acceptDrops(zone) {
    const carriesFiles = (event) => [...(event.dataTransfer?.types || [])].includes("Files");
    zone.addEventListener("dragover", (event) => {
      if (!carriesFiles(event) || !this.enabled) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
      zone.classList.add("arrastrando");
    });
    zone.addEventListener("dragleave", () => zone.classList.remove("arrastrando"));
    zone.addEventListener("drop", (event) => {
      zone.classList.remove("arrastrando");
      if (!carriesFiles(event) || !this.enabled) return;
      event.preventDefault();
      this.add([...event.dataTransfer.files]);
    });
  }

  /** Open or close attaching (an agent with no conversation open). */
  setEnabled(enabled) {
    this.enabled = enabled;
    this.button.disabled = !enabled;
  }

  /** Start uploading files, each as a chip; over the count or the size, a chip that says why. */
  add(files) {
    for (const file of files) {
      const item = { file, chip: null, xhr: null, id: null, error: null };
      item.chip = this.chip(item);
      this.items.push(item);
      this.chips.append(item.chip);
      if (this.items.filter((i) => !i.error).length > this.max) {
        this.fail(item, t("Como mucho {n} archivos por mensaje", { n: this.max }));
      } else if (file.size > this.maxSize) {
        this.fail(item, t("El archivo supera el tamaño máximo ({tamano})", { tamano: formatSize(this.maxSize) }));
      } else {
        this.upload(item);
      }
    }
    this.changed();
  }

  chip(item) {
    const chip = el("li", "adjunto-pendiente");
    chip.dataset.estado = "subiendo";
    const name = el("span", "adjunto-nombre text-truncate", item.file.name || t("imagen pegada"));
    const size = el("span", "adjunto-tamano", formatSize(item.file.size));
    const progress = el("progress", "adjunto-progreso");
    progress.max = 100;
    progress.value = 0;
    progress.setAttribute("aria-label", t("Subiendo {nombre}", { nombre: name.textContent }));
    const state = el("span", "adjunto-estado small");
    const remove = el("button", "btn-close adjunto-quitar");
    remove.type = "button";
    remove.setAttribute("aria-label", t("Quitar {nombre}", { nombre: name.textContent }));
    remove.addEventListener("click", () => this.remove(item));
    chip.append(name, size, progress, state, remove);
    return chip;
  }

  /** POST one file with XMLHttpRequest, whose upload events give the progress (fetch has none). */
  upload(item) {
    const form = new FormData();
    form.append("archivo", item.file, item.file.name || "imagen.png");
    const con = this.conversation();
    if (con) form.append("con", con);
    const xhr = new XMLHttpRequest();
    item.xhr = xhr;
    const progress = item.chip.querySelector("progress");
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) progress.value = Math.round((100 * event.loaded) / event.total);
    });
    xhr.addEventListener("load", () => {
      item.xhr = null;
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch (error) {
        /* not JSON: a proxy's page */
      }
      if (xhr.status === 201 && body && body.id) {
        item.id = body.id;
        item.meta = body; // {id, nombre, tipo, tamano, miniatura}: as the message will carry it
        item.chip.dataset.estado = "listo";
        item.chip.dataset.id = body.id;
        progress.value = 100;
        item.chip.querySelector(".adjunto-estado").textContent = t("Listo");
      } else {
        this.fail(item, uploadError(xhr.status, body));
      }
      this.changed();
    });
    xhr.addEventListener("error", () => {
      item.xhr = null;
      this.fail(item, t("No se pudo subir el archivo; comprueba la conexión"));
      this.changed();
    });
    xhr.open("POST", withLanguage(this.url));
    // the page's credential: the bearer header (the widget), or the cookie guarded by the CSRF token
    for (const [name, value] of Object.entries(authHeaders())) xhr.setRequestHeader(name, value);
    if (!usesBearer()) xhr.setRequestHeader("X-CSRFToken", this.csrf);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.send(form);
  }

  fail(item, text) {
    item.error = text;
    item.chip.dataset.estado = "error";
    item.chip.querySelector("progress").hidden = true;
    const state = item.chip.querySelector(".adjunto-estado");
    state.textContent = text;
    state.classList.add("text-danger");
    state.setAttribute("role", "alert");
  }

  remove(item) {
    item.xhr?.abort();
    item.chip.remove();
    this.items = this.items.filter((i) => i !== item);
    this.changed();
  }

  changed() {
    this.chips.hidden = this.items.length === 0;
    this.onChange();
  }

  /** The ids of the uploaded attachments, in the order chosen. */
  ids() {
    return this.items.filter((i) => i.id).map((i) => i.id);
  }

  /** The uploaded attachments as a message carries them, for the sender's own copy on its way. */
  described() {
    return this.items.filter((i) => i.id).map((i) => i.meta);
  }

  /** Whether an upload is still on its way (a message waits for it). */
  busy() {
    return this.items.some((i) => i.xhr);
  }

  /** After a send, or a conversation changed: no chips (an upload on its way is abandoned). */
  clear() {
    for (const item of this.items) item.xhr?.abort();
    this.items = [];
    this.chips.replaceChildren();
    this.changed();
  }
}

/** The page's text for a refused upload: the server's reason when it gave one. */
function uploadError(status, body) {
  if (status === 413) return t("El archivo es demasiado grande");
  if (status === 415) return body?.error === "La imagen no es válida" ? t("La imagen no es válida") : t("Ese tipo de archivo no está permitido");
  if (status === 429) return t("Demasiados archivos seguidos; espera un momento");
  if (status === 401) return t("Sesión caducada");
  return (body && body.error && t(body.error)) || t("No se pudo subir el archivo");
}
