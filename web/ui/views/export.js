// Export of the selected layer, or of the flattened root filesystem, as a
// tar: written by the main worker to an origin-private file, then streamed
// to the user's file (showSaveFilePicker) or downloaded, and deleted.
import { $, h, replace } from '../dom.js';
import { num, count, formatBytes } from '../format.js';
import { state } from '../state.js';
import { primary } from '../workers.js';
import { showError } from '../messages.js';

const EXPORT_FILE = 'layerscope-export.tar';

/** Shows the export button for the selected layer (hidden until the analysis is there). */
export function updateExport() {
  const index = state.selectedLayer;
  $('#export').hidden = !state.analysis || index == null;
  replace($('#export-status'), '');
  replace($('#export'), index === 'merged' ? 'Export flattened rootfs (.tar)' : `Export layer ${index} as .tar`);
}

async function exportTar() {
  const layer = state.selectedLayer === 'merged' ? null : state.selectedLayer;
  const base = (state.opened.image.tags[0] || state.inputName).replace(/[^A-Za-z0-9._-]+/g, '_').replace(/\.tar$/, '');
  const name = layer == null ? `${base}-rootfs.tar` : `${base}-layer${layer}.tar`;
  const status = (text) => replace($('#export-status'), text);
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
  status('Exporting…');
  $('#export').disabled = true;
  try {
    let result = null;
    if (navigator.storage?.getDirectory) {
      try {
        result = await primary.call('exportTar', { layer, toFile: true }, { onProgress: (at) => status(`Exporting… ${formatBytes(at)}`) });
      } catch (e) {
        if (!['NotSupportedError', 'SecurityError', 'TypeError'].includes(e.name)) throw e;
      }
    }
    if (result) await deliverFile(result.file, name, writable);
    else result = await exportViaChunks(layer, name, writable, status);
    status(`Exported ${name}: ${count(result.summary.members)} members, ${formatBytes(result.bytes)} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } catch (e) {
    try { await writable?.abort(); } catch { /* ignore */ }
    status('');
    showError(e, 'Export: ');
  } finally {
    $('#export').disabled = false;
  }
}

function downloadUrl(url, name) {
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
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
  downloadUrl(URL.createObjectURL(file), name);
}

/** Deletes the origin-private export file, if any. */
export async function removeExportFile() {
  try {
    const dir = await navigator.storage.getDirectory();
    await dir.removeEntry(EXPORT_FILE);
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
      status(`Exporting… ${formatBytes(written)}`);
      if (writable) chain = chain.then(() => writable.write(chunk));
      else parts.push(chunk);
    },
  });
  if (writable) { await chain; await writable.close(); } else downloadUrl(URL.createObjectURL(new Blob(parts, { type: 'application/x-tar' })), name);
  return { summary: r.summary, bytes: num(written) };
}

/** Wires the export button; removes a file a closed tab left, and this tab's on leaving. */
export function initExport() {
  $('#export').addEventListener('click', exportTar);
  removeExportFile();
  window.addEventListener('pagehide', () => { removeExportFile(); });
}
