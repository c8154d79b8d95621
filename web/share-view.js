// The multi-image view (issue 11): drop several image files (or add them
// one by one) and see what they share — a sharing matrix (images ×
// layers) with the common base highlighted, totals, and stacked bars of
// each image's base, shared and own bytes. Every number comes from the
// core (`share` through the worker's `share` operation, wasm
// `shareImages`); web/share-model.js lays the report out. Each image stays
// explorable: "Explore" opens it in the single-image view, and a "Back to
// N images" button returns here.
//
// The module keeps to itself: it adds its own section, buttons and
// stylesheet, runs the analysis in a worker of its own (started on first
// use), and takes over drops of several files. The page gives it the
// compiled module and a way to open one image (`initShare`).
import { appendVisible } from './text.js';
import { WorkerClient } from './rpc.js';
import { bars, imageLabel, matrix, problems, totals } from './share-model.js';

const view = {
  /** `{input, name, identity}` of every input added, in order. */
  inputs: [],
  report: null,
  worker: null,
  module: null,
  explore: null,
  gen: 0,
};

// ---------------------------------------------------------------- helpers

/** An element; string children are inserted as text through text.js. */
function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'style') Object.assign(e.style, v);
    else e.setAttribute(k, String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    if (c instanceof Node) e.append(c);
    else appendVisible(e, String(c));
  }
  return e;
}

const byId = (id) => document.getElementById(id);

/** Bytes in binary units. */
function bytes(n) {
  if (n == null) return '?';
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let u = -1;
  do { n /= 1024; u++; } while (n >= 1024 && u < units.length - 1);
  return `${n < 100 ? n.toFixed(1) : Math.round(n)} ${units[u]}`;
}

/** What makes two dropped inputs the same file: name, size and date. */
function identity(input, name) {
  if (input instanceof Map) {
    let size = 0;
    for (const f of input.values()) size += f.size;
    return `folder:${name}:${input.size}:${size}`;
  }
  return `file:${name}:${input.size}:${input.lastModified ?? ''}`;
}

// ---------------------------------------------------------------- layout

function ensureSection() {
  if (byId('share')) return;
  const link = el('link', { rel: 'stylesheet', href: new URL('./share.css', import.meta.url).href });
  document.head.append(link);
  const add = el('input', { type: 'file', id: 'share-add', multiple: '', hidden: '', accept: '.tar,application/x-tar,application/octet-stream' });
  add.addEventListener('change', () => {
    const files = [...(add.files || [])];
    add.value = '';
    if (files.length) addInputs(files.map((f) => ({ input: f, name: f.name })));
  });
  const section = el('section', { id: 'share', class: 'share', hidden: '', 'aria-labelledby': 'share-title' },
    el('div', { class: 'image-head' },
      el('div', {}, el('h2', { id: 'share-title' }, 'Images'), el('p', { id: 'share-subtitle', class: 'muted' })),
      el('div', { class: 'share-actions' },
        el('label', { class: 'btn small', id: 'share-add-label', title: 'Add image files to the comparison' }, 'Add image…', add),
        el('button', { type: 'button', class: 'btn small', id: 'share-close', onclick: closeShare }, 'Close'))),
    el('div', { id: 'share-status', class: 'muted small', role: 'status' }),
    el('ul', { id: 'share-problems', class: 'share-problems' }),
    el('section', { class: 'card', 'aria-labelledby': 'share-bytes-h' },
      el('h3', { id: 'share-bytes-h' }, 'Bytes'),
      el('dl', { id: 'share-totals', class: 'kv' }),
      el('div', { id: 'share-bars', class: 'share-bars' })),
    el('section', { class: 'card', 'aria-labelledby': 'share-base-h' },
      el('h3', { id: 'share-base-h' }, 'Common base'),
      el('div', { id: 'share-base' })),
    el('section', { class: 'card', 'aria-labelledby': 'share-matrix-h' },
      el('h3', { id: 'share-matrix-h' }, 'Layers × images'),
      el('p', { class: 'muted small' }, 'Layers are matched by diff_id: one layer stored gzip in one file and uncompressed in another is one layer. Rows of the common base are highlighted.'),
      el('div', { id: 'share-matrix', class: 'share-matrix' })));
  const start = byId('start');
  start.parentNode.insertBefore(section, start.nextSibling);
  // On the start screen: a picker for several files at once.
  const many = el('input', { type: 'file', id: 'share-input', multiple: '', hidden: '', accept: '.tar,application/x-tar,application/octet-stream' });
  many.addEventListener('change', () => {
    const files = [...(many.files || [])];
    many.value = '';
    if (files.length) openShare(files.map((f) => ({ input: f, name: f.name })));
  });
  start.querySelector('.drop-actions')?.append(
    el('label', { class: 'btn', id: 'share-input-label', title: 'Choose two or more image files and see the layers they share' }, 'Compare several images…', many));
  // In the top bar: back from exploring one image.
  const back = el('button', { type: 'button', class: 'btn', id: 'share-back', hidden: '', onclick: showShare }, 'Back to the images');
  document.querySelector('.topbar-actions')?.prepend(back);
  byId('close-image')?.addEventListener('click', () => { closeShare(); });
}

