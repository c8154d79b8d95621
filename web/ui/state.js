// The page's state: the open image, per-layer views and progress, what is
// selected, and the URL fragment that carries the selection
// (`#layer=N|merged&path=…&filter=…&re=1&sort=size&changes=1&wasted=1&image=N&panel=…&diff=N..M`).
// Views read and write `state`; `events` tells the others what changed.

/** Mutable page state (one image open at a time). */
export const state = {
  /** Bumped by every open and cancel; async work started under another value is stale. */
  gen: 0,
  input: null,
  inputName: '',
  options: {},
  /** The `open` result (image, layers, history, plans). */
  opened: null,
  /** The final `report`, after verification. */
  report: null,
  /** Per layer: the latest `layerView` ({index, layer, checks, warnings, error?}). */
  views: [],
  /** Per layer: verification progress ({done, total, start, running, end?}) or null. */
  progress: [],
  scanning: false,
  /** When verification started (performance.now()). */
  scanStarted: 0,
  cancelled: false,
  /** The selected layer: an index, 'merged', or null. */
  selectedLayer: null,
  selectedPath: '',
  /** The layer (or 'merged') whose table the tree holds. */
  treeLayer: null,
  /** The `analyze` result once every layer is indexed. */
  analysis: null,
  /** Tree options, mirrored in the fragment. */
  tree: { filter: '', regex: false, sort: 'name', changes: false, wasted: false },
  /** The open side panel (a tab name), mirrored in the fragment. */
  panel: null,
  /** The History panel's diff ({old, new} layers), mirrored in the fragment. */
  diff: null,
  /** What the fragment asked for when the page loaded (consumed as it is applied). */
  fragment: parseFragment(location.hash),
  /** What names the open input for "reopening restores the place" (see `placeFor`). */
  identity: null,
  /** Timings for the benchmark. */
  timing: null,
  scanStats: null,
};

/** Named notifications between views (`layer-selected`, `path-selected`, …). */
export const events = new EventTarget();

/** Dispatches `name` with `detail`. */
export function emit(name, detail) {
  events.dispatchEvent(new CustomEvent(name, { detail }));
}

/** Calls `fn(detail)` on each `name`. */
export function on(name, fn) {
  events.addEventListener(name, (e) => fn(e.detail));
}

/** Whether async work started under `gen` is still wanted. */
export const current = (gen) => gen === state.gen;

/** The fragment's fields. */
export function parseFragment(hash) {
  const p = new URLSearchParams(String(hash || '').replace(/^#/, ''));
  const layer = p.get('layer');
  const diff = /^(\d+)\.\.(\d+)$/.exec(p.get('diff') || '');
  return {
    layer: layer === 'merged' ? 'merged' : layer != null && /^\d+$/.test(layer) ? Number(layer) : null,
    path: p.get('path') || '',
    filter: p.get('filter') || '',
    regex: p.get('re') === '1',
    sort: p.get('sort') === 'size' ? 'size' : 'name',
    image: p.get('image'),
    changes: p.get('changes') === '1',
    wasted: p.get('wasted') === '1',
    // A diff is shown in the History panel.
    panel: p.get('panel') || (diff ? 'history' : null),
    diff: diff ? { old: Number(diff[1]), new: Number(diff[2]) } : null,
  };
}

/** Writes the selection and tree options into the URL fragment (no history entry). */
export function writeFragment() {
  const p = new URLSearchParams();
  if (state.options.image != null) p.set('image', state.options.image);
  if (state.selectedLayer != null) p.set('layer', String(state.selectedLayer));
  if (state.selectedPath) p.set('path', state.selectedPath);
  const t = state.tree;
  if (t.filter) p.set('filter', t.filter);
  if (t.regex) p.set('re', '1');
  if (t.sort !== 'name') p.set('sort', t.sort);
  if (t.changes) p.set('changes', '1');
  if (t.wasted) p.set('wasted', '1');
  if (state.panel) p.set('panel', state.panel);
  if (state.diff && state.panel === 'history') p.set('diff', `${state.diff.old}..${state.diff.new}`);
  const hash = p.toString();
  history.replaceState(null, '', hash ? `#${hash}` : location.pathname + location.search);
  if (state.identity && state.opened) remember(state.identity, hash);
}

/** localStorage key of the places of recently opened inputs. */
const PLACES = 'layerscope-places';
/** How many inputs' places are kept. */
const PLACES_KEPT = 30;

/** A name for an input that is the same when the same file or folder is opened again. */
export function identityOf(input, name) {
  if (input instanceof Map) {
    let bytes = 0;
    for (const f of input.values()) bytes += f.size;
    return `folder:${name}:${input.size}:${bytes}`;
  }
  return `file:${name}:${input?.size ?? 0}`;
}

function places() {
  try { return JSON.parse(localStorage.getItem(PLACES) || '[]'); } catch { return []; }
}

function remember(identity, hash) {
  try {
    const kept = places().filter(([id]) => id !== identity).slice(-(PLACES_KEPT - 1));
    kept.push([identity, hash]);
    localStorage.setItem(PLACES, JSON.stringify(kept));
  } catch { /* storage unavailable: nothing is remembered */ }
}

/**
 * The place (fragment fields) to restore when `identity` is opened: the
 * URL's fragment when it has one and belongs to this input (a reload, a
 * shared link, a reopen after a crash), else where the user was when this
 * input was last open here.
 */
export function placeFor(identity) {
  const own = !state.identity || state.identity === identity;
  if (own && location.hash.length > 1) return parseFragment(location.hash);
  const saved = places().find(([id]) => id === identity);
  return parseFragment(saved ? saved[1] : '');
}
