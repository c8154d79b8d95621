// layerscope page: drop/pick an image, open it in a worker, verify layers in
// parallel workers, show summary, layers, history and a file tree.
// Nothing leaves the tab: files are read with FileReaderSync in workers.
import { initShare } from './share-view.js';
import { FileTree, formatBytes, FLAG, MFLAG, KIND } from './tree.js';
import { WorkerClient, compileWasm } from './rpc.js';

const $ = (sel) => document.querySelector(sel);
const num = (v) => (typeof v === 'bigint' ? Number(v) : (v ?? 0));
const PREVIEW_MAX = 1 << 20;
const MAX_HELPERS = 4;

// ---------------------------------------------------------------- elements

function h(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function short(digest) {
  if (!digest) return '—';
  const [, hex = digest] = String(digest).split(':');
  return hex.slice(0, 12);
}

function copyButton(value, label) {
  return h('button', {
    type: 'button', class: 'copy', title: `Copy ${label}: ${value}`, 'aria-label': `Copy ${label}`,
    onclick: async (e) => {
      e.stopPropagation();
      try {
        await navigator.clipboard.writeText(value);
        e.currentTarget.textContent = 'copied';
      } catch {
        window.prompt(`Copy ${label}:`, value);
      }
      const btn = e.currentTarget;
      setTimeout(() => { if (btn) btn.textContent = 'copy'; }, 1200);
    },
  }, 'copy');
}

function digestCell(digest, label) {
  if (!digest) return h('span', { class: 'muted' }, '—');
  return h('span', { class: 'digest', title: digest, dataset: { full: digest } }, short(digest), copyButton(digest, label));
}

// ---------------------------------------------------------------- workers

// The WebAssembly module is compiled once, while the page loads, and shared
// with every worker.
const wasmModule = compileWasm();

let primary = new WorkerClient('layerscope-main', wasmModule);
// A trap loses the main session: reopen the image once, then give up with the message.
primary.onCrash = (err) => {
  if (!state.input || state.crashReopened === state.input) {
    showError(err);
    return;
  }
  state.crashReopened = state.input;
  // Kept until the reopened image is shown, so the user learns what happened.
  state.crashNotice = `${err.message} The image was opened again in a new worker.`;
  setTimeout(() => openInput(state.input, state.inputName, state.options), 0);
};
let helpers = [];

function poolSize() {
  const cores = navigator.hardwareConcurrency || 2;
  // The main worker only merges results while layers are scanned, so every
  // core gets a scan worker.
  return Math.max(1, Math.min(MAX_HELPERS, cores));
}

function ensureHelpers(n) {
  while (helpers.length < n) helpers.push(new WorkerClient(`layerscope-scan-${helpers.length + 1}`, wasmModule));
}

// Scan workers start with the page, so a dropped image starts verifying at
// once instead of waiting for workers to load.
ensureHelpers(poolSize());

// ---------------------------------------------------------------- state

const state = {
  gen: 0,
  input: null,
  inputName: '',
  options: {},
  opened: null,
  views: [],
  progress: [],
  rows: [],
  scanning: false,
  selectedLayer: null,
  selectedPath: '',
  fragment: parseFragment(),
  treeLayer: null,
  analysis: null,
};

function parseFragment() {
  const p = new URLSearchParams(location.hash.slice(1));
  return {
    layer: p.get('layer') === 'merged' ? 'merged' : p.has('layer') ? Number(p.get('layer')) : null,
    path: p.get('path') || '',
    filter: p.get('filter') || '',
    regex: p.get('re') === '1',
    sort: p.get('sort') || 'name',
    image: p.get('image'),
    changes: p.get('changes') === '1',
    wasted: p.get('wasted') === '1',
  };
}

function writeFragment() {
  const p = new URLSearchParams();
  if (state.options.image != null) p.set('image', state.options.image);
  if (state.selectedLayer != null) p.set('layer', String(state.selectedLayer));
  if (state.selectedPath) p.set('path', state.selectedPath);
  const filter = $('#filter').value;
  if (filter) p.set('filter', filter);
  if ($('#filter-regex').checked) p.set('re', '1');
  if ($('#sort').value !== 'name') p.set('sort', $('#sort').value);
  if ($('#only-changes').checked) p.set('changes', '1');
  if ($('#only-wasted').checked) p.set('wasted', '1');
  const hash = p.toString();
  history.replaceState(null, '', hash ? `#${hash}` : location.pathname + location.search);
}

// ---------------------------------------------------------------- messages

function showBanner(kind, title, text) {
  const b = $('#banner');
  b.className = `banner ${kind}`;
  b.replaceChildren(h('strong', {}, title), text ? ` ${text}` : '');
  b.hidden = false;
}

function showError(e, context = '') {
  if (e?.name === 'AbortError') return;
  const message = String(e?.message || e);
  const details = e?.details ? Object.entries(e.details)
    .filter(([k, v]) => k !== 'kind' && !message.includes(String(v)))
    .map(([k, v]) => `${k}: ${v}`).join(', ') : '';
  showBanner('error', `${context}${e?.name || 'Error'}:`, `${message}${details ? `\n(${details})` : ''}`);
}

function hideBanner() { $('#banner').hidden = true; }

function busy(text) {
  $('#busy').hidden = !text;
  $('#busy-text').textContent = text || '';
  updateCancel();
}

function updateCancel() {
  $('#cancel').hidden = !(state.scanning || !$('#busy').hidden);
}

// ---------------------------------------------------------------- opening

async function openInput(input, name, options = {}) {
  cancelWork();
  const gen = ++state.gen;
  state.input = input;
  state.inputName = name;
  state.options = options;
  state.opened = null;
  hideBanner();
  busy(`Opening ${name}…`);
  const timing = state.timing = { start: performance.now() };
  try {
    const opened = await primary.call('open', { input, options });
    if (gen !== state.gen) return;
    timing.opened = performance.now();
    timing.workerMs = primary.lastMs;
    state.opened = opened;
    state.report = null;
    state.analysis = null;
    $('#analysis').hidden = true;
    if (!$('#diff').hidden) closeCompare();
    state.views = opened.layers.map((layer, index) => ({ index, layer, checks: [], warnings: [] }));
    state.progress = opened.layers.map(() => null);
    state.cancelled = false;
    busy('');
    $('#start').hidden = true;
    $('#image').hidden = false;
    $('#close-image').hidden = false;
    renderImage();
    if (state.crashNotice) {
      showBanner('error', 'The inspector crashed and was restarted.', state.crashNotice);
      state.crashNotice = null;
    }
    const wanted = state.fragment.layer;
    selectLayer(wanted === 'merged' || (wanted != null && wanted < opened.layers.length) ? wanted : null);
    timing.rendered = performance.now();
    // Let the layer list paint before verification starts its work.
    await afterPaint();
    if (gen !== state.gen) return;
    await scanAll(gen);
  } catch (e) {
    if (gen !== state.gen) return;
    busy('');
    showError(e, `Could not open ${name}: `);
  }
}

/** Resolves after the next frame is painted (or 100 ms, in a hidden tab). */
function afterPaint() {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 100);
    requestAnimationFrame(() => setTimeout(() => { clearTimeout(timer); resolve(); }, 0));
  });
}