function showShare() {
  byId('share').hidden = false;
  byId('start').hidden = true;
  const image = byId('image');
  if (image) image.hidden = true;
  byId('share-back').hidden = true;
  const close = byId('close-image');
  if (close) close.hidden = false;
}

function closeShare() {
  view.gen++;
  view.inputs = [];
  view.report = null;
  if (!byId('share')) return;
  byId('share').hidden = true;
  byId('share-back').hidden = true;
  const image = byId('image');
  if (image?.hidden) byId('start').hidden = false;
}

// ---------------------------------------------------------------- analysis

/** Starts a new set with `items` (`{input, name}`) and shows it. */
export function openShare(items) {
  ensureSection();
  view.inputs = [];
  return addInputs(items);
}

/** Adds `items` to the set and analyses it again. */
async function addInputs(items) {
  ensureSection();
  for (const { input, name } of items) view.inputs.push({ input, name, identity: identity(input, name) });
  showShare();
  const gen = ++view.gen;
  const status = (text) => { byId('share-status').textContent = text; };
  status(`Reading ${view.inputs.length} inputs…`);
  view.worker ??= new WorkerClient('layerscope-share', view.module ?? Promise.resolve(null));
  try {
    const report = await view.worker.call('share', {
      inputs: view.inputs.map((i) => i.input),
      names: view.inputs.map((i) => i.name),
      identities: view.inputs.map((i) => i.identity),
    }, { onProgress: ({ done, total }) => { if (gen === view.gen) status(`Counting layer sizes: ${done} of ${total} layers inflated…`); } });
    if (gen !== view.gen) return;
    view.report = report;
    status('');
    render(report);
  } catch (e) {
    if (gen !== view.gen) return;
    status('');
    byId('share-problems').replaceChildren(el('li', { class: 'failure' }, `Could not analyse the images: ${e.name}: ${e.message}`));
  }
}

// ---------------------------------------------------------------- rendering

function render(report) {
  const rows = matrix(report);
  const n = report.images.length;
  byId('share-title').textContent = `${n} image${n === 1 ? '' : 's'}`;
  const base = report.commonBase;
  byId('share-subtitle').textContent = `${rows.length} distinct layers · common base: ${base.layers} layer${base.layers === 1 ? '' : 's'}`;
  byId('share-problems').replaceChildren(...problems(report).map((p) => el('li', { class: p.kind === 'duplicate' ? 'muted' : 'failure' },
    el('b', {}, p.name), ': ', p.kind === 'duplicate' ? '' : `${p.kind}: `, p.message)));
  if (n < 2) {
    byId('share-problems').append(el('li', { class: 'muted' }, 'Sharing needs two or more images: add another.'));
  }
  renderTotals(report);
  renderBars(report);
  renderBase(report);
  renderMatrix(report, rows);
}

