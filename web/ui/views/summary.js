// The image head (title, format, image picker, overall verdict), the
// summary and runtime config, and the verification chain with warnings.
import { $, h, replace, dl, list, digestCell } from '../dom.js';
import { num, count, formatBytes, formatName, short } from '../format.js';
import { state } from '../state.js';
import { visibleText } from '../../text.js';
import { objectName } from './layers.js';
import { distroCell } from './packages.js';

/** Renders the head, summary, config, verdict and checks of the open image. */
export function renderImage() {
  const o = state.opened;
  const s = o.image;
  replace($('#image-title'), s.tags[0] || state.inputName);
  replace($('#image-subtitle'), `${state.inputName} · ${formatName(o.format)}${s.platform ? ` · ${s.platform}` : ''}`);
  renderPicker();
  renderSummary();
  renderConfig();
  renderOverall(o);
  renderChecks(o);
}

function renderPicker() {
  const o = state.opened;
  $('#image-picker-wrap').hidden = o.images.length < 2;
  // An option holds plain text only: the escapes as a string.
  $('#image-picker').replaceChildren(...o.images.map((img) => h('option', { value: String(img.index), selected: img.index === o.selected,
    text: visibleText(`${img.index}: ${img.tags[0] || short(img.digest || img.id)}${img.platform ? ` (${img.platform})` : ''}${img.kind !== 'image' ? ` — ${img.kind}` : ''}`) })));
}

/** The summary list (after verification, from the report). */
export function renderSummary() {
  const o = state.report || state.opened;
  const s = o.image;
  const totalEntries = state.views.reduce((n, v) => n + num(v.layer?.entries), 0);
  dl($('#summary'), [
    ['Format', formatName(o.format)],
    ['Tags', s.tags.length ? list(s.tags) : 'none'],
    ['Platform', s.platform],
    ['Distribution', distroCell()],
    ['Created', s.created ? `${s.created.replace('T', ' ').replace(/\.\d+/, '')}` : null],
    ['Author', s.author],
    ['Image ID', s.configDigest ? digestCell(s.configDigest, 'config digest') : null],
    ['Manifest', s.manifestDigest ? digestCell(s.manifestDigest, 'manifest digest') : null],
    ['Layers', `${o.layers.length} (${o.history.filter((x) => x.emptyLayer).length} empty history entries)`],
    ['Stored size', formatBytes(s.compressedSize)],
    ['Uncompressed', num(s.uncompressedSize) ? formatBytes(s.uncompressedSize) : 'after verification'],
    ['Entries', totalEntries ? count(totalEntries) : null],
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

/** The overall verdict badge (`#overall-badge` once there is one). */
export function renderOverall(o) {
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

/** The verification chain and the image's warnings. */
export function renderChecks(o) {
  const checks = o.verification?.checks || o.checks || [];
  $('#checks').replaceChildren(...checks.map((c) => {
    const where = c.object.type.startsWith('layer') ? `layer ${c.object.layer} ${objectName(c.object)}` : `${c.object.type} ${c.object.name || ''}`;
    return h('li', {}, h('span', { class: `badge ${c.status}` }, c.status), ` ${where}`,
      c.actual ? h('span', { class: 'muted' }, ` ${c.actual}`) : '', c.detail ? h('span', { class: 'muted' }, ` — ${c.detail}`) : '');
  }));
  $('#warnings').replaceChildren(...(o.warnings || []).map((w) => h('li', {}, w.message)));
}