function cancelWork() {
  state.gen++;
  for (const hlp of helpers) if (hlp.busy) hlp.restart('cancelled');
  if (primary.busy) primary.restart('cancelled');
  state.scanning = false;
  updateCancel();
}

// ---------------------------------------------------------------- scanning

/**
 * Whether hashing a layer's stored bytes is a job of its own (the core
 * decides from the blob's first bytes: compressed, or another algorithm
 * than the diff_id's); this only decides how to split the work.
 */
async function looksCompressed(input, plan, planJson) {
  try {
    const head = await primary.call('blobHead', { input, plan, planJson });
    return !!head?.separateStoredHash;
  } catch {
    return false;
  }
}

/**
 * Knobs the benchmark flips to compare strategies (window.layerscope.tuning):
 * `splitCompressed` allows the stored-hash split; 'always' forces it.
 */
const tuning = { splitCompressed: true };

/** Relative CPU cost per stored byte (wasm: SHA-256 ≈ 230 MB/s, inflate ≈ 215 MB/s, ≈ 2× expansion). */
const COST = { hash: 1, scanCompressed: 4, scanPlain: 1 };

/**
 * Verifies every layer on the scan workers, one job per layer, largest
 * first. A compressed layer that would be the critical path is two jobs
 * that run at the same time on two workers — hash the stored bytes
 * (`hashBlob`: `crypto.subtle` when small, else wasm) and decompress + hash
 * the uncompressed stream + index the tar (`scanRange` without the stored
 * hash) — joined by the main session's `addScan`.
 * A failed job falls back to the main worker scanning the layer, which
 * records the typed failure.
 */
async function scanAll(gen) {
  const { plans, plansJson, limitsJson } = state.opened;
  const indexes = plans.filter((p) => p.location).map((p) => p.index);
  if (!indexes.length) { finishScans(gen); return; }
  state.scanning = true;
  state.cancelled = false;
  state.scanStarted = performance.now();
  for (const v of state.views) fillLayerRow(v.index);
  updateCancel();
  updateScanStatus();
  const compressed = await Promise.all(indexes.map((i) => looksCompressed(state.input, plans[i], plansJson[i])));
  if (gen !== state.gen) return;
  const jobs = [];
  const layers = new Map();
  // Splitting a layer reads its stored bytes twice, so it costs CPU; it pays
  // only when that layer alone would outlast an even share of the work (one
  // big layer, or fewer layers than workers). With many layers, whole-layer
  // jobs already keep every worker busy.
  const whole = (k) => num(plans[indexes[k]].location.size) * (compressed[k] ? COST.scanCompressed + COST.hash : COST.scanPlain);
  const share = indexes.reduce((sum, _, k) => sum + whole(k), 0) / Math.min(indexes.length, poolSize());
  indexes.forEach((index, k) => {
    const total = num(plans[index].location.size);
    const split = compressed[k] && (tuning.splitCompressed === 'always' || (tuning.splitCompressed && whole(k) > share));
    const prog = state.progress[index] = { done: 0, total, start: performance.now(), running: true, parts: split ? { scan: 0, hash: 0 } : null };
    layers.set(index, { prog, pending: split ? 2 : 1, scan: null, digest: null, failed: false });
    jobs.push({ kind: 'scan', index, split, cost: total * (split ? COST.scanCompressed : COST.scanPlain) });
    if (split) jobs.push({ kind: 'hash', index, cost: total * COST.hash });
    updateLayerRow(index);
  });
  jobs.sort((a, b) => b.cost - a.cost);
  const n = Math.min(jobs.length, poolSize());
  // Worker-side time per kind of job, for the benchmark and the console.
  const stats = state.scanStats = { workers: n, scanMs: 0, hashMs: 0, subtleHashes: 0, jobs: jobs.length, first: performance.now(), last: 0 };
  ensureHelpers(n);

  const progressed = (index, part, done) => {
    const { prog } = layers.get(index);
    if (prog.parts) {
      prog.parts[part] = num(done);
      prog.done = (prog.parts.scan + prog.parts.hash) / 2;
    } else prog.done = num(done);
    updateProgressCell(index);
  };
  const settle = async (index) => {
    const layer = layers.get(index);
    const { prog } = layer;
    prog.done = prog.total;
    prog.end = performance.now();
    prog.running = false;
    try {
      if (layer.failed) {
        // Let the main session scan it again so the core records the typed failure.
        try {
          applyView(await primary.call('scan', { index }));
        } catch (e2) {
          if (gen !== state.gen || e2.name === 'AbortError') return;
          try {
            const view = await primary.call('layerView', { index });
            view.error = e2;
            applyView(view);
          } catch { /* session gone: the banner says why */ }
          if (e2.trap) showError(e2);
        }
        return;
      }
      const view = await primary.call('addScan', { bytes: layer.scan, storedDigest: layer.digest }, { transfer: [layer.scan.buffer] });
      if (gen === state.gen) applyView(view);
    } catch (e) {
      if (gen === state.gen && e.name !== 'AbortError') showError(e);
    } finally {
      updateLayerRow(index);
      updateScanStatus();
    }
  };
  const run = async (helper) => {
    while (jobs.length && gen === state.gen) {
      const job = jobs.shift();
      const layer = layers.get(job.index);
      if (layer.failed) { if (--layer.pending === 0) await settle(job.index); continue; }
      try {
        if (job.kind === 'hash') {
          const r = await helper.call('hashBlob', { input: state.input, plan: plans[job.index], planJson: plansJson[job.index] }, {
            onProgress: (done) => progressed(job.index, 'hash', done),
          });
          layer.digest = r.digest;
          stats.hashMs += helper.lastMs || 0;
          if (r.subtle) stats.subtleHashes++;
        } else {
          const r = await helper.call('scanRange', { input: state.input, plan: plansJson[job.index], limits: limitsJson, hashStored: !job.split }, {
            onProgress: (done) => progressed(job.index, 'scan', done),
          });
          layer.scan = r.scan;
          stats.scanMs += helper.lastMs || 0;
        }
        stats.last = performance.now();
      } catch (e) {
        if (gen !== state.gen || e.name === 'AbortError') return;
        layer.failed = true;
      }
      if (gen !== state.gen) return;
      if (--layer.pending === 0) await settle(job.index);
    }
  };
  await Promise.all(helpers.slice(0, n).map(run));
  if (gen === state.gen) finishScans(gen);
}

async function finishScans(gen) {
  state.scanning = false;
  updateCancel();
  try {
    const report = await primary.call('report');
    if (gen !== state.gen) return;
    state.report = report;
    renderOverall(report);
    renderChecks(report);
    renderSummary();
  } catch (e) { showError(e); }
  updateScanStatus();
  if (gen === state.gen) await analyze(gen);
}

