// The Packages panel: the packages the image's package databases list
// (core `packages`: dpkg, apk, Python, Node, Go and cargo-auditable
// binaries), for the selected layer — as that layer leaves the image,
// what it added, changed and removed marked — or for the merged image;
// filtered by text and ecosystem; the removed packages; the SBOM
// downloads (core `sbom`, the same bytes as `layerscope sbom`). Also the
// per-layer counts the layer list shows and the distribution line of the
// summary, both read off the final image's report.
//
// Every name, version and purl is untrusted text: shown through ui/dom.js
// (text.js markers), never as HTML. Rows are rendered a page at a time,
// so thousands of packages stay responsive.
import { $, h, replace } from '../dom.js';
import { count, num, plural } from '../format.js';
import { state, on, emit, current } from '../state.js';
import { primary } from '../workers.js';
import { currentPanel } from './tabs.js';

/** Rows rendered at once (and per "Show more"). */
const PAGE = 200;

/** The core's change kinds in words. */
const CHANGE_WORDS = { upgraded: 'upgraded', downgraded: 'downgraded', changed: 'changed', removed: 'removed', readded: 're-added' };

/** Per generation: layer index (or 'final') → the packages report, or a promise of it. */
let cache = new Map();
let cacheGen = -1;
/** The report the panel shows, and for which view. */
let shown = null;
let shownKey = null;
/** How many of the filtered rows are rendered. */
let limit = PAGE;
let token = 0;

/** The report of `key` (a layer index or 'final'), asked once per opened image. */
function report(key) {
  if (cacheGen !== state.gen) { cache = new Map(); cacheGen = state.gen; }
  if (!cache.has(key)) {
    const p = primary.call('packages', { layer: key === 'final' ? null : key });
    // A failure is asked again next time (unless a newer image replaced the cache).
    const map = cache;
    p.catch(() => { if (map.get(key) === p) map.delete(key); });
    cache.set(key, p);
  }
  return cache.get(key);
}

/** The distribution in words: the core's `display` (the wording `layerscope inspect` prints). */
export function distroText(os) {
  return os ? os.display : null;
}

/** The summary's distribution cell (null until the final image's packages are read, or without os-release). */
export function distroCell() {
  const os = state.packages?.osRelease;
  if (!os) return null;
  const fields = [['ID', os.id], ['VERSION_ID', os.versionId], ['VERSION_CODENAME', os.codename]].filter(([, v]) => v).map(([k, v]) => `${k}=${v}`);
  return h('span', { id: 'summary-distro', title: `${fields.join(' ')} (from /${os.path})` }, distroText(os));
}

/** The layer row's package counts ("+42 packages, 1 changed, −3 removed"), from the core's per-layer counts. */
export function packagesCell(index) {
  const c = state.packages?.layerCounts?.[index];
  if (!c) return '';
  const [added, changed, removed] = [num(c.added), num(c.changed), num(c.removed)];
  if (!added && !changed && !removed) return '';
  const parts = [];
  if (added) parts.push(h('span', { class: 'add' }, `+${count(added)} ${added === 1 ? 'package' : 'packages'}`));
  if (changed) parts.push(h('span', { class: 'mod' }, `${count(changed)} changed`));
  if (removed) parts.push(h('span', { class: 'del' }, `−${count(removed)} removed`));
  return h('span', { class: 'pkg-counts', title: `Packages this layer's databases added (${added}), changed the version of (${changed}) and removed (${removed})` },
    ' · ', parts.flatMap((p, i) => (i ? [', ', p] : [p])));
}

/** Reads the final image's packages once every layer is indexed; `packages` tells the layer list and summary. */
async function loadFinal() {
  const gen = state.gen;
  state.packages = null;
  try {
    const r = await report('final');
    if (!current(gen)) return;
    state.packages = r;
    emit('packages', r);
  } catch (e) {
    if (!current(gen)) return;
    state.packages = null;
    emit('packages', null);
  }
  refresh();
}

/** The view the panel shows: the selected layer's index, or 'final' (merged image, nothing selected). */
const viewKey = () => (typeof state.selectedLayer === 'number' ? state.selectedLayer : 'final');

