// The layer list: a listbox (one tab stop, arrow keys inside, roving
// tabindex) of the merged image and one option per layer in history
// order, with the layer's history command, sizes, changes and
// verification state or progress; history entries that made no layer are
// disabled options. Clicking anywhere on a row selects it (rows hold no
// buttons); the selected layer's digests, with copy buttons, are shown
// above its tree (`#layer-facts`).
import { $, h, replace, digestCell } from '../dom.js';
import { num, count, pct, formatBytes, cleanCommand } from '../format.js';
import { state, emit } from '../state.js';
import { visibleText } from '../../text.js';
import { poolSize } from '../workers.js';
import { packagesCell } from './packages.js';

/** Per layer index: {li, hist}. */
let rows = [];
let mergedRow = null;

/** The option for a layer index or 'merged'. */
const optionOf = (layer) => (layer === 'merged' ? mergedRow : rows[layer]?.li);

/** Renders the layer list of the open image. */
export function renderLayers() {
  const o = state.opened;
  const list = $('#layers');
  list.replaceChildren();
  rows = [];
  mergedRow = h('li', { role: 'option', class: 'layer merged-row', id: 'layer-merged', dataset: { layer: 'merged' }, 'aria-selected': 'false', tabindex: '-1' });
  fillMergedRow();
  list.append(mergedRow);
  const placed = new Set();
  const addLayer = (index, hist) => {
    placed.add(index);
    const li = h('li', { role: 'option', class: 'layer', id: `layer-${index}`, dataset: { layer: String(index) }, 'aria-selected': 'false', tabindex: '-1' });
    rows[index] = { li, hist };
    fillLayerRow(index);
    list.append(li);
  };
  for (const hist of o.history) {
    if (hist.layer != null && hist.layer < o.layers.length && !placed.has(hist.layer)) addLayer(hist.layer, hist);
    else if (hist.emptyLayer || hist.layer == null) {
      list.append(h('li', { role: 'option', class: 'empty-layer', 'aria-disabled': 'true', 'aria-selected': 'false' },
        h('span', { class: 'idx' }, ''),
        h('span', { class: 'cmd', title: hist.createdBy || '' }, cleanCommand(hist.createdBy) || '(no command)'),
        h('span', { class: 'status muted small', title: 'This history entry changed only the config: it made no layer' }, 'empty layer (metadata only)')));
    }
  }
  for (let i = 0; i < o.layers.length; i++) if (!placed.has(i)) addLayer(i, null);
  markSelected(state.selectedLayer);
  updateScanStatus();
}

/** Redraws every layer row and the merged row. */
export function refreshLayers() {
  for (const v of state.views) fillLayerRow(v.index);
  fillMergedRow();
  renderFacts();
  updateScanStatus();
}

/** Redraws the row of layer `index` and the status line. */
export function updateLayerRow(index) {
  fillLayerRow(index);
  if (state.selectedLayer === index) renderFacts();
  updateScanStatus();
}

function fillLayerRow(index) {
  const row = rows[index];
  if (!row) return;
  const { li, hist } = row;
  const v = state.views[index];
  const l = v.layer;
  const cmd = l.createdBy || hist?.createdBy || '';
  // The row's parts are made once and then updated in place, so what the
  // user points at is not replaced while layers are verified.
  if (!row.parts) {
    row.parts = {
      idx: h('span', { class: 'idx' }, String(index)),
      cmd: h('span', { class: 'cmd' }),
      status: h('span', { class: 'status' }),
      facts: h('span', { class: 'facts' }),
      detail: h('span', { class: 'detail failure', hidden: true }),
    };
    li.replaceChildren(...Object.values(row.parts));
  }
  const { parts } = row;
  if (parts.cmd.dataset.text !== cmd || !parts.cmd.firstChild) {
    parts.cmd.dataset.text = cmd;
    parts.cmd.title = visibleText(cmd);
    replace(parts.cmd, cleanCommand(cmd) || h('span', { class: 'muted' }, '(no history)'));
  }
  replace(parts.status, statusCell(index));
  const running = l.status === 'pending' && state.progress[index]?.running;
  if (running) parts.facts.textContent = rateText(state.progress[index]);
  else replace(parts.facts,
    h('span', { title: 'stored size (as shipped)' }, l.location ? formatBytes(l.size) : 'no blob'),
    l.uncompressedSize != null && num(l.uncompressedSize) !== num(l.size) ? h('span', { title: 'uncompressed size' }, ` (${formatBytes(l.uncompressedSize)} unpacked)`) : '',
    l.entries != null ? h('span', { title: 'entries in the layer' }, ` · ${count(l.entries)} entries`) : '',
    changesCell(index),
    packagesCell(index));
  const problems = failureLines(v);
  parts.detail.hidden = !problems.length;
  replace(parts.detail, problems.map((p) => h('span', {}, p)));
}

