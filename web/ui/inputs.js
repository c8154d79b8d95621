// Ways in: the file pickers, dropping a file or an OCI layout folder, and
// the bundled sample image. Each hands a File (or a Map of layout files)
// to `open(input, name)`.
import { $ } from './dom.js';
import { busy, showBanner, showError, hideBanner } from './messages.js';

/** The OCI layout inside a folder: files keyed by path under the shallowest folder holding index.json. */
export function layoutFromFiles(files) {
  let root = null;
  for (const p of files.keys()) {
    if (p === 'index.json' || p.endsWith('/index.json')) {
      const r = p.slice(0, -'index.json'.length);
      if (root === null || r.length < root.length) root = r;
    }
  }
  if (root === null) return null;
  const map = new Map();
  for (const [p, f] of files) if (p.startsWith(root)) map.set(p.slice(root.length), f);
  return map;
}

/** Reads a dropped folder (a FileSystemDirectoryEntry) into `out`: path under it → File. */
export async function readDirectory(entry, prefix, out) {
  const reader = entry.createReader();
  for (;;) {
    const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (!batch.length) break;
    for (const e of batch) {
      if (e.isFile) out.set(prefix + e.name, await new Promise((resolve, reject) => e.file(resolve, reject)));
      else if (e.isDirectory) await readDirectory(e, `${prefix}${e.name}/`, out);
    }
  }
}

/** Wires the pickers, drag and drop, and the sample button to `open(input, name)`. */
export function initInputs(open) {
  const openFolder = (files, name) => {
    const map = layoutFromFiles(files);
    if (!map) {
      showBanner('error', 'Not an OCI layout:', `the folder ${name} has no index.json. Pick the folder that holds index.json, oci-layout and blobs/.`);
      return;
    }
    open(map, name);
  };
  const onDrop = async (event) => {
    event.preventDefault();
    document.body.classList.remove('dragging');
    const items = [...(event.dataTransfer?.items || [])];
    const entry = items.length && items[0].webkitGetAsEntry?.();
    if (entry?.isDirectory) {
      busy(`Reading folder ${entry.name}…`);
      const files = new Map();
      try { await readDirectory(entry, '', files); } catch (e) { busy(''); showError(e, 'Reading the folder: '); return; }
      busy('');
      openFolder(files, entry.name);
      return;
    }
    const file = event.dataTransfer?.files?.[0];
    if (file) open(file, file.name);
  };
  const loadSample = async () => {
    hideBanner();
    busy('Loading the sample image…');
    try {
      const response = await fetch('sample/sample-image.tar');
      if (!response.ok) throw Object.assign(new Error(`the sample is not available (HTTP ${response.status})`), { name: 'SampleError' });
      const blob = await response.blob();
      await open(new File([blob], 'sample-image.tar', { type: 'application/x-tar' }), 'sample-image.tar');
    } catch (e) {
      busy('');
      showError(e);
    }
  };
  $('#file-input').addEventListener('change', (e) => {
    const f = e.target.files?.[0];
    if (f) open(f, f.name);
    e.target.value = '';
  });
  $('#folder-input').addEventListener('change', (e) => {
    const files = new Map();
    for (const f of e.target.files || []) files.set(f.webkitRelativePath || f.name, f);
    const first = [...files.keys()][0] || 'folder';
    if (files.size) openFolder(files, first.split('/')[0]);
    e.target.value = '';
  });
  $('#sample').addEventListener('click', loadSample);
  $('#choose-file').addEventListener('click', () => $('#file-input').click());
  $('#choose-folder').addEventListener('click', () => $('#folder-input').click());
  window.addEventListener('dragover', (e) => { e.preventDefault(); document.body.classList.add('dragging'); });
  window.addEventListener('dragleave', (e) => { if (!e.relatedTarget) document.body.classList.remove('dragging'); });
  window.addEventListener('drop', onDrop);
}