async function analyze(gen) {
  const complete = state.views.every((v) => v.layer.entries != null);
  if (!complete) {
    $('#analysis').hidden = false;
    $('#score').replaceChildren(h('p', { class: 'muted' }, 'The merged view, wasted space and advice need every layer; some layers are missing or could not be read.'));
    $('#advice').replaceChildren();
    $('#wasted').replaceChildren();
    return;
  }
  try {
    const analysis = await primary.call('analyze');
    if (gen !== state.gen) return;
    state.analysis = analysis;
    renderAnalysis();
    for (const v of state.views) fillLayerRow(v.index);
    renderMergedRow();
    if (compare.input && !$('#diff').hidden) runDiff().catch((e) => showError(e, 'Comparing: '));
    $('#only-changes').disabled = false;
    $('#only-wasted').disabled = state.selectedLayer === 'merged';
    $('#export').hidden = state.selectedLayer == null;
    if (state.selectedLayer != null) loadTree(state.selectedLayer);
  } catch (e) {
    if (gen === state.gen) showError(e, 'Merging layers: ');
  }
}

function pct(x) { return `${(x * 100).toFixed(1)}%`; }

function renderAnalysis() {
  const a = state.analysis;
  $('#analysis').hidden = false;
  const d = a.dive;
  const w = a.waste;
  const meter = h('div', { class: 'meter', title: `efficiency ${pct(d.score)}` }, h('span'));
  meter.firstChild.style.width = pct(Math.max(0, Math.min(1, d.score)));
  $('#score').replaceChildren(
    h('div', { class: 'stat' }, h('span', { class: 'muted small' }, 'Efficiency (dive)'), h('span', { class: 'score', id: 'efficiency' }, pct(d.score)), meter),
    h('div', { class: 'stat' }, h('span', { class: 'muted small' }, 'Wasted (exact)'), h('b', { id: 'wasted-bytes' }, formatBytes(w.wastedBytes)), h('span', { class: 'muted small' }, `${num(w.fileCount)} files shipped but not visible`)),
    h('div', { class: 'stat' }, h('span', { class: 'muted small' }, 'Duplicate content'), h('b', {}, formatBytes(w.reclaimableBytes)), h('span', { class: 'muted small' }, `${num(w.duplicateCount)} contents stored more than once`)),
    h('div', { class: 'stat' }, h('span', { class: 'muted small' }, 'Visible / shipped'), h('b', {}, `${formatBytes(w.visibleBytes)} / ${formatBytes(w.shippedBytes)}`), h('span', { class: 'muted small' }, `${num(a.mergedPaths).toLocaleString('en')} paths in the final image`)),
  );
  $('#advice').replaceChildren(...(a.advice.length ? a.advice.map((adv) => h('li', {},
    h('span', { class: `badge ${adv.severity === 'high' ? 'failed' : adv.severity === 'medium' ? 'warn' : 'info'}` }, adv.severity), ' ', adv.message,
    num(adv.bytes) ? h('span', { class: 'muted' }, ` (${formatBytes(adv.bytes)})`) : '',
    ...adv.evidence.slice(0, 4).map((ev) => h('div', { class: 'evidence' },
      [ev.layer != null ? `layer ${ev.layer}` : '', ev.path ? `/${ev.path}` : '', num(ev.bytes) ? formatBytes(ev.bytes) : '', ev.note || '', ev.command ? `← ${cleanCommand(ev.command)}` : ''].filter(Boolean).join(' · '))),
    adv.evidence.length > 4 ? h('div', { class: 'evidence' }, `… and ${adv.evidence.length - 4} more`) : '',
  )) : [h('li', { class: 'muted' }, 'No advice: nothing stands out.')]));
  $('#wasted').replaceChildren(...(w.files.length ? w.files.slice(0, 25).map((f) => h('li', { title: `shipped by layer ${f.layer}${f.hiddenBy != null ? `, hidden by layer ${f.hiddenBy}` : ''}${f.cause ? ` (${f.cause.type})` : ''}` },
    h('span', {}, `L${f.layer}${f.hiddenBy != null ? `→${f.hiddenBy}` : ''}`), h('span', { class: 'p' }, `/${f.path}`), h('span', { class: 's' }, formatBytes(f.size)))) : [h('li', { class: 'muted' }, 'No wasted files.')]));
}

function renderMergedRow() {
  const tbody = $('#layers tbody');
  tbody.querySelector('tr.merged-row')?.remove();
  const a = state.analysis;
  const tr = h('tr', { class: 'layer merged-row', tabindex: '0', dataset: { layer: 'merged' }, onclick: () => selectLayer('merged'),
    onkeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); selectLayer('merged'); } } },
  h('td', { class: 'num' }, '∑'),
  h('td', {}, 'Merged image (all layers applied)'),
  h('td', { colspan: 4 }, h('span', { class: 'muted' }, `${num(a.mergedPaths).toLocaleString('en')} paths · ${formatBytes(a.waste.visibleBytes)} visible`)),
  h('td', { class: 'num' }, num(a.mergedPaths).toLocaleString('en')),
  h('td', {}, ''),
  h('td', {}, h('span', { class: 'badge info' }, `efficiency ${pct(a.dive.score)}`)));
  tr.classList.toggle('selected', state.selectedLayer === 'merged');
  tbody.prepend(tr);
}

function applyView(view) {
  state.views[view.index] = view;
  updateLayerRow(view.index);
  if (state.selectedLayer === view.index && state.treeLayer !== view.index) loadTree(view.index);
}

function updateScanStatus() {
  const total = state.opened?.layers.length || 0;
  const done = state.views.filter((v) => v.layer && !['pending'].includes(v.layer.status)).length;
  const el = $('#scan-status');
  if (state.scanning) {
    const bytes = state.progress.reduce((s, p) => s + (p ? p.done : 0), 0);
    const secs = (performance.now() - state.scanStarted) / 1000;
    el.textContent = `Verifying… ${done}/${total} layers · ${formatBytes(bytes)} read · ${secs > 0.2 ? (bytes / secs / 1e6).toFixed(1) : '—'} MB/s · ${Math.min(poolSize(), total)} worker${Math.min(poolSize(), total) === 1 ? '' : 's'}`;
  } else {
    el.textContent = total ? `${done}/${total} layers checked` : 'No layers';
  }
}

// ---------------------------------------------------------------- rendering: image

function renderImage() {
  const o = state.opened;
  const s = o.image;
  $('#image-title').textContent = s.tags[0] || state.inputName;
  $('#image-subtitle').textContent = `${state.inputName} · ${formatName(o.format)}${s.platform ? ` · ${s.platform}` : ''}`;
  renderPicker();
  renderSummary();
  renderConfig();
  renderLayers();
  renderOverall(o);
  renderChecks(o);
}

function formatName(f) {
  return { 'docker-archive': 'docker-archive', 'docker-oci-archive': 'docker-archive with OCI layout', 'oci-archive': 'OCI archive', 'oci-layout': 'OCI layout directory' }[f] || f;
}

