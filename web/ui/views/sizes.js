// The Sizes panel: a chart of stored, uncompressed and wasted bytes per
// layer, and a treemap of the selected layer (or of the merged image) by
// bytes — the page's own drawing (absolutely placed blocks; layout in
// ui/treemap.js). Blocks carry `data-path` like tree rows; a click selects
// that path in the tree and a double click (or Enter on a folder) drills
// into a folder; selecting a path in the tree marks its block, drilling
// to its folder when it is not drawn. Colours follow the core's change
// word of each entry in the layer (added, modified, unchanged) and its
// wasted flag (hidden by a later layer); in the merged image, the core's
// "modified by a later layer" flag.
import { $, h, replace } from '../dom.js';
import { num, formatBytes, count } from '../format.js';
import { state, on, emit } from '../state.js';
import { visibleText, setVisible } from '../../text.js';
import { layout } from '../treemap.js';
import { FLAG, MFLAG, KIND } from '../../tree.js';
import { tree } from './files.js';
import { currentPanel } from './tabs.js';

/** Folder shown at the treemap's top (a tree id; -1: the root), and for which layer. */
const view = { root: -1, layer: undefined, drawnMs: 0 };

const open = () => currentPanel() === 'sizes' && state.opened != null;

// ------------------------------------------------------------ per-layer chart

/** Redraws the per-layer chart (when the panel is open). */
export function refreshChart() {
  if (!open()) return;
  const el = $('#layer-chart');
  const wasteOf = (i) => num(state.analysis?.waste.layers?.[i]?.wastedBytes);
  const rows = state.views.map((v) => ({ index: v.index, stored: num(v.layer.size), unpacked: num(v.layer.uncompressedSize), wasted: wasteOf(v.index) }));
  const max = Math.max(1, ...rows.map((r) => Math.max(r.stored, r.unpacked)));
  const w = (b) => `${((b / max) * 100).toFixed(2)}%`;
  replace(el, rows.map((r) => h('div', {
    class: `lc-row${state.selectedLayer === r.index ? ' selected' : ''}`, dataset: { layer: String(r.index) },
    title: `layer ${r.index}: ${formatBytes(r.stored)} stored, ${r.unpacked ? `${formatBytes(r.unpacked)} uncompressed` : 'uncompressed size after verification'}${r.wasted ? `, ${formatBytes(r.wasted)} wasted` : ''}`,
  },
  h('span', { class: 'lc-label' }, `L${r.index}`),
  h('span', { class: 'lc-bars' },
    h('span', { class: 'lc-bar unpacked', style: { width: w(r.unpacked) } }),
    h('span', { class: 'lc-bar stored', style: { width: w(r.stored) } }),
    h('span', { class: 'lc-bar wasted', style: { width: w(r.wasted) } })),
  h('span', { class: 'lc-num' }, `${formatBytes(r.stored)}${r.unpacked ? ` / ${formatBytes(r.unpacked)}` : ''}${r.wasted ? ` / ${formatBytes(r.wasted)}` : ''}`))));
}

// ------------------------------------------------------------ treemap

/** The colour class of tree id `id`. */
function colour(id) {
  const f = tree.flags[id];
  if (tree.merged) return f & MFLAG.MODIFIED_LATER ? 'tm-modified' : 'tm-final';
  if (f & FLAG.WASTED) return 'tm-wasted';
  return `tm-${tree.changeWord(id) || 'unknown'}`;
}

const childrenOf = (id) => tree.childList(id);
const sizeOf = (id) => (tree.kinds[id] === KIND.DELETED ? 0 : tree.total[id]);

/** Redraws the treemap (when the panel is open); returns the milliseconds it took. */
export function redrawTreemap() {
  if (!open()) return 0;
  const started = performance.now();
  const box = $('#treemap');
  const ready = state.treeLayer != null && tree.count > 0;
  if (view.layer !== state.treeLayer) { view.layer = state.treeLayer; view.root = -1; }
  if (view.root >= tree.count) view.root = -1;
  box.dataset.layer = state.treeLayer == null ? '' : String(state.treeLayer);
  renderCrumbs(ready);
  if (!ready) {
    replace(box, h('p', { class: 'muted small tm-empty' }, state.selectedLayer == null ? 'Select a layer to see where its bytes are.' : 'The treemap appears with the layer’s files.'));
    return 0;
  }
  const width = box.clientWidth;
  const height = box.clientHeight;
  const blocks = layout(view.root, { x: 0, y: 0, w: width, h: height }, { children: childrenOf, size: sizeOf });
  // Block elements are reused from one drawing to the next (no garbage per redraw).
  if (box.firstElementChild && !box.firstElementChild.classList.contains('tm-block')) box.replaceChildren();
  const selected = tree.selected;
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i];
    let el = box.children[i];
    if (!el) { el = document.createElement('div'); box.append(el); }
    const x = Math.round(b.x);
    const y = Math.round(b.y);
    el.style.cssText = `transform:translate(${x}px,${y}px);width:${Math.max(1, Math.round(b.x + b.w) - x)}px;height:${Math.max(1, Math.round(b.y + b.h) - y)}px`;
    el.removeAttribute('title');
    if (b.rest) {
      el.className = 'tm-block tm-rest';
      delete el.dataset.path;
      delete el.dataset.id;
      el.title = `${count(b.rest.count)} smaller entries, ${formatBytes(b.rest.bytes)}`;
      if (el.firstChild) el.replaceChildren();
      continue;
    }
    const id = b.id;
    el.className = `tm-block ${b.frame ? 'tm-dir' : colour(id)}${id === selected ? ' selected' : ''}`;
    el.dataset.path = tree.paths[id];
    el.dataset.id = String(id);
    if (b.w >= 44 && b.h >= 14) {
      const label = el.firstChild || el.appendChild(document.createElement('span'));
      label.className = 'tm-label';
      setVisible(label, `${tree.names[id]}${tree.isDir(id) ? '/' : ''} ${formatBytes(sizeOf(id))}`);
    } else if (el.firstChild) {
      el.replaceChildren();
    }
  }
  while (box.children.length > blocks.length) box.lastElementChild.remove();
  box.setAttribute('aria-label', `Treemap of ${view.root < 0 ? (state.treeLayer === 'merged' ? 'the merged image' : `layer ${state.treeLayer}`) : `/${tree.paths[view.root]}`}: ${count(blocks.length)} blocks by bytes`);
  view.drawnMs = performance.now() - started;
  return view.drawnMs;
}

