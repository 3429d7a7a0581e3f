// Managing the team's labels in a modal <dialog>: create, rename, recolour, delete.
//
// The native dialog gives the keyboard what a modal needs (focus inside, Esc closes).
// Rows follow the store live; a row being edited keeps what the agent typed.
import { el } from "./dom.js";
import { t } from "./i18n.js";
import { COLOUR_NAMES, chip } from "./labels.js";

const OTHER = "otro";

/** A <select> of the palette's colours (and the label's own colour when it is not one of them). */
function colourSelect(palette, current, { other = false } = {}) {
  const select = el("select", "form-select form-select-sm etiqueta-color");
  for (const colour of palette) {
    const option = el("option", "", COLOUR_NAMES[colour] ? COLOUR_NAMES[colour]() : colour);
    option.value = colour;
    select.append(option);
  }
  if (current && !palette.includes(current)) {
    const own = el("option", "", t("Personalizado ({color})", { color: current }));
    own.value = current;
    select.append(own);
  }
  if (other) {
    const option = el("option", "", t("Otro color…"));
    option.value = OTHER;
    select.append(option);
  }
  select.value = current || palette[0];
  return select;
}

export class LabelManager {
  /** store: labels.js's LabelStore; opener: the button that opens the dialog (focus returns to it). */
  constructor({ store, opener }) {
    this.store = store;
    this.dialog = document.getElementById("dialogo-etiquetas");
    this.list = document.getElementById("etiquetas-lista");
    this.empty = document.getElementById("etiquetas-lista-vacia");
    this.error = document.getElementById("etiquetas-gestion-error");
    this.form = document.getElementById("form-etiqueta");
    this.name = document.getElementById("etiqueta-nueva-nombre");
    this.colourSlot = document.getElementById("etiqueta-nueva-color");
    this.custom = document.getElementById("etiqueta-nueva-personalizado");
    this.rows = new Map(); // id -> {row, name, colour, preview, del}
    opener.addEventListener("click", () => this.open());
    document.getElementById("cerrar-etiquetas").addEventListener("click", () => this.dialog.close());
    this.dialog.addEventListener("close", () => opener.focus());
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.create();
    });
    store.onChange((change) => {
      if (change.catalogue && this.dialog.open) this.render();
    });
  }

  open() {
    this.error.hidden = true;
    this.newColour();
    this.render();
    this.dialog.showModal();
    this.name.focus();
  }

  /** The new label's colour: the palette, or any colour with "Otro color…". */
  newColour() {
    const select = colourSelect(this.store.palette, this.colour?.value !== OTHER ? this.colour?.value : null,
      { other: true });
    select.id = "etiqueta-nueva-color-elegido";
    select.addEventListener("change", () => {
      this.custom.hidden = select.value !== OTHER;
    });
    this.colour = select;
    this.colourSlot.replaceChildren(select);
    this.custom.hidden = select.value !== OTHER;
  }

  render() {
    const labels = this.store.sorted();
    const ids = new Set(labels.map((l) => l.id));
    for (const [id, row] of this.rows) {
      if (!ids.has(id)) {
        row.row.remove();
        this.rows.delete(id);
      }
    }
    for (const label of labels) {
      const row = this.rows.get(label.id) || this.makeRow(label);
      this.refreshRow(row, label);
      this.list.append(row.row); // in name order
    }
    this.empty.hidden = labels.length > 0;
  }

  makeRow(label) {
    const row = el("li", "list-group-item d-flex flex-wrap align-items-center gap-2 etiqueta-fila");
    row.dataset.etiqueta = String(label.id);
    const preview = el("span", "etiqueta-muestra");
    const name = el("input", "form-control form-control-sm etiqueta-nombre-campo");
    name.maxLength = 40;
    name.required = true;
    const slot = el("span", "etiqueta-color-campo");
    const save = el("button", "btn btn-sm btn-outline-primary", t("Guardar"));
    save.type = "button";
    const del = el("button", "btn btn-sm btn-outline-danger", t("Borrar"));
    del.type = "button";
    row.append(preview, name, slot, save, del);
    const entry = { row, name, slot, preview, del, colour: null, id: label.id };
    name.addEventListener("input", () => { name.dataset.dirty = "true"; });
    name.addEventListener("keydown", (event) => {
      if (event.key === "Enter") this.save(entry);
    });
    save.addEventListener("click", () => this.save(entry));
    del.addEventListener("click", () => this.remove(entry));
    this.rows.set(label.id, entry);
    return entry;
  }

  refreshRow(entry, label) {
    entry.label = label;
    entry.preview.replaceChildren(chip(label));
    if (entry.name.dataset.dirty !== "true") entry.name.value = label.nombre;
    entry.name.setAttribute("aria-label", t("Nombre de la etiqueta {nombre}", { nombre: label.nombre }));
    if (!entry.colour || entry.colour.dataset.dirty !== "true") {
      entry.colour = colourSelect(this.store.palette, label.color);
      entry.colour.setAttribute("aria-label", t("Color de la etiqueta {nombre}", { nombre: label.nombre }));
      entry.colour.addEventListener("change", () => { entry.colour.dataset.dirty = "true"; });
      entry.slot.replaceChildren(entry.colour);
    }
    entry.del.setAttribute("aria-label", t("Borrar la etiqueta {nombre}", { nombre: label.nombre }));
  }

  async create() {
    const colour = this.colour.value === OTHER ? this.custom.value : this.colour.value;
    this.error.hidden = true;
    try {
      await this.store.create(this.name.value, colour);
      this.name.value = "";
      this.name.focus();
    } catch (error) {
      this.fail(error);
    }
  }

  /** Rename and/or recolour one label: only what changed is sent. */
  async save(entry) {
    const changes = {};
    if (entry.name.value !== entry.label.nombre) changes.nombre = entry.name.value;
    if (entry.colour.value !== entry.label.color) changes.color = entry.colour.value;
    if (!Object.keys(changes).length) return;
    this.error.hidden = true;
    try {
      delete entry.name.dataset.dirty;
      delete entry.colour.dataset.dirty;
      await this.store.update(entry.id, changes);
    } catch (error) {
      entry.name.dataset.dirty = "true";
      this.fail(error);
    }
  }

  /** Delete asks once more on the same button ("¿Borrar?"), so a stray click deletes nothing. */
  async remove(entry) {
    if (entry.del.dataset.confirm !== "true") {
      entry.del.dataset.confirm = "true";
      entry.del.textContent = t("¿Borrar? Se quitará de todas las conversaciones");
      return;
    }
    this.error.hidden = true;
    try {
      await this.store.delete(entry.id);
      this.name.focus();
    } catch (error) {
      this.fail(error);
    }
  }

  fail(error) {
    this.error.textContent = t(error.message);
    this.error.hidden = false;
  }
}
