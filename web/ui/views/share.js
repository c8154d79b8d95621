// The multi-image view (issue 11): drop several image files or folders (or
// pick them, then add more) and see what they share — a sharing matrix
// (images × layers) with the common base highlighted, the totals, and a
// stacked bar per image of its base, shared and own bytes. Every number
// comes from the core (`share`, through the share worker's `share`
// operation, wasm `shareImages`); ../share-model.js lays the report out.
// Each image stays explorable: "Explore" opens it in the single-image view
// and "Back to the images" returns here.
//
// The module adds its own section, buttons and stylesheet (share.css), and
// takes drops of several items before ui/inputs.js sees them.
import { $, h, replace } from '../dom.js';
import { formatBytes, num, pct, plural } from '../format.js';
import { shareWorker } from '../workers.js';
import { layoutFromFiles, readDirectory } from '../inputs.js';
import { bars, imageLabel, matrix, problems, totals } from '../share-model.js';

const view = {
  /** `{input, name, identity}` of every input added, in order. */
  inputs: [],
  report: null,
  explore: null,
  gen: 0,
};

/** What makes two dropped inputs the same file: name, size and date. */
function identity(input, name) {
  if (input instanceof Map) {
    let size = 0;
    for (const f of input.values()) size += f.size;
    return `folder:${name}:${input.size}:${size}`;
  }
  return `file:${name}:${input.size}:${input.lastModified ?? ''}`;
}

/** A size, or `?` when the core could not learn it. */
const size = (n) => (n == null ? '?' : formatBytes(n));

// ---------------------------------------------------------------- layout

function fileInput(id, onFiles) {
  const input = h('input', { type: 'file', id, multiple: true, hidden: true, accept: '.tar,application/x-tar,application/octet-stream' });
  input.addEventListener('change', () => {
    const files = [...(input.files || [])];
    input.value = '';
    if (files.length) onFiles(files.map((f) => ({ input: f, name: f.name })));
  });
  return input;
}

function build() {
  document.head.append(h('link', { rel: 'stylesheet', href: new URL('./share.css', import.meta.url).href }));
  const add = fileInput('share-add', addInputs);
  const section = h('section', { id: 'share', class: 'share', hidden: true, 'aria-labelledby': 'share-title' },
    h('div', { class: 'image-head' },
      h('div', {}, h('h2', { id: 'share-title' }, 'Images'), h('p', { id: 'share-subtitle', class: 'muted' })),
      h('div', { class: 'share-actions' },
        h('button', { type: 'button', class: 'btn small', id: 'share-add-button', title: 'Add image files to the comparison', onclick: () => add.click() }, 'Add image…'),
        add,
        h('button', { type: 'button', class: 'btn small', id: 'share-close', onclick: closeShare }, 'Close'))),
    h('div', { id: 'share-status', class: 'muted small', role: 'status' }),
    h('ul', { id: 'share-problems', class: 'share-problems' }),
    h('section', { class: 'card', 'aria-labelledby': 'share-bytes-h' },
      h('h3', { id: 'share-bytes-h' }, 'Bytes'),
      h('dl', { id: 'share-totals', class: 'kv' }),
      h('div', { id: 'share-bars', class: 'share-bars' })),
    h('section', { class: 'card', 'aria-labelledby': 'share-base-h' },
      h('h3', { id: 'share-base-h' }, 'Common base'),
      h('div', { id: 'share-base' })),
    h('section', { class: 'card', 'aria-labelledby': 'share-matrix-h' },
      h('h3', { id: 'share-matrix-h' }, 'Layers × images'),
      h('p', { class: 'muted small' }, 'Layers are matched by diff_id: one layer stored gzip in one file and uncompressed in another is one layer. Rows of the common base are highlighted.'),
      h('div', { id: 'share-matrix', class: 'share-matrix' })));
  const start = $('#start');
  start.after(section);
  // On the start screen: a picker for several files at once.
  const many = fileInput('share-input', openShare);
  $('#start .drop-actions')?.append(
    h('button', { type: 'button', class: 'btn', id: 'choose-many', title: 'Choose two or more image files and see the layers they share', onclick: () => many.click() }, 'Compare several images…'),
    many);
  // In the top bar: back from exploring one image.
  $('.topbar-actions')?.prepend(h('button', { type: 'button', class: 'btn', id: 'share-back', hidden: true, onclick: showShare }, 'Back to the images'));
  $('#close-image')?.addEventListener('click', closeShare);
}

