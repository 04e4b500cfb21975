/**
 * The console's one way to build DOM: `h()` creates elements, sets attributes with
 * setAttribute and text with text nodes, so whatever a value holds is shown as text, never
 * parsed as markup. There is no innerHTML anywhere in the console; event handlers are
 * functions passed in `on`, never attribute strings (the CSP forbids inline script anyway).
 */
export type Child = Node | string | number | null | undefined | false | readonly Child[];
type AttrValue = string | number | boolean | null | undefined;
export type Attrs = { readonly [name: string]: AttrValue | Listeners } & { readonly on?: Listeners };
type Listeners = { readonly [event: string]: (event: Event) => void };

const SVG_NS = 'http://www.w3.org/2000/svg';
const ATTR_NAME = /^[a-zA-Z][a-zA-Z0-9:-]*$/;

function setAttrs(el: Element, attrs: Attrs | null | undefined): void {
  if (attrs === null || attrs === undefined) return;
  for (const [name, value] of Object.entries(attrs)) {
    if (name === 'on') {
      for (const [event, fn] of Object.entries(value as Listeners)) el.addEventListener(event, fn);
      continue;
    }
    // An attribute name is code, not data: only plain names, and no inline handler or style.
    if (!ATTR_NAME.test(name) || /^on/i.test(name) || name === 'style') throw new Error(`refused attribute name ${name}`);
    if (value === null || value === undefined || value === false) continue;
    el.setAttribute(name, value === true ? '' : String(value));
  }
}

function append(el: Element, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child as readonly Child[]);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

/** An SVG element (charts): the same rules as `h`. */
export function s<K extends keyof SVGElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

/** Replaces an element's content. */
export function mount(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** A table with a caption, a header row and body rows. */
export function table(caption: string, head: readonly string[], rows: readonly (readonly Child[])[]): HTMLElement {
  return h('div', { class: 'table-wrap' }, h('table', null,
    h('caption', null, caption),
    h('thead', null, h('tr', null, head.map((label) => h('th', { scope: 'col' }, label)))),
    h('tbody', null, rows.map((cells) => h('tr', null, cells.map((cell) => h('td', null, cell)))))));
}

/** A labelled form field: the label names the control, the hint is read with it. */
export function field(label: string, control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, hint?: string): HTMLElement {
  const id = control.id === '' ? `f-${Math.random().toString(36).slice(2, 10)}` : control.id;
  control.id = id;
  const hintEl = hint === undefined ? null : h('span', { class: 'hint', id: `${id}-hint` }, hint);
  if (hintEl !== null) control.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hintEl);
}
