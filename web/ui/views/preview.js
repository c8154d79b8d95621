// The preview pane: the selected entry's metadata (from the layer or the
// merged image), and its first MiB as text with line numbers, an image,
// or hex; plus downloads of the whole file.
import { $, h, dl, list } from '../dom.js';
import { num, formatBytes, count, cleanCommand, modeString, isoTime } from '../format.js';
import { state, on } from '../state.js';
import { primary } from '../workers.js';
import { showError } from '../messages.js';

const PREVIEW_MAX = 1 << 20;

let timer = 0;
let token = 0;
let objectUrl = null;
/** A preview asked for in a layer still being verified: `{layer, info, mine}`. */
let waiting = null;

// The layer's full listing arrived: the preview it was waiting for shows.
on('tree-loaded', (index) => {
  const w = waiting;
  if (w && w.layer === index && w.mine === token) {
    waiting = null;
    showPreview(index, w.info);
  }
});

/** Previews `info` (a tree row) of the tree's layer shortly (debounced). */
export function schedulePreview(info) {
  clearTimeout(timer);
  const layer = state.treeLayer;
  timer = setTimeout(() => showPreview(layer, info), 80);
}

/** Empties the pane. */
export function clearPreview() {
  token++;
  $('#preview').replaceChildren(h('p', { class: 'muted' }, 'Select a file to preview it.'));
}

const owner = (e) => `${e.uname || num(e.uid)}:${e.gname || num(e.gid)} (${num(e.uid)}:${num(e.gid)})`;

async function showPreview(layer, info) {
  if (layer == null) return;
  const mine = ++token;
  const pane = $('#preview');
  pane.replaceChildren(h('h4', {}, `/${info.path}`), h('p', { class: 'muted small' }, 'Loading…'));
  if (layer === 'merged') { await showMergedPreview(info, mine); return; }
  waiting = null;
  const view = state.views[layer];
  if (!view || view.layer.status === 'pending') {
    // Its entries are shown as the scan indexes them; its bytes are read
    // once the layer is verified: say so, and preview then.
    waiting = { layer, info, mine };
    pane.replaceChildren(h('h4', {}, `/${info.path}`),
      h('p', { class: 'muted small', id: 'preview-waiting' }, `Layer ${layer} is still being verified: this file previews as soon as it is read.`));
    return;
  }
  try {
    const d = await primary.call('entry', { index: layer, path: info.path });
    if (mine !== token) return;
    const e = d.entry;
    const meta = dl(h('dl', { class: 'kv' }), [
      ['Kind', d.whiteout ? 'deleted in this layer (whiteout)' : d.kind + (d.implicit ? ' (no entry of its own)' : '')],
      ['Size', d.dataSize != null ? `${formatBytes(d.dataSize)} (${count(d.dataSize)} bytes)` : null],
      ['Link target', d.linkTarget],
      ['Mode', d.mode != null && !d.whiteout ? modeString(d.mode, d.kind) : null],
      ['Owner', e && !d.whiteout ? owner(e) : null],
      ['Modified', d.mtime != null && !d.whiteout ? isoTime(d.mtime) : null],
      ['Opaque', d.opaque ? 'yes: lower layers\' contents of this directory are hidden' : null],
      ['Children', d.children ? String(d.children) : null],
      ['Xattrs', e?.xattrs?.length ? e.xattrs.map((x) => x.name).join(', ') : null],
      ['Marker', d.whiteout && e ? e.path : null],
    ]);
    const readable = d.dataSize != null;
    const actions = h('div', { class: 'actions' });
    const body = h('div', { class: 'body' });
    if (readable) {
      actions.append(h('button', { type: 'button', class: 'btn small', id: 'download', onclick: () => download('readFile', { index: layer, path: info.path }, info.path) }, 'Download file'));
    }
    pane.replaceChildren(h('h4', {}, `/${info.path}`), meta, actions, body);
    if (readable) {
      body.append(h('p', { class: 'muted small' }, 'Reading…'));
      const bytes = await primary.call('readFile', { index: layer, path: info.path, maxBytes: PREVIEW_MAX });
      if (mine !== token) return;
      renderBytes(body, bytes, info.path, num(d.dataSize));
    }
  } catch (e) {
    if (mine !== token || e.name === 'AbortError') return;
    pane.replaceChildren(h('p', { class: 'failure' }, `${e.name}: ${e.message}`));
  }
}