function renderPicker() {
  const o = state.opened;
  const wrap = $('#image-picker-wrap');
  const select = $('#image-picker');
  wrap.hidden = o.images.length < 2;
  select.replaceChildren(...o.images.map((img) => h('option', { value: String(img.index), selected: img.index === o.selected },
    `${img.index}: ${img.tags[0] || short(img.digest || img.id)}${img.platform ? ` (${img.platform})` : ''}${img.kind !== 'image' ? ` — ${img.kind}` : ''}`)));
}

function dl(target, rows) {
  target.replaceChildren();
  for (const [k, v] of rows) {
    if (v === undefined || v === null || v === '' || (Array.isArray(v) && !v.length)) continue;
    target.append(h('dt', {}, k), h('dd', {}, v));
  }
}

function list(items) {
  return h('ul', {}, items.map((i) => h('li', {}, i)));
}

function renderSummary() {
  const o = state.report || state.opened;
  const s = o.image;
  const totalEntries = state.views.reduce((n, v) => n + num(v.layer?.entries), 0);
  dl($('#summary'), [
    ['Format', formatName(o.format)],
    ['Tags', s.tags.length ? list(s.tags) : 'none'],
    ['Platform', s.platform],
    ['Created', s.created ? `${s.created.replace('T', ' ').replace(/\.\d+/, '')}` : null],
    ['Author', s.author],
    ['Image ID', s.configDigest ? digestCell(s.configDigest, 'config digest') : null],
    ['Manifest', s.manifestDigest ? digestCell(s.manifestDigest, 'manifest digest') : null],
    ['Layers', `${o.layers.length} (${o.history.filter((x) => x.emptyLayer).length} empty history entries)`],
    ['Stored size', formatBytes(s.compressedSize)],
    ['Uncompressed', num(s.uncompressedSize) ? formatBytes(s.uncompressedSize) : 'after verification'],
    ['Entries', totalEntries ? totalEntries.toLocaleString('en') : null],
  ]);
}

function renderConfig() {
  const c = state.opened.image.config;
  const argv = (a) => (a ? h('code', {}, JSON.stringify(a)) : null);
  const labels = Object.entries(c.labels || {});
  dl($('#config'), [
    ['Entrypoint', argv(c.entrypoint)],
    ['Cmd', argv(c.cmd)],
    ['User', c.user],
    ['Workdir', c.workingDir],
    ['Env', c.env?.length ? list(c.env) : null],
    ['Ports', c.exposedPorts?.length ? c.exposedPorts.join(', ') : null],
    ['Volumes', c.volumes?.length ? list(c.volumes) : null],
    ['Labels', labels.length ? list(labels.map(([k, v]) => `${k}=${v}`)) : null],
    ['Stop signal', c.stopSignal],
    ['Healthcheck', c.healthcheck ? h('code', {}, JSON.stringify(c.healthcheck)) : null],
  ]);
  if (!$('#config').children.length) $('#config').append(h('dd', { class: 'muted' }, 'The config sets nothing.'));
}

function renderLayers() {
  const o = state.opened;
  const tbody = $('#layers tbody');
  tbody.replaceChildren();
  state.rows = [];
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

function cleanCommand(cmd) {
  if (!cmd) return '';
  return cmd.replace(/^\/bin\/sh -c #\(nop\)\s*/, '').replace(/^\/bin\/sh -c /, 'RUN ').replace(/\s+#\s*buildkit$/, '');
}

function layerRows(index, hist) {
  const tr = h('tr', { class: 'layer', tabindex: '0', dataset: { layer: String(index) }, onclick: () => selectLayer(index),
    onkeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); selectLayer(index); } } });
  const detail = h('tr', { class: 'detail', hidden: true, dataset: { layerDetail: String(index) } }, h('td', {}), h('td', { colspan: 8 }));
  state.rows[index] = { tr, detail, hist };
  fillLayerRow(index);
  return [tr, detail];
}

function fillLayerRow(index) {
  const row = state.rows[index];
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
    h('td', { class: 'num' }, l.entries != null ? num(l.entries).toLocaleString('en') : ''),
    h('td', { class: 'changes' }, changesCell(index)),
    h('td', { class: 'status' }, statusCell(index)),
  );
  const problems = failureLines(v);
  detail.hidden = !problems.length;
  detail.lastChild.replaceChildren(h('div', { class: 'failure' }, problems.map((p) => h('div', {}, p))));
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

function updateLayerRow(index) {
  fillLayerRow(index);
  updateScanStatus();
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
  const pct = p.total ? Math.min(100, (p.done / p.total) * 100) : 0;
  const secs = (performance.now() - p.start) / 1000;
  const bar = h('span');
  bar.style.width = `${pct.toFixed(1)}%`;
  return h('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': pct.toFixed(0) },
    h('div', { class: 'bar' }, bar),
    h('span', { class: 'rate' }, `${formatBytes(p.done)} / ${formatBytes(p.total)} · ${secs > 0.05 ? (p.done / secs / 1e6).toFixed(1) : '—'} MB/s`));
}

function updateProgressCell(index) {
  const row = state.rows[index];
  const p = state.progress[index];
  if (!row || !p) return;
  const cell = row.tr.querySelector('.status');
  if (cell) cell.replaceChildren(progressEl(p));
  updateScanStatus();
}