function renderTotals(report) {
  const t = totals(report);
  const pct = t.sumUncompressed ? ` (${((t.savedUncompressed / t.sumUncompressed) * 100).toFixed(1)}%)` : '';
  const rows = [
    ['Summed over the images', bytes(t.sumUncompressed)],
    ['Each layer once', bytes(t.uniqueUncompressed)],
    ['Saved by sharing', `${bytes(t.savedUncompressed)}${pct}`],
    ['Stored', t.storedComparable
      ? `${bytes(t.sumStored)} summed, ${bytes(t.uniqueStored)} each blob once, ${bytes(t.savedStored)} saved`
      : `${bytes(t.sumStored)} summed; not comparable (a shared layer is stored as different blobs)`],
  ];
  if (t.unsizedLayers) rows.push(['Unknown size', `${t.unsizedLayers} layer${t.unsizedLayers === 1 ? '' : 's'} left out`]);
  const dl = byId('share-totals');
  dl.replaceChildren();
  for (const [k, v] of rows) dl.append(el('dt', {}, k), el('dd', {}, v));
}

function renderBars(report) {
  const legend = el('p', { class: 'share-legend small' },
    el('span', { class: 'swatch seg-base' }), ' common base ',
    el('span', { class: 'swatch seg-shared' }), ' shared with other images ',
    el('span', { class: 'swatch seg-own' }), ' own');
  const list = bars(report).map((b) => {
    const label = imageLabel(report, b.index);
    const seg = (cls, value, what) => (value > 0
      ? el('span', { class: `seg ${cls}`, style: { flexGrow: String(value) }, title: `${what}: ${bytes(value)}` })
      : null);
    return el('div', { class: 'share-bar-row', 'data-image': b.index },
      el('div', { class: 'share-bar-label' }, el('b', {}, `#${b.index}`), ' ', label.tag, el('span', { class: 'muted' }, ` · ${label.source}`)),
      el('div', { class: 'share-bar-track' },
        el('div', { class: 'share-bar', style: { width: `${Math.max(0.5, b.fraction * 100)}%` } },
          seg('seg-base', b.parts.base, 'common base'),
          seg('seg-shared', b.parts.shared, 'shared with other images'),
          seg('seg-own', b.parts.own, 'own'))),
      el('div', { class: 'share-bar-size small' }, bytes(b.total)));
  });
  byId('share-bars').replaceChildren(legend, ...list);
}