/** Loads and shows the packages of the selected view, if the panel is open. */
async function refresh() {
  if (currentPanel() !== 'packages' || !state.opened) return;
  const mine = ++token;
  const key = viewKey();
  const gen = state.gen;
  $('#sbom-buttons').hidden = false;
  for (const b of document.querySelectorAll('#sbom-buttons button')) b.disabled = !state.analysis;
  if (!state.analysis) {
    shown = null;
    replace($('#packages-scope'), '');
    replace($('#packages-status'), 'Packages are read from the layers’ package databases once every layer is indexed.');
    clearTables();
    return;
  }
  if (shown && shownKey === key && cacheGen === gen) { render(); return; }
  replace($('#packages-status'), 'Reading package databases…');
  try {
    const r = await report(key);
    if (mine !== token || !current(gen)) return;
    if (shownKey !== key) limit = PAGE;
    shown = r;
    shownKey = key;
    fillEcosystems();
    render();
  } catch (e) {
    if (mine !== token || !current(gen)) return;
    shown = null;
    clearTables();
    replace($('#packages-status'), h('span', { class: 'failure' }, `Could not read the packages: ${e.message}`));
  }
}

function clearTables() {
  $('#packages-rows').replaceChildren();
  $('#packages-removed-rows').replaceChildren();
  $('#packages-more').hidden = true;
  $('#packages-removed-wrap').hidden = true;
  $('#packages-notes').replaceChildren();
}

/** The ecosystem choices: those of the shown report (the current choice kept). */
function fillEcosystems() {
  const select = $('#packages-ecosystem');
  const want = select.value;
  const seen = [...new Set([...shown.packages, ...shown.removed].map((p) => p.ecosystem))].sort();
  if (want && !seen.includes(want)) seen.push(want);
  select.replaceChildren(h('option', { value: '' }, 'All ecosystems'), ...seen.map((e) => h('option', { value: e }, e)));
  select.value = want;
}

/** What the filter field and the ecosystem choice keep. */
function matcher() {
  const text = $('#packages-filter').value.trim().toLowerCase();
  const eco = $('#packages-ecosystem').value;
  return (p) => (!eco || p.ecosystem === eco)
    && (!text || p.name.toLowerCase().includes(text) || p.version.toLowerCase().includes(text) || p.purl.toLowerCase().includes(text));
}

/** The layer's own change to a present package, or null. */
function changeHere(p, layer) {
  if (p.addedLayer === layer) return 'added';
  const c = p.changedLayers.find((x) => x.layer === layer);
  return c ? CHANGE_WORDS[c.change] || c.change : null;
}

function changedCell(p) {
  if (!p.changedLayers.length) return h('span', { class: 'muted' }, '—');
  return p.changedLayers.map((c, i) => h('span', {
    class: 'pkg-change', title: `layer ${c.layer}: ${CHANGE_WORDS[c.change] || c.change}${c.from != null || c.to != null ? ` ${c.from ?? ''} → ${c.to ?? ''}` : ''}`,
  }, i ? ', ' : '', `${c.layer} ${CHANGE_WORDS[c.change] || c.change}`));
}

function packageRow(p, layer) {
  const here = layer == null ? null : changeHere(p, layer);
  return h('tr', { class: here ? `pkg here ${here === 'added' ? 'add' : 'mod'}` : 'pkg' },
    h('td', { class: 'pkg-name' }, p.name, here ? h('span', { class: `badge ${here === 'added' ? 'added' : 'modified'}`, title: `layer ${layer} ${here} this package` }, here) : ''),
    h('td', { class: 'pkg-version' }, p.version),
    h('td', { class: 'pkg-eco' }, p.ecosystem),
    h('td', { class: 'pkg-added num', title: p.location ? `listed by /${p.location}` : null }, String(p.addedLayer)),
    h('td', { class: 'pkg-changed' }, changedCell(p)),
    h('td', { class: 'pkg-purl' }, p.purl));
}

function removedRow(r) {
  return h('tr', { class: 'pkg removed' },
    h('td', { class: 'pkg-name' }, r.name),
    h('td', { class: 'pkg-version' }, r.version),
    h('td', { class: 'pkg-eco' }, r.ecosystem),
    h('td', { class: 'pkg-added num' }, String(r.addedLayer)),
    h('td', { class: 'pkg-removed-by num', title: `listed by /${r.location}` }, String(r.removedLayer)),
    h('td', { class: 'pkg-purl' }, r.purl));
}

