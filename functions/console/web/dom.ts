/**
 * A tiny element builder: text is always set as text (never parsed as HTML),
 * so nothing the API returns can inject markup or script.
 */
type Attrs = Record<string, string | number | boolean | undefined | null | ((e: Event) => void)>;
export type Child = Node | string | number | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === "function") el.addEventListener(name.replace(/^on/, ""), value);
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

let ids = 0;
/** A unique id for label and region wiring. */
export const uid = (prefix: string) => `${prefix}-${++ids}`;

/** A labelled field: `<label for>` and its control, in one block. */
export function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  const id = control.id || uid("f");
  control.id = id;
  const hintEl = hint ? h("span", { class: "hint", id: `${id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute("aria-describedby", hintEl.id);
  return h("div", { class: "field" }, h("label", { for: id }, label), control, hintEl);
}

/** A region named by its heading (role region with that name). */
export function region(name: string, ...children: (Child | Child[])[]): HTMLElement {
  const id = uid("r");
  return h("section", { "aria-labelledby": id }, h("h2", { id }, name), ...children);
}

export function select(
  name: string,
  options: [value: string, label: string][],
  value = "",
): HTMLSelectElement {
  const el = h("select", { name });
  for (const [v, label] of options) el.append(h("option", { value: v, selected: v === value }, label));
  return el;
}
