// The History panel: the selected path followed through every layer (the
// core's timeline: "layer N", what the layer did, the aspects that
// changed, the layer's history command), and a unified diff of two of its
// versions with a line-number gutter. The diff is in the fragment as
// `diff=N..M` (a fragment with a diff opens this panel).
import { $, h, replace } from '../dom.js';
import { formatBytes, count, cleanCommand, num } from '../format.js';
import { state, on, current, writeFragment } from '../state.js';
import { primary } from '../workers.js';
import { currentPanel } from './tabs.js';

/** Why the previous object went, in words (the core's removal causes). */
function causeWords(cause) {
  switch (cause?.type) {
    case 'whiteout': return 'whiteout';
    case 'opaqueDir': return `opaque directory /${cause.dir}`;
    case 'replacedByType': return `replaced by a ${cause.kind}`;
    case 'overwritten': return 'overwritten';
    case 'duplicate': return 'listed twice';
    default: return '';
  }
}

/** What a step says after its action: aspects, or how it was deleted. */
export function stepDetail(step) {
  const c = step.change;
  if (c.action === 'deleted') {
    const how = causeWords(step.cause);
    if (step.removedWith != null) return `with /${step.removedWith}${how ? ` (${how})` : ''}`;
    return how;
  }
  const aspects = c.aspects.join(', ');
  if (step.cause && !c.aspects.includes('type')) return [aspects, `contents removed: ${causeWords(step.cause)}`].filter(Boolean).join('; ');
  return aspects;
}

/** The path the panel shows, and a counter that makes older answers stale. */
let shown = null;
let shownGen = -1;
let token = 0;
/** Steps of the shown timeline (for the version pickers). */
let steps = [];

function panel() { return $('#timeline'); }

/** Empties the panel. */
export function clearTimeline() {
  token++;
  shown = null;
  steps = [];
  replace(panel(), h('p', { class: 'muted' }, 'Select a file to see its history across layers.'));
  $('#file-diff').replaceChildren();
}

/** Shows `path`'s timeline if the panel is open (and it is not shown already). */
async function follow(path) {
  if (currentPanel() !== 'history' || !state.opened) return;
  if (!path) { clearTimeline(); return; }
  if (path === shown && shownGen === state.gen) return;
  if (state.diff) { state.diff = null; writeFragment(); }
  const gen = state.gen;
  const mine = ++token;
  shown = path;
  shownGen = gen;
  steps = [];
  $('#file-diff').replaceChildren();
  replace(panel(), h('h4', {}, `/${path}`), h('p', { class: 'muted small' }, 'Loading…'));
  if (!state.views.every((v) => v.layer.entries != null)) {
    shown = null;
    replace(panel(), h('h4', {}, `/${path}`), h('p', { class: 'muted' }, 'The history appears once every layer is indexed.'));
    return;
  }
  try {
    const t = await primary.call('fileTimeline', { path });
    if (mine !== token || !current(gen)) return;
    render(t);
    // The fragment's diff, for the path it restored (the first one shown).
    const want = state.fragment.diff;
    if (want) {
      state.fragment.diff = null;
      pick(want.old, want.new);
      await showDiff(want.old, want.new);
    }
  } catch (e) {
    if (mine !== token || e.name === 'AbortError') return;
    shown = null;
    replace(panel(), h('h4', {}, `/${path}`), h('p', { class: 'failure' }, `${e.name}: ${e.message}`));
  }
}

function render(t) {
  steps = t.steps;
  const items = t.steps.map((s) => h('li', { class: `step ${s.change.action}`, dataset: { layer: String(s.layer), action: s.change.action } },
    h('span', { class: 'tl-layer' }, `layer ${s.layer}`),
    h('span', { class: 'tl-action' }, s.change.action),
    h('span', { class: 'tl-detail' }, stepDetail(s)),
    h('span', { class: 'tl-cmd', title: s.createdBy || '' }, s.createdBy ? cleanCommand(s.createdBy) : '—')));
  const layers = [...new Set(t.steps.map((s) => s.layer))];
  const options = () => layers.map((l) => h('option', { value: String(l) }, `layer ${l}`));
  const pickers = layers.length ? h('div', { class: 'tl-compare' },
    h('label', {}, 'Compare ', h('select', { id: 'diff-old', 'aria-label': 'Older version' }, options())),
    h('label', {}, ' with ', h('select', { id: 'diff-new', 'aria-label': 'Newer version' }, options())),
    h('button', { type: 'button', class: 'btn small', id: 'diff-show', onclick: () => showDiff(Number($('#diff-old').value), Number($('#diff-new').value)) }, 'Show diff')) : null;
  replace(panel(),
    h('h4', {}, `/${t.path}`),
    h('p', { class: 'muted small' }, `${t.present ? 'In' : 'Not in'} the final image · ${t.steps.length} of ${t.layers} layers touch it`),
    t.steps.length ? h('ol', { class: 'timeline', 'aria-label': `History of /${t.path}` }, items) : h('p', { class: 'muted' }, 'No layer changes it.'),
    pickers);
  // The last two versions by default.
  if (layers.length) pick(layers[Math.max(0, layers.length - 2)], layers[layers.length - 1]);
}