/** Renders the shown report's rows through the filters (the first `limit` of them). */
function render() {
  if (!shown) return;
  const layer = shownKey === 'final' ? null : shownKey;
  replace($('#packages-scope'), layer == null ? 'merged image' : `as layer ${layer} leaves the image`);
  const onlyLayer = layer != null && $('#packages-layer-only').checked;
  $('#packages-layer-only').disabled = layer == null;
  const keep = matcher();
  const rows = shown.packages.filter((p) => keep(p) && (!onlyLayer || changeHere(p, layer)));
  const removed = shown.removed.filter((r) => keep(r) && (!onlyLayer || r.removedLayer === layer));
  const total = shown.packages.length;
  const c = layer == null ? null : shown.layerCounts?.[layer];
  replace($('#packages-status'),
    rows.length === total ? plural(total, 'package') : `${count(rows.length)} of ${plural(total, 'package')}`,
    shown.removed.length ? ` · ${count(shown.removed.length)} removed on the way` : '',
    c ? ` · layer ${layer}: +${count(c.added)} added, ${count(c.changed)} changed, −${count(c.removed)} removed` : '');
  $('#packages-rows').replaceChildren(...rows.slice(0, limit).map((p) => packageRow(p, layer)));
  const more = $('#packages-more');
  more.hidden = rows.length <= limit;
  more.textContent = `Show ${count(Math.min(PAGE, rows.length - limit))} more (${count(rows.length - limit)} not shown)`;
  $('#packages-empty').hidden = rows.length > 0;
  $('#packages-removed-wrap').hidden = !removed.length;
  $('#packages-removed-rows').replaceChildren(...removed.map(removedRow));
  const notes = [
    ...(shown.unread || []).map((u) => `Not read: /${u.path} (layer ${u.layer}): ${u.reason}`),
    ...(shown.warnings || []).map((w) => w.message),
  ];
  $('#packages-notes').replaceChildren(...notes.map((n) => h('li', {}, n)));
}

/** The image's name for a file name: its first tag, or "image", with only safe characters. */
function fileStem() {
  const tag = state.opened?.image?.tags?.[0] || 'image';
  return tag.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '') || 'image';
}

/** Downloads the SBOM in `format` (`cyclonedx` or `spdx`), written by the core in the main worker. */
async function downloadSbom(format, button) {
  const gen = state.gen;
  button.disabled = true;
  replace($('#sbom-status'), 'Writing the SBOM…');
  try {
    const text = await primary.call('sbom', { format });
    if (!current(gen)) return;
    const name = `${fileStem()}.${format === 'spdx' ? 'spdx' : 'cdx'}.json`;
    const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
    const a = h('a', { href: url, download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
    replace($('#sbom-status'), `Saved ${name}`);
  } catch (e) {
    if (current(gen)) replace($('#sbom-status'), h('span', { class: 'failure' }, `Could not write the SBOM: ${e.message}`));
  } finally {
    button.disabled = !state.analysis;
  }
}

/** Wires the panel: filters, "Show more", SBOM buttons, and when to load. */
export function initPackages() {
  const rerender = () => { limit = PAGE; render(); };
  $('#packages-filter').addEventListener('input', rerender);
  $('#packages-ecosystem').addEventListener('change', rerender);
  $('#packages-layer-only').addEventListener('change', rerender);
  $('#packages-more').addEventListener('click', () => { limit += PAGE; render(); });
  $('#sbom-cyclonedx').addEventListener('click', (e) => downloadSbom('cyclonedx', e.currentTarget));
  $('#sbom-spdx').addEventListener('click', (e) => downloadSbom('spdx', e.currentTarget));
  on('analysed', loadFinal);
  on('select-layer', () => refresh());
  on('panel-opened', (name) => { if (name === 'packages') refresh(); });
}

/** Forgets the shown report (a new image is opening). */
export function resetPackages() {
  token++;
  shown = null;
  shownKey = null;
  state.packages = null;
  replace($('#sbom-status'), '');
  clearTables();
  refresh();
}