function showShare() {
  $('#share').hidden = false;
  $('#start').hidden = true;
  $('#image').hidden = true;
  $('#share-back').hidden = true;
  $('#close-image').hidden = false;
}

function closeShare() {
  view.gen++;
  view.inputs = [];
  view.report = null;
  $('#share').hidden = true;
  $('#share-back').hidden = true;
  if ($('#image').hidden) $('#start').hidden = false;
}

// ---------------------------------------------------------------- analysis

/** Starts a new set with `items` (`{input, name}`) and shows it. */
export function openShare(items) {
  view.inputs = [];
  return addInputs(items);
}

/** Adds `items` to the set and analyses the set again. */
async function addInputs(items) {
  for (const { input, name } of items) view.inputs.push({ input, name, identity: identity(input, name) });
  showShare();
  const gen = ++view.gen;
  const status = (text) => { $('#share-status').textContent = text; };
  status(`Reading ${plural(view.inputs.length, 'input')}…`);
  try {
    const report = await shareWorker().call('share', {
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
    replace($('#share-problems'), h('li', { class: 'failure' }, `Could not analyse the images: ${e.name}: ${e.message}`));
  }
}

// ---------------------------------------------------------------- rendering

function render(report) {
  const rows = matrix(report);
  const n = report.images.length;
  $('#share-title').textContent = plural(n, 'image');
  const base = report.commonBase;
  $('#share-subtitle').textContent = `${plural(rows.length, 'distinct layer')} · common base: ${plural(base.layers, 'layer')}`;
  replace($('#share-problems'), problems(report).map((p) => h('li', { class: p.kind === 'duplicate' ? 'muted' : 'failure' },
    h('b', {}, p.name), ': ', p.kind === 'duplicate' ? '' : `${p.kind}: `, p.message)));
  if (n < 2) $('#share-problems').append(h('li', { class: 'muted' }, 'Sharing needs two or more images: add another.'));
  renderTotals(report);
  renderBars(report);
  renderBase(report);
  renderMatrix(report, rows);
}

function renderTotals(report) {
  const t = totals(report);
  const rows = [
    ['Summed over the images', formatBytes(t.sumUncompressed)],
    ['Each layer once', formatBytes(t.uniqueUncompressed)],
    ['Saved by sharing', `${formatBytes(t.savedUncompressed)}${t.sumUncompressed ? ` (${pct(t.savedUncompressed / t.sumUncompressed)})` : ''}`],
    ['Stored', t.storedComparable
      ? `${formatBytes(t.sumStored)} summed, ${formatBytes(t.uniqueStored)} each blob once, ${formatBytes(t.savedStored)} saved`
      : `${formatBytes(t.sumStored)} summed; not comparable (a shared layer is stored as different blobs)`],
  ];
  if (t.unsizedLayers) rows.push(['Unknown size', `${plural(t.unsizedLayers, 'layer')} left out`]);
  replace($('#share-totals'), rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function renderBars(report) {
  const legend = h('p', { class: 'share-legend small' },
    h('span', { class: 'swatch seg-base' }), ' common base ',
    h('span', { class: 'swatch seg-shared' }), ' shared with other images ',
    h('span', { class: 'swatch seg-own' }), ' own');
  const seg = (cls, value, what) => (value > 0
    ? h('span', { class: `seg ${cls}`, style: { flexGrow: String(value) }, title: `${what}: ${formatBytes(value)}` })
    : null);
  replace($('#share-bars'), legend, bars(report).map((b) => {
    const label = imageLabel(report, b.index);
    return h('div', { class: 'share-bar-row', dataset: { image: String(b.index) } },
      h('div', { class: 'share-bar-label' }, h('b', {}, `#${b.index}`), ' ', label.tag, h('span', { class: 'muted' }, ` · ${label.source}`)),
      h('div', { class: 'share-bar-track' },
        h('div', { class: 'share-bar', style: { width: `${Math.max(0.5, b.fraction * 100)}%` } },
          seg('seg-base', b.parts.base, 'common base'),
          seg('seg-shared', b.parts.shared, 'shared with other images'),
          seg('seg-own', b.parts.own, 'own'))),
      h('div', { class: 'share-bar-size small' }, formatBytes(b.total)));
  }));
}

function renderBase(report) {
  const base = report.commonBase;
  if (!base.layers) {
    replace($('#share-base'), h('p', { class: 'muted' }, report.images.length < 2 ? 'One image: no base to share.' : 'None: the images differ from their first layer.'));
    return;
  }
  const history = base.history.map((entry) => h('li', { class: entry.emptyLayer ? 'muted' : null }, entry.createdBy || '—', entry.emptyLayer ? ' (no layer)' : ''));
  const annotations = base.annotations.map((a) => h('li', {},
    'base image ', h('code', {}, a.name || '—'), ' ', h('code', {}, a.digest || '—'),
    h('span', { class: 'muted' }, ` — images ${a.images.map((i) => `#${i}`).join(', ')}`)));
  replace($('#share-base'),
    h('p', {}, `${plural(base.layers, 'layer')}, ${formatBytes(num(base.uncompressedSize))} uncompressed, shared by every image.`),
    h('ol', { class: 'share-history' }, history),
    annotations.length ? h('ul', { class: 'share-annotations' }, annotations) : null);
}

function renderMatrix(report, rows) {
  const images = report.images.map((_, i) => imageLabel(report, i));
  const head = h('tr', {},
    h('th', { scope: 'col' }, 'diff_id'),
    h('th', { scope: 'col', class: 'num' }, 'size'),
    images.map((label, i) => h('th', { scope: 'col', class: 'img', title: `${label.tag} · ${label.source}` }, `#${i}`)),
    h('th', { scope: 'col' }, 'created by'));
  const body = rows.map((r) => h('tr', { class: r.inBase ? 'base' : null, dataset: { layer: String(r.index) } },
    h('td', { class: 'mono', title: r.diffId || 'no diff_id' }, r.short),
    h('td', { class: 'num', title: r.sizeError || r.sizeSource || '' }, size(r.size)),
    r.cells.map((used, i) => h('td', { class: used ? 'img used' : 'img', title: used ? `used by #${i}` : `not in #${i}` }, used ? '●' : '')),
    h('td', { class: 'cmd', title: r.createdBy }, r.createdBy)));
  const explore = h('div', { class: 'share-explore' }, images.map((label, i) => h('button', {
    type: 'button', class: 'btn small', dataset: { image: String(i) },
    title: `Open ${label.tag} (${label.source}) in the explorer`,
    onclick: () => exploreImage(i),
  }, `Explore #${i} `, label.tag)));
  replace($('#share-matrix'), explore, h('table', { class: 'share-table' }, h('thead', {}, head), h('tbody', {}, body)));
}

function exploreImage(index) {
  const image = view.report?.images[index];
  const input = image && view.inputs[image.input];
  if (!input || !view.explore) return;
  $('#share').hidden = true;
  $('#share-back').hidden = false;
  view.explore(input.input, input.name, { image: String(image.listingIndex) });
}

// ---------------------------------------------------------------- drops

/** The files and folders of a drop (entries are read before any await). */
async function droppedItems(event) {
  const entries = [...(event.dataTransfer?.items || [])].map((i) => i.webkitGetAsEntry?.()).filter(Boolean);
  if (!entries.length) return [...(event.dataTransfer?.files || [])].map((f) => ({ input: f, name: f.name }));
  const out = [];
  for (const entry of entries) {
    if (entry.isDirectory) {
      const files = new Map();
      await readDirectory(entry, '', files);
      out.push({ input: layoutFromFiles(files) ?? files, name: entry.name });
    } else {
      out.push({ input: await new Promise((ok, fail) => entry.file(ok, fail)), name: entry.name });
    }
  }
  return out;
}

function onDrop(event) {
  const count = event.dataTransfer?.items?.length || event.dataTransfer?.files?.length || 0;
  const adding = !$('#share').hidden;
  // One item and no set open: the page's own drop (ui/inputs.js).
  if (count < 2 && !adding) return;
  event.preventDefault();
  event.stopImmediatePropagation();
  document.body.classList.remove('dragging');
  droppedItems(event)
    .then((items) => { if (items.length) (adding ? addInputs : openShare)(items); })
    .catch((e) => {
      showShare();
      replace($('#share-problems'), h('li', { class: 'failure' }, `Could not read the dropped items: ${e.message}`));
    });
}

/**
 * Wires the view into the page: `explore(input, name, options)` opens one
 * image in the single-image view.
 */
export function initShare(explore) {
  view.explore = explore;
  build();
  // Capture: a drop of several items is ours before ui/inputs.js's.
  window.addEventListener('drop', onDrop, { capture: true });
}

// For the end-to-end tests and the console (read-only use).
export const shareView = view;
