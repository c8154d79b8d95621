// The layer list: one row per layer in history order (empty history
// entries as rows of their own), with sizes, changes, verification state
// and progress, plus the merged image's row once every layer is indexed.
import { $, h, replace, digestCell } from '../dom.js';
import { num, count, pct, formatBytes, cleanCommand } from '../format.js';
import { state, emit } from '../state.js';
import { poolSize } from '../workers.js';

/** Per layer index: {tr, detail, hist}. */
let rows = [];

/** Renders the layer list of the open image. */
export function renderLayers() {
  const o = state.opened;
  const tbody = $('#layers tbody');
  tbody.replaceChildren();
  rows = [];
  const placed = new Set();
  const addLayer = (index, hist) => {
    placed.add(index);
    tbody.append(...layerRows(index, hist));
  };
  for (const hist of o.history) {
    if (hist.layer != null && hist.layer < o.layers.length && !placed.has(hist.layer)) addLayer(hist.layer, hist);
    else if (hist.emptyLayer || hist.layer == null) {
      tbody.append(h('tr', { class: 'empty-layer' },
        h('td', { class: 'num' }, ''),
        h('td', { class: 'cmd', title: hist.createdBy || '' }, cleanCommand(hist.createdBy) || '(no command)'),
        h('td', { colspan: 7 }, 'empty layer (metadata only)')));
    }
  }
  for (let i = 0; i < o.layers.length; i++) if (!placed.has(i)) addLayer(i, null);
  updateScanStatus();
}

const choose = (layer) => ({
  onclick: () => emit('select-layer', layer),
  onkeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); emit('select-layer', layer); } },
});

function layerRows(index, hist) {
  const tr = h('tr', { class: 'layer', tabindex: '0', dataset: { layer: String(index) }, ...choose(index) });
  const detail = h('tr', { class: 'detail', hidden: true, dataset: { layerDetail: String(index) } }, h('td', {}), h('td', { colspan: 8 }));
  rows[index] = { tr, detail, hist };
  fillLayerRow(index);
  return [tr, detail];
}

/** Redraws every layer row. */
export function refreshLayers() {
  for (const v of state.views) fillLayerRow(v.index);
  updateScanStatus();
}

/** Redraws the row of layer `index` and the status line. */
export function updateLayerRow(index) {
  fillLayerRow(index);
  updateScanStatus();
}

function fillLayerRow(index) {
  const row = rows[index];
  if (!row) return;
  const { tr, detail, hist } = row;
  const v = state.views[index];
  const l = v.layer;
  const cmd = l.createdBy || hist?.createdBy || '';
  tr.classList.toggle('selected', state.selectedLayer === index);
  tr.replaceChildren(
    h('td', { class: 'num' }, String(index)),
    h('td', { class: 'cmd', title: cmd }, cleanCommand(cmd) || h('span', { class: 'muted' }, '(no history)')),
    h('td', {}, digestCell(l.digest, `layer ${index} digest`)),
    h('td', {}, digestCell(l.diffId, `layer ${index} diff_id`)),
    h('td', { class: 'num' }, l.location ? formatBytes(l.size) : '—'),
    h('td', { class: 'num' }, l.uncompressedSize != null ? formatBytes(l.uncompressedSize) : ''),
    h('td', { class: 'num' }, l.entries != null ? count(l.entries) : ''),
    h('td', { class: 'changes' }, changesCell(index)),
    h('td', { class: 'status' }, statusCell(index)),
  );
  const problems = failureLines(v);
  detail.hidden = !problems.length;
  replace(detail.lastChild, h('div', { class: 'failure' }, problems.map((p) => h('div', {}, p))));
}

/** Marks the selected row. */
export function markSelected(index) {
  for (const [i, row] of rows.entries()) row?.tr.classList.toggle('selected', i === index);
  $('#layers tbody tr.merged-row')?.classList.toggle('selected', index === 'merged');
}