function fillMergedRow() {
  if (!mergedRow) return;
  const a = state.analysis;
  replace(mergedRow,
    h('span', { class: 'idx', 'aria-hidden': 'true' }, '∑'),
    h('span', { class: 'cmd', title: 'All layers applied in order' }, 'Merged image'),
    h('span', { class: 'status' }, a ? h('span', { class: 'badge info' }, `efficiency ${pct(a.dive.score)}`) : ''),
    h('span', { class: 'facts' }, a ? `${count(a.mergedPaths)} paths · ${formatBytes(a.waste.visibleBytes)} visible` : 'the final filesystem, once every layer is verified'));
}

/** Marks the selected option (`aria-selected`) and makes it the list's tab stop. */
export function markSelected(index, { scroll = false } = {}) {
  const target = optionOf(index) || mergedRow;
  if (scroll && optionOf(index)) optionOf(index).scrollIntoView({ block: 'nearest' });
  for (const li of $('#layers').querySelectorAll('[role=option][data-layer]')) {
    const on = li === optionOf(index);
    li.setAttribute('aria-selected', on ? 'true' : 'false');
    li.classList.toggle('selected', on);
    li.tabIndex = li === target ? 0 : -1;
  }
  renderFacts();
}

/** Moves keyboard focus to the selected layer (or the list's first option). */
export function focusLayers() {
  ($('#layers [role=option][tabindex="0"]') || mergedRow)?.focus();
}

/** The selected layer's command, digests (with copy buttons) and problems, above its tree. */
function renderFacts() {
  const el = $('#layer-facts');
  const index = state.selectedLayer;
  if (index == null || index === 'merged' || !state.views[index]) {
    replace(el, index === 'merged' ? h('span', { class: 'muted' }, 'All layers applied in order (OCI overlay rules)') : '');
    return;
  }
  const v = state.views[index];
  const cmd = v.layer.createdBy || rows[index]?.hist?.createdBy || '';
  replace(el,
    h('span', { class: 'cmd', title: cmd }, cleanCommand(cmd) || h('span', { class: 'muted' }, '(no history)')),
    h('span', { class: 'ids' }, 'digest ', digestCell(v.layer.digest, `layer ${index} digest`), ' diff_id ', digestCell(v.layer.diffId, `layer ${index} diff_id`)));
}

function changesCell(index) {
  const c = state.analysis?.changes?.[index];
  if (!c) return '';
  const waste = state.analysis.waste.layers?.[index];
  const net = num(c.netBytes);
  const wasted = waste && num(waste.wastedBytes);
  return h('span', { class: 'changes', title: `${c.added} added, ${c.modified} modified, ${c.deleted} deleted; net ${net >= 0 ? '+' : '−'}${formatBytes(Math.abs(net))}${wasted ? `; ${formatBytes(waste.wastedBytes)} of its bytes are wasted` : ''}` },
    ' · ', h('span', { class: 'add' }, `+${c.added}`), ' ', h('span', { class: 'mod' }, `~${c.modified}`), ' ', h('span', { class: 'del' }, `−${c.deleted}`),
    wasted ? h('span', { class: 'del' }, ` ⚠ ${formatBytes(waste.wastedBytes)} wasted`) : '');
}

function statusCell(index) {
  const v = state.views[index];
  const p = state.progress[index];
  const status = v.layer.status;
  if (status === 'pending') {
    if (p?.running) return progressEl(p);
    return h('span', { class: 'badge pending' }, state.scanning ? 'queued' : 'not verified');
  }
  const words = statusWords(v);
  return h('span', { class: `badge ${status}`, 'data-verdict': words.verdict, title: words.title || words.text }, words.text);
}

/**
 * A running layer: a bar in the status column and the bytes read (stored,
 * and unpacked so far) with the rate in place of the facts line, so the
 * row keeps its height while the numbers change.
 */
function progressEl(p) {
  const bar = h('span');
  const el = h('span', { class: 'progress', role: 'progressbar', 'aria-label': 'verification progress', 'aria-valuemin': '0', 'aria-valuemax': '100' },
    h('span', { class: 'bar' }, bar));
  setProgress(el, p);
  return el;
}

function setProgress(el, p) {
  const done = p.total ? Math.min(100, (p.done / p.total) * 100) : 0;
  el.firstChild.firstChild.style.width = `${done.toFixed(1)}%`;
  el.setAttribute('aria-valuenow', done.toFixed(0));
}

function rateText(p) {
  const secs = (performance.now() - p.start) / 1000;
  return `${formatBytes(p.done)} / ${formatBytes(p.total)}${p.unpacked ? ` · ${formatBytes(p.unpacked)} unpacked` : ''} · ${secs > 0.05 ? (p.done / secs / 1e6).toFixed(1) : '—'} MB/s`;
}

