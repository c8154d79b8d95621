// DOM helpers: element construction that shows untrusted text visibly
// (web/text.js), definition lists, digests with a copy button.
import { appendVisible, visibleText } from '../text.js';
import { short } from './format.js';

/** `document.querySelector`. */
export const $ = (sel) => document.querySelector(sel);

/** Attributes whose string value is shown to the user as a tooltip or label. */
const SHOWN_ATTRIBUTES = new Set(['title', 'aria-label', 'alt', 'placeholder']);

/**
 * Creates `<tag>` with `props` and `children`. Strings among the children
 * are inserted as text with web/text.js's visible markers (control, bidi
 * and raw-byte characters shown as escapes), never as HTML; `text` sets
 * plain `textContent` (file contents, where newlines are wanted); `title`
 * and other shown attributes get the same escapes as plain strings; `on…`
 * adds a listener; `dataset` sets data attributes.
 */
export function h(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k === 'style') Object.assign(e.style, v);
    else e.setAttribute(k, v === true ? '' : SHOWN_ATTRIBUTES.has(k) ? visibleText(String(v)) : String(v));
  }
  append(e, children);
  return e;
}

/** Appends children (nodes, or strings shown through text.js) to `parent`. */
export function append(parent, ...children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    if (c instanceof Node) parent.append(c);
    else appendVisible(parent, String(c));
  }
  return parent;
}

/** Replaces `parent`'s children (strings shown through text.js). */
export function replace(parent, ...children) {
  parent.replaceChildren();
  return append(parent, ...children);
}

/** Fills a `<dl>` with `[term, value]` rows, skipping empty values. */
export function dl(target, rows) {
  target.replaceChildren();
  for (const [k, v] of rows) {
    if (v === undefined || v === null || v === '' || (Array.isArray(v) && !v.length)) continue;
    target.append(h('dt', {}, k), h('dd', {}, v));
  }
  return target;
}

/** A `<ul>` of items. */
export function list(items) {
  return h('ul', {}, items.map((i) => h('li', {}, i)));
}

/**
 * A non-modal fallback when the clipboard cannot be written: a small
 * panel beside `anchor` holding the value selected in a read-only field,
 * closed by Escape, its button, or focus leaving it.
 */
function copyFallback(anchor, value, label) {
  document.querySelector('.copy-fallback')?.remove();
  const field = h('input', { type: 'text', readonly: true, value, 'aria-label': label, spellcheck: 'false' });
  const close = () => { panel.remove(); anchor.focus({ preventScroll: true }); };
  const panel = h('div', { class: 'copy-fallback', role: 'dialog', 'aria-label': `Copy ${label}`, 'aria-modal': 'false',
    onkeydown: (e) => { if (e.key === 'Escape') { e.preventDefault(); close(); } },
    onfocusout: (e) => { if (!panel.contains(e.relatedTarget)) panel.remove(); } },
  h('span', { class: 'small' }, `Press Ctrl+C to copy the ${label}`), field,
  h('button', { type: 'button', class: 'btn small', onclick: close }, 'Close'));
  const r = anchor.getBoundingClientRect();
  panel.style.top = `${Math.round(r.bottom + window.scrollY + 4)}px`;
  panel.style.left = `${Math.round(Math.max(8, Math.min(r.left + window.scrollX, window.innerWidth - 420)))}px`;
  document.body.append(panel);
  field.focus();
  field.select();
}

/** A "copy" button for `value`; `label` names it (e.g. `layer 3 digest`). */
export function copyButton(value, label) {
  return h('button', {
    type: 'button', class: 'copy', title: `Copy ${label}: ${value}`, 'aria-label': `Copy ${label}`,
    onclick: async (e) => {
      e.stopPropagation();
      const btn = e.currentTarget;
      try {
        await navigator.clipboard.writeText(value);
        btn.textContent = 'copied';
        setTimeout(() => { btn.textContent = 'copy'; }, 1200);
      } catch {
        copyFallback(btn, value, label);
      }
    },
  }, 'copy');
}

/** A digest shortened to 12 hex digits, the full one in `data-full`, with a copy button. */
export function digestCell(digest, label) {
  if (!digest) return h('span', { class: 'muted' }, '—');
  return h('span', { class: 'digest', title: digest, dataset: { full: digest } }, short(digest), copyButton(digest, label));
}

/** Resolves after the next frame is painted (or 100 ms, in a hidden tab). */
export function afterPaint() {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 100);
    requestAnimationFrame(() => setTimeout(() => { clearTimeout(timer); resolve(); }, 0));
  });
}