function changesCell(index) {
  const c = state.analysis?.changes?.[index];
  if (!c) return '';
  const waste = state.analysis.waste.layers?.[index];
  const net = num(c.netBytes);
  return h('span', { title: `${c.added} added, ${c.modified} modified, ${c.deleted} deleted; net ${net >= 0 ? '+' : '−'}${formatBytes(Math.abs(net))}${waste && num(waste.wastedBytes) ? `; ${formatBytes(waste.wastedBytes)} of its bytes are wasted` : ''}` },
    h('span', { class: 'add' }, `+${c.added}`), ' ', h('span', { class: 'mod' }, `~${c.modified}`), ' ', h('span', { class: 'del' }, `−${c.deleted}`),
    waste && num(waste.wastedBytes) ? h('span', { class: 'del', title: `${formatBytes(waste.wastedBytes)} wasted` }, ' ⚠') : '');
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
  return h('span', { class: `badge ${status}`, title: words.title || words.text }, words.text);
}

function progressEl(p) {
  const done = p.total ? Math.min(100, (p.done / p.total) * 100) : 0;
  const secs = (performance.now() - p.start) / 1000;
  const bar = h('span');
  bar.style.width = `${done.toFixed(1)}%`;
  return h('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': done.toFixed(0) },
    h('div', { class: 'bar' }, bar),
    h('span', { class: 'rate' }, `${formatBytes(p.done)} / ${formatBytes(p.total)} · ${secs > 0.05 ? (p.done / secs / 1e6).toFixed(1) : '—'} MB/s`));
}

/** Redraws the progress of layer `index`. */
export function updateProgress(index) {
  const row = rows[index];
  const p = state.progress[index];
  if (!row || !p) return;
  const cell = row.tr.querySelector('.status');
  if (cell) cell.replaceChildren(progressEl(p));
  updateScanStatus();
}

/** The verification state of a layer in words (`text`, and a `title` with detail). */
export function statusWords(v) {
  const status = v.layer.status;
  const bad = (v.checks || []).filter((c) => ['mismatch', 'failed', 'missing'].includes(c.status));
  switch (status) {
    case 'verified': return { text: 'verified' };
    case 'not-checkable': return { text: 'not checkable', title: (v.checks || []).map((c) => c.detail).filter(Boolean).join('; ') };
    case 'missing': return { text: 'missing blob' };
    case 'mismatch': {
      const sizeOnly = bad.every((c) => c.expected === c.actual && c.expectedSize != null);
      return { text: sizeOnly ? 'size mismatch' : 'digest mismatch' };
    }
    case 'failed': {
      const detail = [v.error?.message, ...bad.map((c) => c.detail)].filter(Boolean).join(' ');
      if (/truncated|ended .* early|ends early|unexpected ?eof/i.test(detail)) return { text: 'truncated', title: detail };
      if (/stream is corrupt|invalid gzip|corrupt/i.test(detail)) return { text: 'corrupt compressed data', title: detail };
      if (/malformed tar/i.test(detail)) return { text: 'malformed tar', title: detail };
      if (/unsupported compression/i.test(detail)) return { text: 'unsupported compression', title: detail };
      if (/limit/i.test(detail)) return { text: 'limit exceeded', title: detail };
      return { text: 'failed', title: detail };
    }
    default: return { text: status };
  }
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

/** The merged image's row, first in the list, once the analysis is there. */
export function renderMergedRow() {
  const tbody = $('#layers tbody');
  tbody.querySelector('tr.merged-row')?.remove();
  const a = state.analysis;
  const tr = h('tr', { class: 'layer merged-row', tabindex: '0', dataset: { layer: 'merged' }, ...choose('merged') },
    h('td', { class: 'num' }, '∑'),
    h('td', { class: 'cmd' }, 'Merged image (all layers applied)'),
    h('td', { colspan: 4 }, h('span', { class: 'muted' }, `${count(a.mergedPaths)} paths · ${formatBytes(a.waste.visibleBytes)} visible`)),
    h('td', { class: 'num' }, count(a.mergedPaths)),
    h('td', {}, ''),
    h('td', {}, h('span', { class: 'badge info' }, `efficiency ${pct(a.dive.score)}`)));
  tr.classList.toggle('selected', state.selectedLayer === 'merged');
  tbody.prepend(tr);
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
    el.textContent = `Verifying… ${done}/${total} layers · ${formatBytes(bytes)} read · ${secs > 0.2 ? (bytes / secs / 1e6).toFixed(1) : '—'} MB/s · ${workers} worker${workers === 1 ? '' : 's'}`;
  } else {
    el.textContent = total ? `${done}/${total} layers checked` : 'No layers';
  }
}
