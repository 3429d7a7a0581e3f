// Building the page's elements; text only ever goes in through textContent.

/** A new element with classes and, optionally, its text. */
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}
