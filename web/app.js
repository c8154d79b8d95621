// layerscope page: the entry module. It opens an image in the main worker,
// runs the verification scheduler, and wires the views together. Nothing
// leaves the tab: files are read with FileReaderSync in workers.
//
//   ui/state.js      state, events, URL fragment
//   ui/dom.js        element helpers (untrusted text through text.js)
//   ui/format.js     sizes, digests, commands, modes
//   ui/messages.js   banner and busy line
//   ui/workers.js    the main worker and the scan worker pool
//   ui/scheduler.js  verification jobs on the scan workers
//   ui/inputs.js     pickers, drop, sample
//   ui/views/*.js    one module per view (share.js: several images at once)
import { $, afterPaint } from './ui/dom.js';
import { state, on, emit, current, writeFragment, identityOf, placeFor } from './ui/state.js';
import { busy, showBanner, showError, hideBanner, updateCancel } from './ui/messages.js';
import { primary, stopWorkers } from './ui/workers.js';
import { verifyLayers, tuning } from './ui/scheduler.js';
import { initInputs } from './ui/inputs.js';
import { renderImage, renderSummary, renderOverall, renderChecks } from './ui/views/summary.js';
import { renderLayers, refreshLayers, updateLayerRow, updateProgress, updateScanStatus, markSelected, focusLayers, initLayers } from './ui/views/layers.js';
import { renderAnalysis, renderIncomplete, resetAnalysis } from './ui/views/analysis.js';
import { tree, showLayer, layerReady, loadTree, updateOptions, clearFiles, initFiles, applyFragmentOptions } from './ui/views/files.js';
import { initTabs, openPanel, currentPanel } from './ui/views/tabs.js';
import { schedulePreview, clearPreview } from './ui/views/preview.js';
import { closeCompare, comparing, runDiff, initCompare } from './ui/views/compare.js';
import { updateExport, initExport } from './ui/views/export.js';
import { initShare } from './ui/views/share.js';
import { initTimeline } from './ui/views/timeline.js';
import { initSizes, refreshChart, treemap } from './ui/views/sizes.js';
import { initPackages, resetPackages } from './ui/views/packages.js';

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

// ---------------------------------------------------------------- opening

async function openInput(input, name, options = {}) {
  cancelWork();
  const gen = ++state.gen;
  const identity = identityOf(input, name);
  state.fragment = placeFor(identity);
  state.identity = identity;
  state.input = input;
  state.inputName = name;
  state.options = options;
  state.opened = null;
  hideBanner();
  busy(`Opening ${name}…`);
  const timing = state.timing = { start: performance.now() };
  try {
    // The image of a multi-image input the place names (a stale one is dropped).
    if (options.image == null && state.fragment.image != null) {
      options = { ...options, image: state.fragment.image };
      state.options = options;
    }
    let opened;
    try {
      opened = await primary.call('open', { input, options });
    } catch (e) {
      if (options.image == null || options.image !== state.fragment.image || e.trap || e.name === 'AbortError') throw e;
      state.options = options = { ...options, image: undefined };
      opened = await primary.call('open', { input, options });
    }
    if (!current(gen)) return;
    timing.opened = performance.now();
    timing.workerMs = primary.lastMs;
    state.opened = opened;
    state.report = null;
    state.analysis = null;
    resetAnalysis();
    resetPackages();
    if (comparing()) closeCompare();
    applyFragmentOptions();
    openPanel(state.fragment.panel);
    state.views = opened.layers.map((layer, index) => ({ index, layer, checks: [], warnings: [] }));
    state.progress = opened.layers.map(() => null);
    state.cancelled = false;
    busy('');
    $('#start').hidden = true;
    $('#image').hidden = false;
    document.body.classList.add('has-image');
    $('#close-image').hidden = false;
    renderImage();
    renderLayers();
    if (state.crashNotice) {
      showBanner('error', 'The inspector crashed and was restarted.', state.crashNotice);
      state.crashNotice = null;
    }
    const wanted = state.fragment.layer;
    selectLayer(wanted === 'merged' || (wanted != null && wanted < opened.layers.length) ? wanted : null);
    timing.rendered = performance.now();
    // Let the layer list paint before verification starts its work.
    await afterPaint();
    if (!current(gen)) return;
    await verify(gen);
  } catch (e) {
    if (!current(gen)) return;
    busy('');
    showError(e, `Could not open ${name}: `);
  }
}

function cancelWork() {
  state.gen++;
  stopWorkers();
  state.scanning = false;
  updateCancel();
}

// ---------------------------------------------------------------- verifying

function applyView(view) {
  state.views[view.index] = view;
  updateLayerRow(view.index);
  refreshChart();
  layerReady(view.index);
}

async function verify(gen) {
  state.scanning = true;
  state.cancelled = false;
  state.scanStarted = performance.now();
  refreshLayers();
  updateCancel();
  await verifyLayers({
    stale: () => !current(gen),
    started: () => refreshLayers(),
    progress: (index) => updateProgress(index),
    view: applyView,
    settled: (index) => updateLayerRow(index),
    failed: (e) => showError(e),
  });
  if (current(gen)) await finish(gen);
}