async function showMergedPreview(info, mine) {
  const pane = $('#preview');
  try {
    const e = await primary.call('mergedEntry', { path: info.path });
    if (mine !== token) return;
    const cmd = (l) => (l != null ? cleanCommand(state.views[l]?.layer.createdBy || '') : '');
    const meta = dl(h('dl', { class: 'kv' }), [
      ['Kind', e.kind + (e.implied ? ' (implied: no layer lists it)' : '')],
      ['Size', e.kind === 'file' ? `${formatBytes(e.size)} (${count(e.size)} bytes)` : null],
      ['Link target', e.linkTarget],
      ['Hard link to', e.hardlinkTo ? `/${e.hardlinkTo}` : null],
      ['Mode', modeString(e.mode, e.kind)],
      ['Owner', owner(e)],
      ['Modified', isoTime(e.mtime)],
      ['Provided by', e.layer != null ? `layer ${e.layer}${cmd(e.layer) ? ` — ${cmd(e.layer)}` : ''}` : null],
      ['Data from', e.sourceLayer != null && e.sourceLayer !== e.layer ? `layer ${e.sourceLayer}` : null],
      ['History', e.history.length ? list(e.history.map((ev) => `layer ${ev.layer}: ${ev.action}${ev.path !== e.path ? ` (via /${ev.path})` : ''}${ev.cause ? ` — ${ev.cause.type}` : ''}`)) : null],
    ]);
    const actions = h('div', { class: 'actions' });
    const body = h('div', { class: 'body' });
    const readable = e.kind === 'file' && e.sourceLayer != null;
    if (readable) actions.append(h('button', { type: 'button', class: 'btn small', id: 'download', onclick: () => download('readMerged', { path: info.path }, info.path) }, 'Download file'));
    pane.replaceChildren(h('h4', {}, `/${info.path}`), meta, actions, body);
    if (readable) {
      const bytes = await primary.call('readMerged', { path: info.path, maxBytes: PREVIEW_MAX });
      if (mine !== token) return;
      renderBytes(body, bytes, info.path, num(e.size));
    }
  } catch (err) {
    if (mine !== token || err.name === 'AbortError') return;
    pane.replaceChildren(h('p', { class: 'failure' }, `${err.name}: ${err.message}`));
  }
}

/** Reads a whole file (`op` readFile or readMerged) and saves it. */
async function download(op, args, path) {
  try {
    saveBytes(await primary.call(op, args), path);
  } catch (e) {
    showError(e, `Download of /${path}: `);
  }
}

function saveBytes(bytes, path) {
  const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
  const a = h('a', { href: url, download: path.split('/').pop() || 'file' });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30000);
}

function sniffImage(b) {
  const at = (i, ...xs) => xs.every((x, k) => b[i + k] === x);
  if (at(0, 0x89, 0x50, 0x4e, 0x47)) return 'image/png';
  if (at(0, 0xff, 0xd8, 0xff)) return 'image/jpeg';
  if (at(0, 0x47, 0x49, 0x46, 0x38)) return 'image/gif';
  if (at(0, 0x52, 0x49, 0x46, 0x46) && at(8, 0x57, 0x45, 0x42, 0x50)) return 'image/webp';
  if (at(0, 0x00, 0x00, 0x01, 0x00)) return 'image/x-icon';
  return null;
}

function renderBytes(body, bytes, path, size) {
  body.replaceChildren();
  const truncated = size > bytes.length;
  if (objectUrl) { URL.revokeObjectURL(objectUrl); objectUrl = null; }
  const mime = sniffImage(bytes) || (/\.svg$/i.test(path) ? 'image/svg+xml' : null);
  if (mime && !truncated) {
    objectUrl = URL.createObjectURL(new Blob([bytes], { type: mime }));
    body.append(h('img', { src: objectUrl, alt: `Preview of ${path}` }));
    return;
  }
  let text = null;
  if (!bytes.includes(0)) {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(truncated ? trimUtf8(bytes) : bytes);
    } catch { text = null; }
  }
  if (truncated) body.append(h('p', { class: 'muted small' }, `Showing the first ${formatBytes(bytes.length)} of ${formatBytes(size)}.`));
  if (size === 0) { body.append(h('p', { class: 'muted' }, 'Empty file.')); return; }
  if (text !== null) {
    const lines = text.split('\n');
    if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
    const shown = lines.slice(0, 20000);
    body.append(h('div', { class: 'code text-preview', role: 'region', tabindex: '0', 'aria-label': `Text of ${path}` },
      h('pre', { class: 'ln', text: shown.map((_, i) => i + 1).join('\n') }),
      h('pre', { class: 'src', text: shown.join('\n') })));
    return;
  }
  const limit = Math.min(bytes.length, 64 * 1024);
  const out = [];
  for (let off = 0; off < limit; off += 16) {
    const row = bytes.subarray(off, Math.min(off + 16, limit));
    const hex = Array.from(row, (b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    out.push(`${off.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  body.append(h('p', { class: 'muted small' }, `Binary file; hex of the first ${formatBytes(limit)}.`), h('pre', { class: 'hex hex-preview', role: 'region', tabindex: '0', 'aria-label': `Hex of ${path}`, text: out.join('\n') }));
}

/** Drops a multi-byte sequence cut at the end of a truncated preview. */
function trimUtf8(bytes) {
  let end = bytes.length;
  for (let k = 1; k <= 3 && end - k >= 0; k++) {
    const b = bytes[end - k];
    if ((b & 0xc0) === 0xc0) { end -= k; break; }
    if ((b & 0x80) === 0) break;
  }
  return bytes.subarray(0, end);
}
