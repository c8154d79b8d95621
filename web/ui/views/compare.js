// Comparison with a second image (slot `b` of the main worker): shared
// layers, added / removed / changed files, config and history.
import { $, h, replace, list } from '../dom.js';
import { num, count, formatBytes, cleanCommand, plural } from '../format.js';
import { state } from '../state.js';
import { primary } from '../workers.js';
import { verifyCompared } from '../scheduler.js';
import { showError } from '../messages.js';
import { openPanel, showTab } from './tabs.js';

const compare = { gen: 0, name: '', input: null };

/** Opens `input` in slot b, verifies it, and shows the comparison. */
export async function openCompare(input, name) {
  if (!state.opened) return;
  const gen = ++compare.gen;
  const stale = () => gen !== compare.gen;
  compare.name = name;
  compare.input = input;
  showTab('compare', true);
  openPanel('compare');
  $('#diff-body').replaceChildren();
  const status = (text) => replace($('#diff-status'), text);
  status(`Opening ${name}…`);
  try {
    const opened = await primary.call('open', { input, options: {}, slot: 'b' });
    if (stale()) return;
    if (opened.plans.some((p) => !p.location)) throw Object.assign(new Error(`${name} has missing layer blobs; a comparison needs every layer`), { name: 'MissingError' });
    status(`Verifying ${name}: 0/${opened.plans.length} layers…`);
    await verifyCompared(opened, input, { stale, progress: (done, total) => status(`Verifying ${name}: ${done}/${total} layers…`) });
    if (stale()) return;
    await primary.call('analyze', { slot: 'b' });
    await runDiff(gen);
  } catch (e) {
    if (stale() || e.name === 'AbortError') return;
    status('');
    $('#diff-body').replaceChildren(h('p', { class: 'failure' }, `Could not compare with ${name}: ${e.name}: ${e.message}`));
  }
}

/** Whether a comparison is open. */
export function comparing() { return compare.input != null; }

/** (Re)computes and shows the comparison. */
export async function runDiff(gen = compare.gen) {
  const status = (text) => replace($('#diff-status'), text);
  if (!state.analysis) {
    status('Waiting for this image to finish verifying…');
    return;
  }
  status('Comparing…');
  const d = await primary.call('diff', { withMtime: $('#diff-mtime').checked });
  if (gen !== compare.gen) return;
  const a = state.opened.image.tags[0] || state.inputName;
  status(`A = ${a} · B = ${compare.name}`);
  const summary = h('div', { class: 'diff-summary', id: 'diff-summary' },
    h('span', {}, h('b', {}, `${num(d.sharedLayers)}`), ` shared base layer${num(d.sharedLayers) === 1 ? '' : 's'} (${formatBytes(d.sharedBytes)})`),
    h('span', { class: 'changes' }, h('span', { class: 'add' }, h('b', {}, `+${num(d.addedCount)}`)), ` added (${formatBytes(d.addedBytes)})`),
    h('span', { class: 'changes' }, h('span', { class: 'del' }, h('b', {}, `−${num(d.removedCount)}`)), ` removed (${formatBytes(d.removedBytes)})`),
    h('span', { class: 'changes' }, h('span', { class: 'mod' }, h('b', {}, `~${num(d.changedCount)}`)), ' changed'));
  const fileList = (cls, title, items, total) => h('div', {},
    h('h4', {}, `${title} (${count(total)}${items.length < num(total) ? `, first ${items.length}` : ''})`),
    items.length ? h('ul', { class: `diff-list ${cls}`, tabindex: '0', 'aria-label': title }, items.slice(0, 2000).map((f) => h('li', { title: `/${f.path}` },
      h('span', { class: 'p' }, `/${f.path}`),
      h('span', { class: 'm' }, f.aspects?.length ? f.aspects.join(', ') : f.kind),
      h('span', { class: 'm' }, f.previousSize != null && num(f.previousSize) !== num(f.size) ? `${formatBytes(f.previousSize)} → ${formatBytes(f.size)}` : formatBytes(f.size))))) : h('p', { class: 'muted small' }, 'none'));
  const config = d.config.length ? h('dl', { class: 'kv' }, d.config.flatMap((c) => [h('dt', {}, c.field), h('dd', {}, h('code', {}, `${JSON.stringify(c.a)} → ${JSON.stringify(c.b)}`))])) : h('p', { class: 'muted small' }, 'Same runtime config.');
  const hist = h('div', {}, h('p', { class: 'small' }, `${d.history.common} history entries in common.`),
    d.history.onlyA.length ? h('div', {}, h('b', { class: 'small' }, 'Only in A:'), list(d.history.onlyA.map(cleanCommand))) : '',
    d.history.onlyB.length ? h('div', {}, h('b', { class: 'small' }, 'Only in B:'), list(d.history.onlyB.map(cleanCommand))) : '');
  // Where B diverges from A and what rebuilding it costs (core diff).
  const first = d.rebuild?.layers?.[0];
  const rebuild = d.rebuild
    ? h('p', { class: 'small', id: 'diff-rebuild' },
      h('b', {}, `B diverges from A at layer ${num(d.firstDivergentLayer)}`),
      first?.createdBy ? [' (', h('code', {}, cleanCommand(first.createdBy)), ')'] : '',
      `: a rebuild redoes ${plural(d.rebuild.layers.length, 'layer')} from there; ${plural(d.rebuild.newLayers, 'of them is', 'of them are')} not in A: ${formatBytes(d.rebuild.transferBytes)} to push and to pull.`)
    : h('p', { class: 'small muted', id: 'diff-rebuild' }, 'Every layer of B equals A’s at its index (B is A, or a prefix of it): nothing to rebuild.');
  $('#diff-body').replaceChildren(summary, rebuild,
    h('div', { class: 'diff-cols' },
      fileList('added', 'Added in B', d.added, d.addedCount),
      fileList('removed', 'Removed in B', d.removed, d.removedCount),
      fileList('changed', 'Changed', d.changed, d.changedCount)),
    h('div', { class: 'diff-cols' }, h('div', {}, h('h4', {}, 'Config'), config), h('div', {}, h('h4', {}, 'History'), hist)));
}

/** Closes the comparison and frees slot b. */
export function closeCompare() {
  compare.gen++;
  compare.input = null;
  showTab('compare', false);
  primary.call('closeSlot', { slot: 'b' }).catch(() => {});
}

/** Wires the comparison's controls. */
export function initCompare() {
  $('#compare-button').addEventListener('click', () => $('#compare-input').click());
  $('#compare-input').addEventListener('change', (e) => {
    const f = e.target.files?.[0];
    if (f) openCompare(f, f.name);
    e.target.value = '';
  });
  $('#diff-close').addEventListener('click', closeCompare);
  $('#diff-mtime').addEventListener('change', () => runDiff().catch((e) => showError(e, 'Comparing: ')));
}
