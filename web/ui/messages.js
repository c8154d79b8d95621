// The banner (errors, notices) and the busy line.
import { $, h, replace } from './dom.js';
import { state } from './state.js';

/** Shows the banner: `kind` is `error` or `info`. */
export function showBanner(kind, title, text) {
  const b = $('#banner');
  b.className = `banner ${kind}`;
  replace(b, h('strong', {}, title), text ? ` ${text}` : '');
  b.hidden = false;
}

/** Shows an error (a worker `Error` with `name`, `message`, `details`) in the banner. */
export function showError(e, context = '') {
  if (e?.name === 'AbortError') return;
  const message = String(e?.message || e);
  const details = e?.details ? Object.entries(e.details)
    .filter(([k, v]) => k !== 'kind' && !message.includes(String(v)))
    .map(([k, v]) => `${k}: ${v}`).join(', ') : '';
  const b = $('#banner');
  b.className = 'banner error';
  replace(b, h('strong', {}, `${context}${e?.name || 'Error'}:`), ` ${message}`, details ? h('span', { class: 'details' }, `(${details})`) : '');
  b.hidden = false;
}

/** Hides the banner. */
export function hideBanner() { $('#banner').hidden = true; }

/** Shows `text` on the busy line, or hides it for ''. */
export function busy(text) {
  $('#busy').hidden = !text;
  replace($('#busy-text'), text || '');
  updateCancel();
}

/** Cancel is offered while something runs. */
export function updateCancel() {
  $('#cancel').hidden = !(state.scanning || !$('#busy').hidden);
}
