// Efficiency (dive's score), wasted bytes, duplicate content and advice of
// the merged image.
import { $, h } from '../dom.js';
import { num, count, pct, formatBytes, cleanCommand } from '../format.js';
import { state } from '../state.js';

/** Says the analysis comes once every layer is verified (a new image). */
export function resetAnalysis() {
  $('#score').replaceChildren(h('p', { class: 'muted' }, 'Efficiency, wasted space and advice appear once every layer is verified.'));
  $('#advice').replaceChildren();
  $('#wasted').replaceChildren();
}

/** Says the analysis needs every layer (some are missing or unreadable). */
export function renderIncomplete() {
  $('#score').replaceChildren(h('p', { class: 'muted' }, 'The merged view, wasted space and advice need every layer; some layers are missing or could not be read.'));
  $('#advice').replaceChildren();
  $('#wasted').replaceChildren();
}

/** Renders `state.analysis`. */
export function renderAnalysis() {
  const a = state.analysis;
  const d = a.dive;
  const w = a.waste;
  const meter = h('div', { class: 'meter', title: `efficiency ${pct(d.score)}` }, h('span'));
  meter.firstChild.style.width = pct(Math.max(0, Math.min(1, d.score)));
  $('#score').replaceChildren(
    h('div', { class: 'stat' }, h('span', { class: 'muted small' }, 'Efficiency (dive)'), h('span', { class: 'score', id: 'efficiency' }, pct(d.score)), meter),
    h('div', { class: 'stat' }, h('span', { class: 'muted small' }, 'Wasted (exact)'), h('b', { id: 'wasted-bytes' }, formatBytes(w.wastedBytes)), h('span', { class: 'muted small' }, `${num(w.fileCount)} files shipped but not visible`)),
    h('div', { class: 'stat' }, h('span', { class: 'muted small' }, 'Duplicate content'), h('b', {}, formatBytes(w.reclaimableBytes)), h('span', { class: 'muted small' }, `${num(w.duplicateCount)} contents stored more than once`)),
    h('div', { class: 'stat' }, h('span', { class: 'muted small' }, 'Visible / shipped'), h('b', {}, `${formatBytes(w.visibleBytes)} / ${formatBytes(w.shippedBytes)}`), h('span', { class: 'muted small' }, `${count(a.mergedPaths)} paths in the final image`)),
  );
  $('#advice').replaceChildren(...(a.advice.length ? a.advice.map((adv) => h('li', {},
    h('span', { class: `badge ${adv.severity === 'high' ? 'failed' : adv.severity === 'medium' ? 'warn' : 'info'}` }, adv.severity), ' ', adv.message,
    num(adv.bytes) ? h('span', { class: 'muted' }, ` (${formatBytes(adv.bytes)})`) : '',
    ...adv.evidence.slice(0, 4).map((ev) => h('div', { class: 'evidence' },
      [ev.layer != null ? `layer ${ev.layer}` : '', ev.path ? `/${ev.path}` : '', ev.line != null ? `line ${ev.line}` : '', num(ev.bytes) ? formatBytes(ev.bytes) : '', ev.note || '', ev.command ? `← ${cleanCommand(ev.command)}` : ''].filter(Boolean).join(' · '))),
    adv.evidence.length > 4 ? h('div', { class: 'evidence' }, `… and ${adv.evidence.length - 4} more`) : '',
  )) : [h('li', { class: 'muted' }, 'No advice: nothing stands out.')]));
  $('#wasted').replaceChildren(...(w.files.length ? w.files.slice(0, 25).map((f) => h('li', { title: `shipped by layer ${f.layer}${f.hiddenBy != null ? `, hidden by layer ${f.hiddenBy}` : ''}${f.cause ? ` (${f.cause.type})` : ''}` },
    h('span', {}, `L${f.layer}${f.hiddenBy != null ? `→${f.hiddenBy}` : ''}`), h('span', { class: 'p' }, `/${f.path}`), h('span', { class: 's' }, formatBytes(f.size)))) : [h('li', { class: 'muted' }, 'No wasted files.')]));
}
