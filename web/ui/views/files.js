// The file tree of the selected layer (or of the merged image) with its
// filter, sort and "only changes / only wasted" options.
import { FileTree, FLAG, MFLAG, KIND } from '../../tree.js';
import { $, replace } from '../dom.js';
import { count } from '../format.js';
import { state, emit, writeFragment } from '../state.js';
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

/** A layer's view arrived: load its tree when it is the selected one and not yet shown. */
export function layerReady(index) {
  if (state.selectedLayer === index && state.treeLayer !== index) loadTree(index);
}

/** Loads (or reloads, keeping the selected path) the tree of `index`. */
export async function loadTree(index) {
  const keep = state.treeLayer === index ? state.selectedPath : '';
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
      info(`Layer ${index} is being verified; its files appear when it is done.`);
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
