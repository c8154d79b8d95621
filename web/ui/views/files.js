// The file tree of the selected layer (or of the merged image) with its
// filter, sort and "only changes / only wasted" options.
import { FileTree, FLAG, MFLAG, KIND } from '../../tree.js';
import { $, replace } from '../dom.js';
import { count } from '../format.js';
import { state, on, emit, writeFragment } from '../state.js';
import { primary } from '../workers.js';
import { showError } from '../messages.js';
import { statusWords } from './layers.js';

/** The virtualized tree. */
export const tree = new FileTree($('#tree'), $('#tree-spacer'), {
  onSelect: (info) => {
    state.selectedPath = info.path;
    writeFragment();
    emit('path-selected', info);
  },
  onActivate: (info, how) => emit('path-activated', { info, how }),
  onChange: () => updateTreeInfo(),
});

function info(text) { replace($('#tree-info'), text); }

function updateTreeInfo() {
  if (state.treeLayer == null) return;
  const matches = tree.filter ? ` · ${count(tree.matches)} match${tree.matches === 1 ? '' : 'es'}` : '';
  info(`${count(tree.count)} paths · ${count(tree.visibleCount())} rows shown${matches}${tree.rootOpaque ? ' · root is opaque' : ''}`);
}

/** Shows the files of `index` (a layer, 'merged', or null for none). */
export function showLayer(index) {
  replace($('#files-layer'), index == null ? '—' : index === 'merged' ? 'the merged image' : `layer ${index}`);
  $('#tree').dataset.layer = index == null ? '' : String(index);
  updateOptions();
  if (index == null) {
    state.treeLayer = null;
    tree.clear();
    info('Select a layer to browse its files.');
    return;
  }
  loadTree(index);
}

/** Enables the options that need the analysis. */
export function updateOptions() {
  $('#only-wasted').disabled = !state.analysis || state.selectedLayer === 'merged';
  $('#only-changes').disabled = !state.analysis;
}

/** A layer's view arrived: load its tree when it is the selected one and not yet shown (or shown in part). */
export function layerReady(index) {
  if (state.selectedLayer === index && (state.treeLayer !== index || partialShown === index)) loadTree(index);
}

/** The layer whose tree shows only the entries its scan published so far. */
let partialShown = null;
/** Per layer being verified: entries published so far (for the image of `partialGen`). */
let partialCount = [];
let partialGen = -1;
let partialTimer = 0;

/**
 * A scan published more of layer `index`'s entries (`count` so far): the
 * selected layer's tree shows them at once, then grows (at most every
 * 300 ms) until the layer is verified.
 */
function layerPartial({ index, count }) {
  if (partialGen !== state.gen) { partialGen = state.gen; partialCount = []; }
  partialCount[index] = count;
  if (state.selectedLayer !== index || state.views[index]?.layer.status !== 'pending' || partialTimer) return;
  partialTimer = setTimeout(() => {
    partialTimer = 0;
    if (state.selectedLayer === index && state.views[index]?.layer.status === 'pending') loadPartial(index);
  }, partialShown === index ? 300 : 0);
}

async function loadPartial(index) {
  const keep = state.treeLayer === index ? state.selectedPath : '';
  try {
    const table = await primary.call('partialTable', { index });
    if (state.selectedLayer !== index || state.views[index]?.layer.status !== 'pending') return;
    state.treeLayer = index;
    partialShown = index;
    tree.setData(table);
    tree.sortMode = state.tree.sort;
    tree.sortChildren();
    setFilter();
    if (keep) tree.reveal(keep);
    $('#tree').dataset.partial = 'true';
    info(`Layer ${index} is being verified: ${count(tree.count)} paths so far.`);
  } catch { /* the full listing comes with the scan */ }
}

/** Loads (or reloads, keeping the selected path) the tree of `index`. */
export async function loadTree(index) {
  const keep = state.treeLayer === index ? state.selectedPath : '';
  partialShown = null;
  delete $('#tree').dataset.partial;
  state.treeLayer = null;
  tree.clear();
  emit('tree-loaded', null);
  if (index === 'merged') {
    if (!state.analysis) {
      info('The merged image appears once every layer is verified.');
      return;
    }
  } else {
    const v = state.views[index];
    if (!v || v.layer.status === 'pending') {
      if (partialGen === state.gen && partialCount[index]) { loadPartial(index); return; }
      info(`Layer ${index} is being verified; its files appear as it is read.`);
      return;
    }
    if (v.layer.entries == null) {
      info(`Layer ${index} could not be read: ${statusWords(v).text}.`);
      return;
    }
  }
  try {
    const table = index === 'merged' ? await primary.call('mergedTable') : await primary.call('table', { index });
    if (state.selectedLayer !== index) return;
    state.treeLayer = index;
    tree.setData(table);
    tree.sortMode = state.tree.sort;
    tree.sortChildren();
    applyExtraFilter(false);
    setFilter();
    const want = state.fragment.path;
    if (want && state.fragment.layer === index) {
      state.fragment.path = '';
      if (tree.reveal(want)) emit('path-activated', { info: tree.info(tree.selected), how: 'restore' });
    } else if (keep) {
      tree.reveal(keep);
    }
    updateTreeInfo();
    emit('tree-loaded', index);
  } catch (e) {
    showError(e, `Listing layer ${index}: `);
  }
}

function setFilter() {
  const err = tree.setFilter(state.tree.filter, state.tree.regex);
  $('#filter').setCustomValidity(err || '');
  if (err) info(err);
}

function applyExtraFilter(rebuild = true) {
  const changes = state.tree.changes && state.analysis;
  const wasted = state.tree.wasted && state.analysis && state.treeLayer !== 'merged';
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

/** Clears the tree (no image). */
export function clearFiles() {
  state.treeLayer = null;
  tree.clear();
}

/** Sets the tree's options from `state.fragment` (a new image, a restored place). */
export function applyFragmentOptions() {
  const f = state.fragment;
  Object.assign(state.tree, { filter: f.filter, regex: f.regex, sort: f.sort, changes: f.changes, wasted: f.wasted });
  $('#filter').value = state.tree.filter;
  $('#filter-regex').checked = state.tree.regex;
  $('#sort').value = state.tree.sort;
  $('#only-changes').checked = state.tree.changes;
  $('#only-wasted').checked = state.tree.wasted;
}

/** Wires the tree's controls. */
export function initFiles() {
  applyFragmentOptions();
  on('layer-partial', layerPartial);
  let timer = 0;
  const refilter = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (!state.opened) return;
      state.tree.filter = $('#filter').value;
      state.tree.regex = $('#filter-regex').checked;
      setFilter();
      writeFragment();
    }, 120);
  };
  $('#filter').addEventListener('input', refilter);
  $('#filter-regex').addEventListener('change', refilter);
  $('#sort').addEventListener('change', (e) => { state.tree.sort = e.target.value; tree.setSort(e.target.value); writeFragment(); });
  const extra = () => {
    state.tree.changes = $('#only-changes').checked;
    state.tree.wasted = $('#only-wasted').checked;
    applyExtraFilter();
    writeFragment();
  };
  $('#only-changes').addEventListener('change', extra);
  $('#only-wasted').addEventListener('change', extra);
  $('#expand-all').addEventListener('click', () => tree.expandAll(true));
  $('#collapse-all').addEventListener('click', () => tree.expandAll(false));
}