async function finish(gen) {
  state.scanning = false;
  updateCancel();
  try {
    const report = await primary.call('report');
    if (!current(gen)) return;
    state.report = report;
    renderOverall(report);
    renderChecks(report);
    renderSummary();
  } catch (e) { showError(e); }
  updateScanStatus();
  if (current(gen)) await analyze(gen);
}

async function analyze(gen) {
  if (!state.views.every((v) => v.layer.entries != null)) {
    renderIncomplete();
    return;
  }
  try {
    const analysis = await primary.call('analyze');
    if (!current(gen)) return;
    state.analysis = analysis;
    renderAnalysis();
    refreshLayers();
    refreshChart();
    if (comparing()) runDiff().catch((e) => showError(e, 'Comparing: '));
    updateOptions();
    updateExport();
    if (state.selectedLayer != null) loadTree(state.selectedLayer);
    emit('analysed');
  } catch (e) {
    if (current(gen)) showError(e, 'Merging layers: ');
  }
}

// ---------------------------------------------------------------- selection

function selectLayer(index) {
  if (state.selectedLayer !== index) state.selectedPath = '';
  state.selectedLayer = index;
  markSelected(index, { scroll: true });
  refreshChart();
  updateExport();
  writeFragment();
  showLayer(index);
}

on('select-layer', selectLayer);
// Panels that follow the selected path themselves (a click in the tree keeps them open).
const FOLLOWING = new Set(['file', 'sizes', 'history']);

// Arrow keys in the tree update the preview while the File panel is open;
// a click or Enter opens the File panel (unless the open one follows the
// selection itself) and previews.
on('path-activated', ({ info, how }) => {
  if ((how === 'click' || how === 'enter') && !FOLLOWING.has(currentPanel())) openPanel('file');
  if (currentPanel() === 'file') schedulePreview(info);
});
on('panel-opened', (name) => { if (name === 'file' && state.treeLayer != null && tree.selected >= 0) schedulePreview(tree.info(tree.selected)); });

// ---------------------------------------------------------------- keyboard

function focusTree() {
  if (tree.selected < 0 && tree.visibleCount()) tree.selectRow(0, { activate: true });
  $('#tree').focus();
}

const typing = (el) => el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName));

/**
 * Page keys (not while typing in a field): `/` filter, `t` tree, `l`
 * layers; in the tree Enter opens the File panel and Escape goes back to
 * the layers.
 */
function onKey(e) {
  if ($('#image').hidden || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.target.closest?.('#tree')) {
    if (e.key === 'Escape') { e.preventDefault(); focusLayers(); return; }
    return;
  }
  if (typing(e.target)) {
    if (e.key === 'Escape' && e.target.id === 'filter') { e.preventDefault(); focusTree(); }
    return;
  }
  if (e.key === '/') { e.preventDefault(); $('#filter').focus(); $('#filter').select(); }
  else if (e.key === 't') { e.preventDefault(); focusTree(); }
  else if (e.key === 'l') { e.preventDefault(); focusLayers(); }
}

// ---------------------------------------------------------------- closing

function resetToStart() {
  cancelWork();
  state.opened = null;
  state.report = null;
  state.input = null;
  state.selectedLayer = null;
  state.selectedPath = '';
  clearFiles();
  clearPreview();
  if (comparing()) closeCompare();
  $('#image').hidden = true;
  document.body.classList.remove('has-image');
  $('#start').hidden = false;
  $('#close-image').hidden = true;
  hideBanner();
  busy('');
  history.replaceState(null, '', location.pathname + location.search);
}

function cancelVerification() {
  const wasOpening = !state.opened;
  cancelWork();
  busy('');
  if (wasOpening) { showBanner('info', 'Cancelled.', ''); return; }
  // Layers whose scan was stopped read "not verified" again.
  state.cancelled = true;
  for (const p of state.progress) if (p) p.running = false;
  refreshLayers();
  renderOverall(state.report || state.opened);
  showBanner('info', 'Verification cancelled.', 'Layers already verified keep their result; the rest were not checked.');
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
initInputs(openInput);
initLayers(focusTree);
initFiles();
initTabs();
initTimeline();
initSizes();
initPackages();
// The final image's packages: the layer rows' counts and the summary's distribution.
on('packages', () => { refreshLayers(); renderSummary(); });
initCompare();
initExport();
initShare(openInput);
$('#cancel').addEventListener('click', cancelVerification);
$('#close-image').addEventListener('click', resetToStart);
$('#image-picker').addEventListener('change', (e) => {
  if (!state.input) return;
  openInput(state.input, state.inputName, { image: e.target.value });
});
document.addEventListener('keydown', onKey);

// Exposed for the end-to-end tests and the console (read-only use).
window.layerscope = { state, tree, tuning, treemap };
