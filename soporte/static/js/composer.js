// The message box and its send button: several lines (Enter sends, Shift+Enter breaks the line),
// the box growing with its text, the counter near the limit, and the refusal over it.
//
// The box has no maxlength: a browser would cut a long paste to fit without a word. Instead
// the text stays whole, and a message over the limit is marked and cannot be sent until
// the writer shortens it.
import { t } from "./i18n.js";

const SHOW_FROM = 0.9; // the counter appears at 90 % of the limit
const MAX_LINES = 8; // the box grows up to this many lines, then scrolls

export class Composer {
  /** input: the message box; button: its send button; counter: the line under it; max: the server's limit. */
  constructor({ input, button, counter, max }) {
    this.input = input;
    this.button = button;
    this.counter = counter;
    this.max = max;
    this.enabled = true;
    this.attachments = () => ({ ready: false, busy: false }); // files ready to go with the text, or still uploading
    input.addEventListener("input", () => this.refresh());
    // on the form, so the box's own listeners (the canned-reply picker's Enter) run first
    input.form.addEventListener("keydown", (event) => {
      if (event.target === input) sendOnEnter(event, input.form);
    });
  }

  /** Characters in the box, counted as the server counts them: code points. */
  length() {
    return [...this.input.value].length;
  }

  /** Whether the box holds more than the server takes. */
  tooLong() {
    return this.length() > this.max;
  }

  /** Whether the box has something the server would take. */
  sendable() {
    const { ready, busy } = this.attachments();
    return (this.input.value.trim() !== "" || ready) && !busy && !this.tooLong();
  }

  /** Open or close the box (an agent with no conversation open has nowhere to write). */
  setEnabled(enabled) {
    this.enabled = enabled;
    this.input.disabled = !enabled;
    this.refresh();
  }

  /** Show the counter and the over-limit state for what the box holds now. */
  refresh() {
    const used = this.length();
    const over = used - this.max;
    this.counter.hidden = used < this.max * SHOW_FROM;
    this.counter.textContent = over > 0 ? overText(used, this.max, over) : `${used} / ${this.max}`;
    this.counter.classList.toggle("text-danger", over > 0);
    this.input.classList.toggle("is-invalid", over > 0);
    if (over > 0) this.input.setAttribute("aria-invalid", "true");
    else this.input.removeAttribute("aria-invalid");
    const { ready, busy } = this.attachments();
    this.input.required = !ready; // files alone make a message: the browser must not demand text
    this.button.disabled = !this.enabled || over > 0 || busy;
    this.grow();
  }

  /** Fit the box's height to its text, from one line up to MAX_LINES. */
  grow() {
    const { input } = this;
    if (!input.value) {
      input.style.height = ""; // one line (rows="1"), whatever a long placeholder would wrap to
      return;
    }
    const style = getComputedStyle(input);
    const line = parseFloat(style.lineHeight) || 24;
    const frame = parseFloat(style.paddingTop) + parseFloat(style.paddingBottom) +
      parseFloat(style.borderTopWidth) + parseFloat(style.borderBottomWidth);
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight + parseFloat(style.borderTopWidth) +
      parseFloat(style.borderBottomWidth), line * MAX_LINES + frame)}px`;
  }

  /** After a send: an empty box. */
  clear() {
    this.input.value = "";
    this.refresh();
  }
}

/**
 * Enter sends, Shift+Enter breaks the line. Never while an input method composes (Enter then
 * picks the word: isComposing, or keyCode 229 in browsers that end the composition first),
 * nor when another listener took the key already (the canned-reply picker inserting).
 */
export function sendOnEnter(event, form) {
  if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.keyCode === 229) return;
  if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
  event.preventDefault();
  form.requestSubmit();
}

/** The counter's warning over the limit (one character too many reads in the singular). */
function overText(used, max, over) {
  return over === 1
    ? t("{used} / {max}: sobra {over} carácter, no se enviará", { used, max, over })
    : t("{used} / {max}: sobran {over} caracteres, no se enviará", { used, max, over });
}