function pick(old, neu) {
  const set = (sel, v) => {
    const e = $(sel);
    if (!e) return;
    if (![...e.options].some((o) => o.value === String(v))) e.append(h('option', { value: String(v) }, `layer ${v}`));
    e.value = String(v);
  };
  set('#diff-old', old);
  set('#diff-new', neu);
}

/** Shows the diff of the shown path between layers `old` and `neu`. */
async function showDiff(old, neu) {
  const path = shown;
  if (path == null) return;
  const mine = token;
  const out = $('#file-diff');
  replace(out, h('p', { class: 'muted small' }, 'Comparing…'));
  try {
    const d = await primary.call('fileDiff', { path, old, new: neu });
    if (mine !== token) return;
    state.diff = { old, new: neu };
    writeFragment();
    renderDiff(out, d);
  } catch (e) {
    if (mine !== token || e.name === 'AbortError') return;
    replace(out, h('p', { class: 'failure' }, `${e.name}: ${e.message}`));
  }
}

function sideWords(side) {
  if (!side.present) return `layer ${side.layer}: not a file there`;
  return `layer ${side.layer}: ${formatBytes(num(side.size))}`;
}

function renderDiff(out, d) {
  const parts = [h('h5', {}, `/${d.path}: layer ${d.old.layer} → layer ${d.new.layer}`),
    h('p', { class: 'muted small' }, `${sideWords(d.old)} · ${sideWords(d.new)}`)];
  const cut = [d.old, d.new].filter((s) => s.cut);
  if (cut.length) {
    parts.push(h('p', { class: 'notice small', id: 'diff-cut' }, `Only the first ${formatBytes(num(d.limit))} of each side was compared (${cut.map((s) => `layer ${s.layer} has ${count(s.size)} bytes`).join(', ')}).`));
  }
  const body = d.body;
  if (body.type === 'identical') parts.push(h('p', { class: 'diff-verdict' }, 'Identical.'));
  else if (body.type === 'binary') {
    parts.push(h('p', { class: 'diff-verdict' }, body.firstDifference != null
      ? `Binary files differ: ${count(d.old.size)} and ${count(d.new.size)} bytes, first difference at byte ${count(body.firstDifference)}.`
      : `Binary files: ${count(d.old.size)} and ${count(d.new.size)} bytes, the same as far as compared.`));
  } else {
    if (body.approximate) parts.push(h('p', { class: 'muted small' }, 'Too many differences for an exact diff: the changed part is shown removed and added.'));
    if (!body.hunks.length) parts.push(h('p', { class: 'diff-verdict' }, 'No difference in the bytes compared.'));
    const rows = [];
    for (const hunk of body.hunks) {
      const range = (start, lines) => (lines === 1 ? `${start}` : `${start},${lines}`);
      rows.push(h('div', { class: 'hunk' }, `@@ -${range(hunk.oldStart, hunk.oldLines)} +${range(hunk.newStart, hunk.newLines)} @@`));
      for (const line of hunk.lines) {
        const mark = line.kind === 'removed' ? '-' : line.kind === 'added' ? '+' : ' ';
        rows.push(h('div', { class: `dline ${line.kind}` },
          h('span', { class: 'ln old', text: line.oldLine != null ? String(line.oldLine) : '' }),
          h('span', { class: 'ln new', text: line.newLine != null ? String(line.newLine) : '' }),
          h('span', { class: 'mk', text: mark }),
          h('span', { class: 'tx', text: line.text })));
      }
    }
    if (rows.length) parts.push(h('div', { class: 'udiff', role: 'region', tabindex: '0', 'aria-label': `Diff of /${d.path}` }, rows));
  }
  out.replaceChildren(...parts);
}

/** Wires the panel to the selection. */
export function initTimeline() {
  clearTimeline();
  const refresh = () => follow(state.selectedPath);
  on('path-selected', (info) => follow(info.path));
  on('path-activated', ({ info }) => follow(info.path));
  on('panel-opened', (name) => { if (name === 'history') refresh(); });
  on('analysed', () => { shown = null; refresh(); });
}