function renderBase(report) {
  const base = report.commonBase;
  const target = byId('share-base');
  if (!base.layers) {
    target.replaceChildren(el('p', { class: 'muted' }, report.images.length < 2 ? 'One image: no base to share.' : 'None: the images differ from their first layer.'));
    return;
  }
  const history = base.history.map((h) => el('li', { class: h.emptyLayer ? 'muted' : '' }, h.createdBy || '—', h.emptyLayer ? ' (no layer)' : ''));
  const annotations = base.annotations.map((a) => el('li', {},
    'base image ', el('code', {}, a.name || '—'), ' ', el('code', {}, a.digest || '—'),
    el('span', { class: 'muted' }, ` — images ${a.images.map((i) => `#${i}`).join(', ')}`)));
  target.replaceChildren(
    el('p', {}, `${base.layers} layer${base.layers === 1 ? '' : 's'}, ${bytes(typeof base.uncompressedSize === 'bigint' ? Number(base.uncompressedSize) : base.uncompressedSize)} uncompressed, shared by every image.`),
    el('ol', { class: 'share-history' }, history),
    annotations.length ? el('ul', { class: 'share-annotations' }, annotations) : null);
}

function renderMatrix(report, rows) {
  const images = report.images.map((_, i) => imageLabel(report, i));
  const head = el('tr', {},
    el('th', { scope: 'col' }, 'diff_id'),
    el('th', { scope: 'col', class: 'num' }, 'size'),
    images.map((label, i) => el('th', { scope: 'col', class: 'img', title: `${label.tag} · ${label.source}` }, `#${i}`)),
    el('th', { scope: 'col' }, 'created by'));
  const body = rows.map((r) => el('tr', { class: r.inBase ? 'base' : '', 'data-layer': r.index },
    el('td', { class: 'mono', title: r.diffId || 'no diff_id' }, r.short),
    el('td', { class: 'num', title: r.sizeError || r.sizeSource || '' }, bytes(r.size)),
    r.cells.map((used, i) => el('td', { class: used ? 'img used' : 'img', title: used ? `used by #${i}` : `not in #${i}` }, used ? '●' : '')),
    el('td', { class: 'cmd', title: r.createdBy }, r.createdBy)));
  const explore = el('div', { class: 'share-explore' }, images.map((label, i) => el('button', {
    type: 'button', class: 'btn small', 'data-image': i,
    title: `Open ${label.tag} (${label.source}) in the explorer`,
    onclick: () => exploreImage(i),
  }, `Explore #${i}`, ' ', label.tag)));
  byId('share-matrix').replaceChildren(explore, el('table', { class: 'share-table' }, el('thead', {}, head), el('tbody', {}, body)));
}

function exploreImage(index) {
  const report = view.report;
  if (!report || !view.explore) return;
  const image = report.images[index];
  const input = view.inputs[image.input];
  if (!input) return;
  byId('share').hidden = true;
  byId('share-back').hidden = false;
  view.explore(input.input, input.name, { image: String(image.listingIndex) });
}

// ---------------------------------------------------------------- drops

/** The dropped files and folders of a drop with several items. */
async function droppedItems(event) {
  const items = [...(event.dataTransfer?.items || [])];
  const entries = items.map((i) => i.webkitGetAsEntry?.()).filter(Boolean);
  const out = [];
  if (entries.length) {
    for (const entry of entries) {
      if (entry.isDirectory) {
        const files = new Map();
        await readDirectory(entry, '', files);
        out.push({ input: files, name: entry.name });
      } else {
        const file = await new Promise((ok, fail) => entry.file(ok, fail));
        out.push({ input: file, name: file.name });
      }
    }
    return out;
  }
  return [...(event.dataTransfer?.files || [])].map((f) => ({ input: f, name: f.name }));
}

/** Reads a dropped folder into a Map of path relative to it → File. */
async function readDirectory(dir, prefix, files) {
  const reader = dir.createReader();
  for (;;) {
    const batch = await new Promise((ok, fail) => reader.readEntries(ok, fail));
    if (!batch.length) return;
    for (const entry of batch) {
      const path = prefix + entry.name;
      if (entry.isDirectory) await readDirectory(entry, `${path}/`, files);
      else files.set(path, await new Promise((ok, fail) => entry.file(ok, fail)));
    }
  }
}

function onDrop(event) {
  const count = event.dataTransfer?.items?.length || event.dataTransfer?.files?.length || 0;
  const adding = byId('share') && !byId('share').hidden;
  // One item on the start screen or an opened image: the page's own drop.
  if (count < 2 && !adding) return;
  event.preventDefault();
  event.stopImmediatePropagation();
  document.body.classList.remove('dragging');
  droppedItems(event).then((items) => {
    if (!items.length) return;
    if (adding) addInputs(items);
    else openShare(items);
  }).catch((e) => {
    ensureSection();
    showShare();
    byId('share-problems').replaceChildren(el('li', { class: 'failure' }, `Could not read the dropped items: ${e.message}`));
  });
}

/**
 * Wires the view into the page: `module` is the compiled wasm promise the
 * page shares with its workers; `explore(input, name, options)` opens one
 * image in the single-image view.
 */
export function initShare({ module, explore }) {
  view.module = module;
  view.explore = explore;
  ensureSection();
  // Capture: a drop of several items is ours before the page's handler.
  window.addEventListener('drop', onDrop, { capture: true });
}

// For the end-to-end tests and the console (read-only use).
export const shareView = view;