/** Redraws the progress of layer `index` (in place: no new elements per message). */
export function updateProgress(index) {
  const row = rows[index];
  const p = state.progress[index];
  if (!row?.parts || !p) return;
  const bar = row.parts.status.querySelector('.progress');
  if (bar) setProgress(bar, p);
  else replace(row.parts.status, progressEl(p));
  row.parts.facts.textContent = rateText(p);
  updateScanStatus();
}

/**
 * The verification state of a layer in words: the core's verdict word
 * (`v.layer.verdict`: `digest-mismatch`, `truncated`, …) as text, and a
 * `title` with the checks' detail.
 */
export function statusWords(v) {
  const { verdict } = v.layer;
  const detail = [v.error?.message, ...(v.checks || []).filter((c) => c.status !== 'verified').map((c) => c.detail)]
    .filter(Boolean).join('; ');
  return { verdict, text: verdict.replace(/-/g, ' '), title: verdict === 'verified' ? '' : detail };
}

/** The name of a checked object (`blob`, `diff_id`, `manifest`, …). */
export function objectName(o) {
  switch (o.type) {
    case 'layerBlob': return 'blob';
    case 'layerDiffId': return 'diff_id';
    default: return o.type;
  }
}

function failureLines(v) {
  const lines = [];
  for (const c of v.checks || []) {
    if (c.status === 'mismatch') {
      if (c.expected && c.actual && c.expected !== c.actual) lines.push(`${objectName(c.object)} digest mismatch: expected ${c.expected}, actual ${c.actual}`);
      if (c.expectedSize != null && c.actualSize != null && num(c.expectedSize) !== num(c.actualSize)) {
        lines.push(`${objectName(c.object)} size mismatch: expected ${num(c.expectedSize)} bytes, actual ${num(c.actualSize)} bytes`);
      }
      if (!lines.length && c.detail) lines.push(c.detail);
    } else if (c.status === 'failed' || c.status === 'missing') {
      lines.push(c.detail || `${objectName(c.object)} ${c.status}`);
    }
  }
  if (!lines.length && v.error && v.layer.status !== 'verified') lines.push(`${v.error.name}: ${v.error.message}`);
  return [...new Set(lines)];
}

/** The line above the list: verification progress, or how many layers were checked. */
export function updateScanStatus() {
  const total = state.opened?.layers.length || 0;
  const done = state.views.filter((v) => v.layer && v.layer.status !== 'pending').length;
  const el = $('#scan-status');
  if (state.scanning) {
    const bytes = state.progress.reduce((s, p) => s + (p ? p.done : 0), 0);
    const secs = (performance.now() - state.scanStarted) / 1000;
    const workers = Math.min(poolSize(), total);
    el.textContent = `Verifying… ${done}/${total} · ${formatBytes(bytes)} read · ${secs > 0.2 ? (bytes / secs / 1e6).toFixed(1) : '—'} MB/s · ${workers} worker${workers === 1 ? '' : 's'}`;
  } else {
    el.textContent = total ? `${done}/${total} layers checked` : 'No layers';
  }
}

/** The selectable options in list order (layer index or 'merged'). */
function order() {
  return [...$('#layers').querySelectorAll('[role=option][data-layer]')];
}

const layerOf = (li) => (li.dataset.layer === 'merged' ? 'merged' : Number(li.dataset.layer));

/**
 * Wires the list: a click anywhere on a row selects it; Up/Down/Home/End
 * move the selection (and focus); Enter or Right moves focus to the tree
 * (`focusTree`).
 */
export function initLayers(focusTree) {
  const list = $('#layers');
  list.addEventListener('click', (e) => {
    if (e.target.closest('button, a, input, select')) return;
    const li = e.target.closest('[role=option][data-layer]');
    if (!li) return;
    emit('select-layer', layerOf(li));
    li.focus({ preventScroll: true });
  });
  list.addEventListener('keydown', (e) => {
    const all = order();
    const at = all.indexOf(document.activeElement);
    if (at < 0) return;
    let next = null;
    switch (e.key) {
      case 'ArrowDown': next = all[Math.min(all.length - 1, at + 1)]; break;
      case 'ArrowUp': next = all[Math.max(0, at - 1)]; break;
      case 'Home': next = all[0]; break;
      case 'End': next = all[all.length - 1]; break;
      case 'PageDown': next = all[Math.min(all.length - 1, at + 10)]; break;
      case 'PageUp': next = all[Math.max(0, at - 10)]; break;
      case ' ': next = all[at]; break;
      case 'Enter': case 'ArrowRight':
        e.preventDefault();
        focusTree();
        return;
      default: return;
    }
    e.preventDefault();
    if (layerOf(next) !== state.selectedLayer) emit('select-layer', layerOf(next));
    next.focus();
    next.scrollIntoView({ block: 'nearest' });
  });
}