function renderCrumbs(ready) {
  const nav = $('#treemap-crumbs');
  if (!ready) { nav.replaceChildren(); return; }
  const chain = [];
  for (let id = view.root; id >= 0; id = tree.parent[id]) chain.unshift(id);
  const crumb = (id, label) => h('button', { type: 'button', class: 'crumb', dataset: { id: String(id) }, 'aria-current': id === view.root ? 'location' : false,
    onclick: () => drill(id) }, label);
  replace(nav, crumb(-1, state.treeLayer === 'merged' ? 'merged image' : `layer ${state.treeLayer}`),
    chain.map((id) => [' / ', crumb(id, tree.names[id])]),
    ` · ${formatBytes(view.root < 0 ? [...(tree.childList(-1) || [])].reduce((s, k) => s + sizeOf(k), 0) : sizeOf(view.root))}`);
}

/** Shows folder `id` (-1: the top) at the treemap's top. */
function drill(id) {
  view.root = id;
  redrawTreemap();
  emit('treemap-drilled', id < 0 ? '' : tree.paths[id]);
}

/** Marks the block of the tree's selected path, drilling to its folder when it is not drawn. */
function markSelection() {
  if (!open() || state.treeLayer == null) return;
  const box = $('#treemap');
  box.querySelector('.tm-block.selected')?.classList.remove('selected');
  const id = tree.selected;
  if (id < 0) return;
  let el = box.querySelector(`.tm-block[data-id="${id}"]`);
  if (!el && view.root !== tree.parent[id]) {
    // Not drawn: show the folder that holds it.
    view.root = tree.parent[id];
    redrawTreemap();
    el = box.querySelector(`.tm-block[data-id="${id}"]`);
  }
  el?.classList.add('selected');
}

// ------------------------------------------------------------ wiring

/** Redraws both when the panel is open. */
export function refreshSizes() {
  refreshChart();
  redrawTreemap();
  markSelection();
}

/** Wires clicks, resizes and the events the panel follows. */
export function initSizes() {
  const box = $('#treemap');
  box.addEventListener('click', (e) => {
    const block = e.target.closest('.tm-block[data-path]');
    if (block) tree.reveal(block.dataset.path);
  });
  // Tooltips are made when the pointer gets there, not for every block drawn.
  box.addEventListener('pointerover', (e) => {
    const block = e.target.closest('.tm-block[data-id]');
    if (!block || block.title) return;
    const id = Number(block.dataset.id);
    if (tree.paths[id] !== block.dataset.path) return;
    block.title = visibleText(`/${tree.paths[id]} — ${formatBytes(sizeOf(id))}${tree.isDir(id) ? ' (folder; double-click to open)' : ''}`);
  });
  box.addEventListener('dblclick', (e) => {
    const block = e.target.closest('.tm-block[data-id]');
    const id = block && Number(block.dataset.id);
    if (block && tree.isDir(id) && tree.childList(id)) drill(id);
  });
  $('#layer-chart').addEventListener('click', (e) => {
    const row = e.target.closest('.lc-row[data-layer]');
    if (row) emit('select-layer', Number(row.dataset.layer));
  });
  let frame = 0;
  new ResizeObserver(() => {
    if (frame) return;
    frame = requestAnimationFrame(() => { frame = 0; if (open()) { redrawTreemap(); markSelection(); } });
  }).observe(box);
  on('panel-opened', (name) => { if (name === 'sizes') refreshSizes(); });
  on('tree-loaded', () => { redrawTreemap(); markSelection(); refreshChart(); });
  on('path-selected', () => markSelection());
}

/** For the benchmark and the console: the last draw's milliseconds and a redraw. */
export const treemap = { redraw: redrawTreemap, get lastMs() { return view.drawnMs; } };