function statusWords(v) {
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

function objectName(o) {
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

function renderOverall(o) {
  const el = $('#overall');
  const pending = state.views.some((v) => v.layer.status === 'pending');
  if (state.cancelled && pending) {
    el.replaceChildren(h('span', { class: 'badge pending', id: 'overall-badge' }, 'verification cancelled'));
    return;
  }
  if (state.scanning || (pending && !state.report)) {
    el.replaceChildren(h('span', { class: 'badge scanning' }, 'verifying…'));
    return;
  }
  const ok = o.verification?.ok;
  const problems = (o.verification?.checks || []).filter((c) => ['mismatch', 'failed', 'missing'].includes(c.status)).length;
  el.replaceChildren(ok
    ? h('span', { class: 'badge verified', id: 'overall-badge' }, 'all digests verified')
    : h('span', { class: 'badge failed', id: 'overall-badge' }, problems ? `verification failed (${problems} problem${problems > 1 ? 's' : ''})` : 'not fully verifiable'));
}

function renderChecks(o) {
  const checks = o.verification?.checks || o.checks || [];
  $('#checks').replaceChildren(...checks.map((c) => {
    const where = c.object.type.startsWith('layer') ? `layer ${c.object.layer} ${objectName(c.object)}` : `${c.object.type} ${c.object.name || ''}`;
    return h('li', {}, h('span', { class: `badge ${c.status}` }, c.status), ` ${where}`,
      c.actual ? h('span', { class: 'muted' }, ` ${c.actual}`) : '', c.detail ? h('span', { class: 'muted' }, ` — ${c.detail}`) : '');
  }));
  $('#warnings').replaceChildren(...(o.warnings || []).map((w) => h('li', {}, w.message)));
}

// ---------------------------------------------------------------- file tree

const tree = new FileTree($('#tree'), $('#tree-spacer'), {
  onSelect: (info) => {
    state.selectedPath = info.path;
    writeFragment();
  },
  onActivate: (info) => schedulePreview(info),
  onChange: () => updateTreeInfo(),
});

function updateTreeInfo() {
  const el = $('#tree-info');
  if (state.treeLayer == null) return;
  const total = tree.count;
  const shown = tree.visibleCount();
  const matches = tree.filter ? ` · ${tree.matches.toLocaleString('en')} match${tree.matches === 1 ? '' : 'es'}` : '';
  el.textContent = `${total.toLocaleString('en')} paths · ${shown.toLocaleString('en')} rows shown${matches}${tree.rootOpaque ? ' · root is opaque' : ''}`;
}

function selectLayer(index) {
  if (state.selectedLayer !== index) state.selectedPath = '';
  state.selectedLayer = index;
  for (const [i, row] of state.rows.entries()) row?.tr.classList.toggle('selected', i === index);
  $('#layers tbody tr.merged-row')?.classList.toggle('selected', index === 'merged');
  $('#files-h').firstChild.textContent = index === 'merged' ? 'Files in the merged image ' : 'Files in layer ';
  $('#files-layer').textContent = index == null || index === 'merged' ? (index === 'merged' ? '' : '—') : String(index);
  $('#only-wasted').disabled = !state.analysis || index === 'merged';
  $('#only-changes').disabled = !state.analysis;
  $('#export').hidden = !state.analysis || index == null;
  $('#export-status').textContent = '';
  $('#export').textContent = index === 'merged' ? 'Export flattened rootfs (.tar)' : `Export layer ${index} as .tar`;
  writeFragment();
  if (index == null) {
    state.treeLayer = null;
    tree.clear();
    $('#tree-info').textContent = 'Select a layer above to browse its files.';
    return;
  }
  loadTree(index);
}

async function loadTree(index) {
  const keep = state.treeLayer === index ? state.selectedPath : '';
  state.treeLayer = null;
  tree.clear();
  if (index === 'merged') {
    if (!state.analysis) {
      $('#tree-info').textContent = 'The merged image appears once every layer is verified.';
      return;
    }
  } else {
    const v = state.views[index];
    if (!v || v.layer.status === 'pending') {
      $('#tree-info').textContent = `Layer ${index} is being verified; its files appear when it is done.`;
      return;
    }
    if (v.layer.entries == null) {
      $('#tree-info').textContent = `Layer ${index} could not be read: ${statusWords(v).text}.`;
      return;
    }
  }
  await loadTable(index, keep);
}

async function loadTable(index, keep = '') {
  try {
    const table = index === 'merged' ? await primary.call('mergedTable') : await primary.call('table', { index });
    if (state.selectedLayer !== index) return;
    state.treeLayer = index;
    tree.setData(table);
    tree.sortMode = $('#sort').value;
    tree.sortChildren();
    applyExtraFilter(false);
    const err = tree.setFilter($('#filter').value, $('#filter-regex').checked);
    $('#filter').setCustomValidity(err || '');
    if (err) $('#tree-info').textContent = err;
    const want = state.fragment.path;
    if (want && state.fragment.layer === index) {
      state.fragment.path = '';
      if (tree.reveal(want)) schedulePreview(tree.info(tree.selected));
    } else if (keep) {
      tree.reveal(keep);
    }
    updateTreeInfo();
  } catch (e) {
    showError(e, `Listing layer ${index}: `);
  }
}

function applyExtraFilter(rebuild = true) {
  const changes = $('#only-changes').checked && state.analysis;
  const wasted = $('#only-wasted').checked && state.analysis && state.treeLayer !== 'merged';
  let predicate = null;
  if (state.treeLayer === 'merged') {
    if (changes) predicate = (id) => (tree.flags[id] & MFLAG.MODIFIED_LATER) !== 0;
  } else if (changes || wasted) {
    predicate = (id) => {
      const f = tree.flags[id];
      const changed = (f & (FLAG.ADDED | FLAG.MODIFIED)) !== 0 || tree.kinds[id] === KIND.DELETED;
      return (!changes || changed) && (!wasted || (f & FLAG.WASTED) !== 0);
    };
  }
  if (rebuild) tree.setExtraFilter(predicate);
  else tree.extra = predicate;
}

// ---------------------------------------------------------------- compare (slot b)

const compare = { gen: 0, name: '', input: null };

async function openCompare(input, name) {
  if (!state.opened) return;
  const gen = ++compare.gen;
  compare.name = name;
  compare.input = input;
  $('#diff').hidden = false;
  $('#diff-body').replaceChildren();
  const status = $('#diff-status');
  status.textContent = `Opening ${name}…`;
  try {
    const opened = await primary.call('open', { input, options: {}, slot: 'b' });
    if (gen !== compare.gen) return;
    const { plans, plansJson, limitsJson } = opened;
    const queue = plans.filter((p) => p.location).map((p) => p.index);
    if (queue.length !== plans.length) throw Object.assign(new Error(`${name} has missing layer blobs; a comparison needs every layer`), { name: 'MissingError' });
    let done = 0;
    status.textContent = `Verifying ${name}: 0/${plans.length} layers…`;
    const n = Math.min(queue.length, poolSize());
    ensureHelpers(n);
    const run = async (helper) => {
      while (queue.length && gen === compare.gen) {
        const index = queue.shift();
        const r = await helper.call('scanRange', { input, plan: plansJson[index], limits: limitsJson });
        if (gen !== compare.gen) return;
        await primary.call('addScan', { bytes: r.scan, slot: 'b' }, { transfer: [r.scan.buffer] });
        status.textContent = `Verifying ${name}: ${++done}/${plans.length} layers…`;
      }
    };
    await Promise.all(helpers.slice(0, n).map(run));
    if (gen !== compare.gen) return;
    await primary.call('analyze', { slot: 'b' });
    await runDiff(gen);
  } catch (e) {
    if (gen !== compare.gen || e.name === 'AbortError') return;
    status.textContent = '';
    $('#diff-body').replaceChildren(h('p', { class: 'failure' }, `Could not compare with ${name}: ${e.name}: ${e.message}`));
  }
}

async function runDiff(gen = compare.gen) {
  const status = $('#diff-status');
  if (!state.analysis) {
    status.textContent = 'Waiting for this image to finish verifying…';
    return;
  }
  status.textContent = 'Comparing…';
  const d = await primary.call('diff', { withMtime: $('#diff-mtime').checked });
  if (gen !== compare.gen) return;
  const a = state.opened.image.tags[0] || state.inputName;
  status.textContent = `A = ${a} · B = ${compare.name}`;
  const summary = h('div', { class: 'diff-summary', id: 'diff-summary' },
    h('span', {}, h('b', {}, `${num(d.sharedLayers)}`), ` shared base layer${num(d.sharedLayers) === 1 ? '' : 's'} (${formatBytes(d.sharedBytes)})`),
    h('span', { class: 'changes' }, h('span', { class: 'add' }, h('b', {}, `+${num(d.addedCount)}`)), ` added (${formatBytes(d.addedBytes)})`),
    h('span', { class: 'changes' }, h('span', { class: 'del' }, h('b', {}, `−${num(d.removedCount)}`)), ` removed (${formatBytes(d.removedBytes)})`),
    h('span', { class: 'changes' }, h('span', { class: 'mod' }, h('b', {}, `~${num(d.changedCount)}`)), ' changed'));
  const fileList = (cls, title, items, count) => h('div', {},
    h('h4', {}, `${title} (${num(count).toLocaleString('en')}${items.length < num(count) ? `, first ${items.length}` : ''})`),
    items.length ? h('ul', { class: `diff-list ${cls}` }, items.slice(0, 2000).map((f) => h('li', { title: `/${f.path}` },
      h('span', { class: 'p' }, `/${f.path}`),
      h('span', { class: 'm' }, f.aspects?.length ? f.aspects.join(', ') : f.kind),
      h('span', { class: 'm' }, f.previousSize != null && num(f.previousSize) !== num(f.size) ? `${formatBytes(f.previousSize)} → ${formatBytes(f.size)}` : formatBytes(f.size))))) : h('p', { class: 'muted small' }, 'none'));
  const config = d.config.length ? h('dl', { class: 'kv' }, d.config.flatMap((c) => [h('dt', {}, c.field), h('dd', {}, h('code', {}, `${JSON.stringify(c.a)} → ${JSON.stringify(c.b)}`))])) : h('p', { class: 'muted small' }, 'Same runtime config.');
  const hist = h('div', {}, h('p', { class: 'small' }, `${d.history.common} history entries in common.`),
    d.history.onlyA.length ? h('div', {}, h('b', { class: 'small' }, 'Only in A:'), list(d.history.onlyA.map(cleanCommand))) : '',
    d.history.onlyB.length ? h('div', {}, h('b', { class: 'small' }, 'Only in B:'), list(d.history.onlyB.map(cleanCommand))) : '');
  $('#diff-body').replaceChildren(summary,
    h('div', { class: 'diff-cols' },
      fileList('added', 'Added in B', d.added, d.addedCount),
      fileList('removed', 'Removed in B', d.removed, d.removedCount),
      fileList('changed', 'Changed', d.changed, d.changedCount)),
    h('div', { class: 'diff-cols' }, h('div', {}, h('h4', {}, 'Config'), config), h('div', {}, h('h4', {}, 'History'), hist)));
}

function closeCompare() {
  compare.gen++;
  compare.input = null;
  $('#diff').hidden = true;
  primary.call('closeSlot', { slot: 'b' }).catch(() => {});
}

// ---------------------------------------------------------------- export

async function exportTar() {
  const layer = state.selectedLayer === 'merged' ? null : state.selectedLayer;
  const base = (state.opened.image.tags[0] || state.inputName).replace(/[^A-Za-z0-9._-]+/g, '_').replace(/\.tar$/, '');
  const name = layer == null ? `${base}-rootfs.tar` : `${base}-layer${layer}.tar`;
  const status = $('#export-status');
  let writable = null;
  if (typeof window.showSaveFilePicker === 'function') {
    try {
      const handle = await window.showSaveFilePicker({ suggestedName: name, types: [{ description: 'tar archive', accept: { 'application/x-tar': ['.tar'] } }] });
      writable = await handle.createWritable();
    } catch (e) {
      if (e.name === 'AbortError') return;
      writable = null;
    }
  }
  const started = performance.now();
  status.textContent = 'Exporting…';
  $('#export').disabled = true;
  try {
    let result = null;
    if (navigator.storage?.getDirectory) {
      try {
        result = await exportViaFile(layer, status);
      } catch (e) {
        if (!['NotSupportedError', 'SecurityError', 'TypeError'].includes(e.name)) throw e;
      }
    }
    if (result) await deliverFile(result.file, name, writable);
    else result = await exportViaChunks(layer, name, writable, status);
    status.textContent = `Exported ${name}: ${num(result.summary.members).toLocaleString('en')} members, ${formatBytes(result.bytes)} in ${((performance.now() - started) / 1000).toFixed(1)} s`;
  } catch (e) {
    try { await writable?.abort(); } catch { /* ignore */ }
    status.textContent = '';
    showError(e, 'Export: ');
  } finally {
    $('#export').disabled = false;
  }
}

/**
 * Export with backpressure: the main worker writes the tar synchronously to
 * a file of the origin-private file system, so the core never runs ahead of
 * the disk and memory stays at one 4 MiB chunk. Returns {summary, file, bytes}.
 */
async function exportViaFile(layer, status) {
  const r = await primary.call('exportTar', { layer, toFile: true }, {
    onProgress: (at) => { status.textContent = `Exporting… ${formatBytes(at)}`; },
  });
  return r;
}

/** Hands the finished export file to the user, streamed from disk, then deletes it. */
async function deliverFile(fileName, name, writable) {
  const dir = await navigator.storage.getDirectory();
  const file = await (await dir.getFileHandle(fileName)).getFile();
  if (writable) {
    // pipeTo waits for each write before reading on, and closes the file.
    await file.stream().pipeTo(writable);
    await removeExportFile();
    return;
  }
  // A File from the origin-private file system is backed by disk: the
  // download reads it from there. It is deleted on the next export or when
  // the page goes away.
  const url = URL.createObjectURL(file);
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

async function removeExportFile() {
  try {
    const dir = await navigator.storage.getDirectory();
    await dir.removeEntry('layerscope-export.tar');
  } catch { /* none */ }
}

/**
 * Fallback without a synchronous origin-private file: chunks are posted to
 * the page as the core makes them (no backpressure), written in order to
 * the picked file or gathered into a Blob.
 */
async function exportViaChunks(layer, name, writable, status) {
  const parts = [];
  let written = 0;
  let chain = Promise.resolve();
  const r = await primary.call('exportTar', { layer }, {
    onProgress: (chunk) => {
      written += chunk.length;
      status.textContent = `Exporting… ${formatBytes(written)}`;
      if (writable) chain = chain.then(() => writable.write(chunk));
      else parts.push(chunk);
    },
  });
  if (writable) { await chain; await writable.close(); } else {
    const url = URL.createObjectURL(new Blob(parts, { type: 'application/x-tar' }));
    const a = h('a', { href: url, download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  }
  return { summary: r.summary, bytes: written };
}

// ---------------------------------------------------------------- preview

let previewTimer = 0;
let previewToken = 0;
let previewUrl = null;

function schedulePreview(info) {
  clearTimeout(previewTimer);
  const layer = state.treeLayer;
  previewTimer = setTimeout(() => showPreview(layer, info), 80);
}

function modeString(mode, kind) {
  const t = { dir: 'd', symlink: 'l', 'char-device': 'c', 'block-device': 'b', fifo: 'p' }[kind] || '-';
  let s = t;
  for (let shift = 6; shift >= 0; shift -= 3) {
    const bits = (mode >> shift) & 7;
    s += (bits & 4 ? 'r' : '-') + (bits & 2 ? 'w' : '-') + (bits & 1 ? 'x' : '-');
  }
  return `${s} (${(mode & 0o7777).toString(8).padStart(4, '0')})`;
}

async function showPreview(layer, info) {
  if (layer == null) return;
  const token = ++previewToken;
  const pane = $('#preview');
  pane.replaceChildren(h('h4', {}, `/${info.path}`), h('p', { class: 'muted small' }, 'Loading…'));
  if (layer === 'merged') { await showMergedPreview(info, token); return; }
  try {
    const d = await primary.call('entry', { index: layer, path: info.path });
    if (token !== previewToken) return;
    const e = d.entry;
    const items = [
      ['Kind', d.whiteout ? 'deleted in this layer (whiteout)' : d.kind + (d.implicit ? ' (no entry of its own)' : '')],
      ['Size', d.dataSize != null ? `${formatBytes(d.dataSize)} (${num(d.dataSize).toLocaleString('en')} bytes)` : null],
      ['Link target', d.linkTarget],
      ['Mode', d.mode != null && !d.whiteout ? modeString(d.mode, d.kind) : null],
      ['Owner', e && !d.whiteout ? `${e.uname || num(e.uid)}:${e.gname || num(e.gid)} (${num(e.uid)}:${num(e.gid)})` : null],
      ['Modified', d.mtime != null && !d.whiteout ? new Date(num(d.mtime) * 1000).toISOString().replace('.000Z', 'Z') : null],
      ['Opaque', d.opaque ? 'yes: lower layers\' contents of this directory are hidden' : null],
      ['Children', d.children ? String(d.children) : null],
      ['Xattrs', e?.xattrs?.length ? e.xattrs.map((x) => x.name).join(', ') : null],
      ['Marker', d.whiteout && e ? e.path : null],
    ];
    const meta = h('dl', { class: 'kv' });
    dl(meta, items);
    const readable = d.dataSize != null;
    const actions = h('div', { class: 'actions' });
    const body = h('div', { class: 'body' });
    if (readable) {
      actions.append(h('button', { type: 'button', class: 'btn small', id: 'download', onclick: () => download(layer, info.path) }, 'Download file'));
    }
    pane.replaceChildren(h('h4', {}, `/${info.path}`), meta, actions, body);
    if (readable) {
      body.append(h('p', { class: 'muted small' }, 'Reading…'));
      const bytes = await primary.call('readFile', { index: layer, path: info.path, maxBytes: PREVIEW_MAX });
      if (token !== previewToken) return;
      renderBytes(body, bytes, info.path, num(d.dataSize));
    }
  } catch (e) {
    if (token !== previewToken || e.name === 'AbortError') return;
    pane.replaceChildren(h('p', { class: 'failure' }, `${e.name}: ${e.message}`));
  }
}

async function showMergedPreview(info, token) {
  const pane = $('#preview');
  try {
    const e = await primary.call('mergedEntry', { path: info.path });
    if (token !== previewToken) return;
    const cmd = (l) => (l != null ? cleanCommand(state.views[l]?.layer.createdBy || '') : '');
    const meta = h('dl', { class: 'kv' });
    dl(meta, [
      ['Kind', e.kind + (e.implied ? ' (implied: no layer lists it)' : '')],
      ['Size', e.kind === 'file' ? `${formatBytes(e.size)} (${num(e.size).toLocaleString('en')} bytes)` : null],
      ['Link target', e.linkTarget],
      ['Hard link to', e.hardlinkTo ? `/${e.hardlinkTo}` : null],
      ['Mode', modeString(e.mode, e.kind)],
      ['Owner', `${e.uname || num(e.uid)}:${e.gname || num(e.gid)} (${num(e.uid)}:${num(e.gid)})`],
      ['Modified', new Date(num(e.mtime) * 1000).toISOString().replace('.000Z', 'Z')],
      ['Provided by', e.layer != null ? `layer ${e.layer}${cmd(e.layer) ? ` — ${cmd(e.layer)}` : ''}` : null],
      ['Data from', e.sourceLayer != null && e.sourceLayer !== e.layer ? `layer ${e.sourceLayer}` : null],
      ['History', e.history.length ? list(e.history.map((ev) => `layer ${ev.layer}: ${ev.action}${ev.path !== e.path ? ` (via /${ev.path})` : ''}${ev.cause ? ` — ${ev.cause.type}` : ''}`)) : null],
    ]);
    const actions = h('div', { class: 'actions' });
    const body = h('div', { class: 'body' });
    const readable = e.kind === 'file' && e.sourceLayer != null;
    if (readable) actions.append(h('button', { type: 'button', class: 'btn small', id: 'download', onclick: () => downloadMerged(info.path) }, 'Download file'));
    pane.replaceChildren(h('h4', {}, `/${info.path}`), meta, actions, body);
    if (readable) {
      const bytes = await primary.call('readMerged', { path: info.path, maxBytes: PREVIEW_MAX });
      if (token !== previewToken) return;
      renderBytes(body, bytes, info.path, num(e.size));
    }
  } catch (err) {
    if (token !== previewToken || err.name === 'AbortError') return;
    pane.replaceChildren(h('p', { class: 'failure' }, `${err.name}: ${err.message}`));
  }
}

async function downloadMerged(path) {
  try {
    saveBytes(await primary.call('readMerged', { path }), path);
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
  if (previewUrl) { URL.revokeObjectURL(previewUrl); previewUrl = null; }
  const mime = sniffImage(bytes) || (/\.svg$/i.test(path) ? 'image/svg+xml' : null);
  if (mime && !truncated) {
    previewUrl = URL.createObjectURL(new Blob([bytes], { type: mime }));
    body.append(h('img', { src: previewUrl, alt: `Preview of ${path}` }));
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
    body.append(h('div', { class: 'code text-preview' },
      h('pre', { class: 'ln' }, shown.map((_, i) => i + 1).join('\n')),
      h('pre', { class: 'src' }, shown.join('\n'))));
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
  body.append(h('p', { class: 'muted small' }, `Binary file; hex of the first ${formatBytes(limit)}.`), h('pre', { class: 'hex hex-preview' }, out.join('\n')));
}

function trimUtf8(bytes) {
  // Drop a multi-byte sequence cut at the end of a truncated preview.
  let end = bytes.length;
  for (let k = 1; k <= 3 && end - k >= 0; k++) {
    const b = bytes[end - k];
    if ((b & 0xc0) === 0xc0) { end -= k; break; }
    if ((b & 0x80) === 0) break;
  }
  return bytes.subarray(0, end);
}

async function download(layer, path) {
  try {
    saveBytes(await primary.call('readFile', { index: layer, path }), path);
  } catch (e) {
    showError(e, `Download of /${path}: `);
  }
}

// ---------------------------------------------------------------- inputs

function layoutFromFiles(files) {
  // files: Map of full relative path → File. The layout root is the
  // shallowest folder holding index.json.
  let root = null;
  for (const p of files.keys()) {
    if (p === 'index.json' || p.endsWith('/index.json')) {
      const r = p.slice(0, -'index.json'.length);
      if (root === null || r.length < root.length) root = r;
    }
  }
  if (root === null) return null;
  const map = new Map();
  for (const [p, f] of files) if (p.startsWith(root)) map.set(p.slice(root.length), f);
  return map;
}

function openFolder(files, name) {
  const map = layoutFromFiles(files);
  if (!map) {
    showBanner('error', 'Not an OCI layout:', `the folder ${name} has no index.json. Pick the folder that holds index.json, oci-layout and blobs/.`);
    return;
  }
  openInput(map, name);
}

async function readDirectory(entry, prefix, out) {
  const reader = entry.createReader();
  for (;;) {
    const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (!batch.length) break;
    for (const e of batch) {
      if (e.isFile) out.set(prefix + e.name, await new Promise((resolve, reject) => e.file(resolve, reject)));
      else if (e.isDirectory) await readDirectory(e, `${prefix}${e.name}/`, out);
    }
  }
}

async function onDrop(event) {
  event.preventDefault();
  document.body.classList.remove('dragging');
  const items = [...(event.dataTransfer?.items || [])];
  const entry = items.length && items[0].webkitGetAsEntry?.();
  if (entry?.isDirectory) {
    busy(`Reading folder ${entry.name}…`);
    const files = new Map();
    try { await readDirectory(entry, '', files); } catch (e) { busy(''); showError(e, 'Reading the folder: '); return; }
    busy('');
    openFolder(files, entry.name);
    return;
  }
  const file = event.dataTransfer?.files?.[0];
  if (file) openInput(file, file.name);
}

async function loadSample() {
  hideBanner();
  busy('Loading the sample image…');
  try {
    const response = await fetch('sample/sample-image.tar');
    if (!response.ok) throw Object.assign(new Error(`the sample is not available (HTTP ${response.status})`), { name: 'SampleError' });
    const blob = await response.blob();
    await openInput(new File([blob], 'sample-image.tar', { type: 'application/x-tar' }), 'sample-image.tar');
  } catch (e) {
    busy('');
    showError(e);
  }
}

function resetToStart() {
  cancelWork();
  state.opened = null;
  state.report = null;
  state.input = null;
  state.selectedLayer = null;
  state.selectedPath = '';
  state.treeLayer = null;
  tree.clear();
  $('#preview').replaceChildren(h('p', { class: 'muted' }, 'Select a file to preview it.'));
  if (!$('#diff').hidden) closeCompare();
  $('#image').hidden = true;
  $('#start').hidden = false;
  $('#close-image').hidden = true;
  hideBanner();
  busy('');
  history.replaceState(null, '', location.pathname + location.search);
}

// ---------------------------------------------------------------- theme

function applyTheme(theme) {
  if (theme) document.documentElement.dataset.theme = theme;
  else delete document.documentElement.dataset.theme;
}

function toggleTheme() {
  const dark = document.documentElement.dataset.theme
    ? document.documentElement.dataset.theme === 'dark'
    : matchMedia('(prefers-color-scheme: dark)').matches;
  const next = dark ? 'light' : 'dark';
  applyTheme(next);
  try { localStorage.setItem('layerscope-theme', next); } catch { /* private mode */ }
}

// ---------------------------------------------------------------- wiring

try { applyTheme(localStorage.getItem('layerscope-theme')); } catch { /* ignore */ }
$('#theme-toggle').addEventListener('click', toggleTheme);
$('#file-input').addEventListener('change', (e) => {
  const f = e.target.files?.[0];
  if (f) openInput(f, f.name);
  e.target.value = '';
});
$('#folder-input').addEventListener('change', (e) => {
  const files = new Map();
  for (const f of e.target.files || []) files.set(f.webkitRelativePath || f.name, f);
  const first = [...files.keys()][0] || 'folder';
  if (files.size) openFolder(files, first.split('/')[0]);
  e.target.value = '';
});
$('#sample').addEventListener('click', loadSample);
$('#dropzone').addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); $('#file-input').click(); } });
window.addEventListener('dragover', (e) => { e.preventDefault(); document.body.classList.add('dragging'); });
window.addEventListener('dragleave', (e) => { if (!e.relatedTarget) document.body.classList.remove('dragging'); });
window.addEventListener('drop', onDrop);
$('#cancel').addEventListener('click', () => {
  const wasOpening = !state.opened;
  cancelWork();
  busy('');
  if (wasOpening) { showBanner('info', 'Cancelled.', ''); return; }
  // Layers whose scan was stopped read "not verified" again.
  state.cancelled = true;
  for (const p of state.progress) if (p) p.running = false;
  for (const v of state.views) updateLayerRow(v.index);
  renderOverall(state.report || state.opened);
  showBanner('info', 'Verification cancelled.', 'Layers already verified keep their result; the rest were not checked.');
});
$('#close-image').addEventListener('click', resetToStart);
$('#image-picker').addEventListener('change', (e) => {
  if (!state.input) return;
  openInput(state.input, state.inputName, { image: e.target.value });
});
let filterTimer = 0;
const refilter = () => {
  clearTimeout(filterTimer);
  filterTimer = setTimeout(() => {
    const err = tree.setFilter($('#filter').value, $('#filter-regex').checked);
    $('#filter').setCustomValidity(err || '');
    if (err) $('#tree-info').textContent = err;
    writeFragment();
  }, 120);
};
$('#filter').addEventListener('input', refilter);
$('#filter-regex').addEventListener('change', refilter);
$('#sort').addEventListener('change', (e) => { tree.setSort(e.target.value); writeFragment(); });
$('#only-changes').addEventListener('change', () => { applyExtraFilter(); writeFragment(); });
$('#only-wasted').addEventListener('change', () => { applyExtraFilter(); writeFragment(); });
$('#export').addEventListener('click', exportTar);
$('#compare-input').addEventListener('change', (e) => {
  const f = e.target.files?.[0];
  if (f) openCompare(f, f.name);
  e.target.value = '';
});
$('#diff-close').addEventListener('click', closeCompare);
$('#diff-mtime').addEventListener('change', () => runDiff().catch((e) => showError(e, 'Comparing: ')));
$('#expand-all').addEventListener('click', () => tree.expandAll(true));
$('#collapse-all').addEventListener('click', () => tree.expandAll(false));

$('#filter').value = state.fragment.filter;
$('#filter-regex').checked = state.fragment.regex;
$('#sort').value = state.fragment.sort === 'size' ? 'size' : 'name';
$('#only-changes').checked = state.fragment.changes;
$('#only-wasted').checked = state.fragment.wasted;
if (state.fragment.image != null) state.options.image = state.fragment.image;

// An export file left by a closed tab is removed; so is this tab's on leaving.
removeExportFile();
window.addEventListener('pagehide', () => { removeExportFile(); });

// Exposed for the end-to-end tests and the console (read-only use).
window.layerscope = { state, tree, tuning };

// The multi-image view: several files dropped or picked at once.
initShare({ module: wasmModule, explore: (input, name, options) => openInput(input, name, options) });
