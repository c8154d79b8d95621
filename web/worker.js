// Module worker: runs the layerscope core (WebAssembly) off the main thread.
// Protocol: the first message may be {init: WebAssembly.Module | null} (the
// page compiles the module once and shares it); without it, or with null,
// the worker fetches and compiles the module itself.
// Then {id, op, args} in; {id, ok, result, ms} / {id, ok:false, error} out,
// plus {id, progress} while scanning, hashing or exporting. A trap
// (RuntimeError) is reported with `trap: true`; the page then replaces this
// worker.
import init, { Session, blobAlgorithm, blobHead, shareImages } from './pkg/layerscope_wasm.js';

let gotModule;
const ready = new Promise((resolve) => { gotModule = resolve; })
  .then((module) => init(module ? { module_or_path: module } : undefined));
// The benchmark and tests wait on this before reading the wasm memory.
self.layerscopeReady = ready;
// Slot "a" is the inspected image; slot "b" the one it is compared with.
const sessions = { a: null, b: null };

/** Stored blobs up to this size are hashed with `crypto.subtle` (read whole). */
const SUBTLE_MAX = 64 << 20;
/** Export file in the origin-private file system (see `exportTar`). */
const EXPORT_FILE = 'layerscope-export.tar';

function plainError(e) {
  if (e && typeof e === 'object') {
    return { name: e.name || 'Error', message: e.message || String(e), details: e.details || null };
  }
  return { name: 'Error', message: String(e), details: null };
}

function needSession(slot = 'a') {
  const session = sessions[slot];
  if (!session) throw Object.assign(new Error(`no image is open in slot ${slot}`), { name: 'StateError' });
  return session;
}

/** The stored blob of `plan` as a Blob, or null when the location does not fit the input. */
function blobOf(input, location) {
  if (!location) return null;
  if (input instanceof Map) return location.type === 'layoutFile' ? input.get(location.path) ?? null : null;
  if (input instanceof Blob && location.type === 'archiveRange') {
    return input.slice(Number(location.offset), Number(location.offset) + Number(location.size));
  }
  return null;
}

/**
 * Hashes a small stored blob with the browser's own SHA (several times
 * faster than SHA-256 in wasm). Null when the blob is too big, the
 * algorithm is not a WebCrypto one, or the bytes read are not the expected
 * length (the wasm path then reports the typed error).
 */
async function subtleHash(input, plan, planJson) {
  const size = Number(plan.location?.size ?? -1);
  // The core decides the algorithm (`{name, webCrypto}`).
  const algorithm = blobAlgorithm(planJson);
  const blob = blobOf(input, plan.location);
  if (!self.crypto?.subtle || !blob || size < 0 || size > SUBTLE_MAX) return null;
  const bytes = await blob.arrayBuffer();
  if (bytes.byteLength !== size) return null;
  const hex = Array.from(new Uint8Array(await crypto.subtle.digest(algorithm.webCrypto, bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
  return { digest: `${algorithm.name}:${hex}`, size, subtle: true };
}

const ops = {
  open({ input, options, slot = 'a' }) {
    sessions[slot]?.free();
    sessions[slot] = null;
    const s = new Session();
    try {
      const result = s.open(input, JSON.stringify(options || {}));
      sessions[slot] = s;
      return { result };
    } catch (e) {
      s.free();
      throw e;
    }
  },
  scan({ index }, id) {
    return { result: needSession().scanLayer(index, (done) => postMessage({ id, progress: done })) };
  },
  scanRange({ input, plan, limits, hashStored = true, batches = false }, id) {
    // With `batches`, the entries indexed so far come as progress messages `{batch}` (for `addPartial`).
    const batch = batches ? (bytes) => postMessage({ id, progress: null, batch: bytes }, [bytes.buffer]) : undefined;
    const r = Session.scanLayerRange(input, plan, limits, (done, unpacked) => postMessage({ id, progress: done, unpacked }), hashStored, batch);
    return { result: r, transfer: [r.scan.buffer] };
  },
  /**
   * What the core makes of a stored blob's first bytes (`blobHead`):
   * `{compression, supported, separateStoredHash}`, or null when the
   * location does not fit the input.
   */
  async blobHead({ input, plan, planJson }) {
    const blob = blobOf(input, plan.location);
    if (!blob) return { result: null };
    return { result: blobHead(planJson, new Uint8Array(await blob.slice(0, 512).arrayBuffer())) };
  },
  async hashBlob({ input, plan, planJson }, id) {
    const quick = await subtleHash(input, plan, planJson);
    if (quick) return { result: quick };
    return { result: Session.hashBlobRange(input, planJson, (done) => postMessage({ id, progress: done })) };
  },
  addPartial({ index, bytes }) {
    return { result: needSession().addPartial(index, bytes) };
  },
  partialTable({ index }) {
    const t = needSession().partialTable(index);
    return { result: t, transfer: [t.kinds.buffer, t.flags.buffer, t.sizes.buffer, t.changes.buffer] };
  },
  addScan({ bytes, slot, storedDigest }) {
    return { result: needSession(slot).addScan(bytes, storedDigest ?? undefined) };
  },
  scanIn({ index, slot }, id) {
    return { result: needSession(slot).scanLayer(index, (done) => postMessage({ id, progress: done })) };
  },
  closeSlot({ slot }) {
    sessions[slot]?.free();
    sessions[slot] = null;
    return { result: true };
  },
  diff({ withMtime }) {
    return { result: needSession('a').diff(needSession('b'), !!withMtime) };
  },
  layerView({ index }) {
    return { result: needSession().layerView(index) };
  },
  table({ index }) {
    const t = needSession().layerTable(index);
    return { result: t, transfer: [t.kinds.buffer, t.flags.buffer, t.sizes.buffer, t.changes.buffer] };
  },
  list({ index, dir, offset, limit, sort }) {
    return { result: needSession().listLayer(index, dir, offset, limit, sort) };
  },
  entry({ index, path }) {
    return { result: needSession().entry(index, path) };
  },
  readFile({ index, path, maxBytes }) {
    const bytes = needSession().readFile(index, path, maxBytes ?? undefined);
    return { result: bytes, transfer: [bytes.buffer] };
  },
  analyze({ slot }) {
    return { result: needSession(slot).analyze() };
  },
  mergedTable() {
    const t = needSession().mergedTable();
    return { result: t, transfer: [t.kinds.buffer, t.flags.buffer, t.sizes.buffer, t.layers.buffer] };
  },
  mergedEntry({ path }) {
    return { result: needSession().mergedEntry(path) };
  },
  fileTimeline({ path }) {
    return { result: needSession().fileTimeline(path) };
  },
  fileDiff({ path, old, new: to }) {
    return { result: needSession().fileDiff(path, old, to) };
  },
  readMerged({ path, maxBytes }) {
    const bytes = needSession().readMerged(path, maxBytes ?? undefined);
    return { result: bytes, transfer: [bytes.buffer] };
  },
  /**
   * Exports a tar. With `toFile`, the tar is written synchronously to a file
   * of the origin-private file system (`createSyncAccessHandle`): each
   * chunk is on disk before the core produces the next, so memory stays at
   * one chunk whatever the size, and the page then streams that file to the
   * user's file (or downloads it) and deletes it. Progress messages carry
   * only byte counts. Without it (no OPFS), chunks are posted to the page.
   */
  async exportTar({ layer, toFile }, id) {
    const session = needSession();
    if (toFile) {
      const dir = await navigator.storage.getDirectory();
      const handle = await dir.getFileHandle(EXPORT_FILE, { create: true });
      if (typeof handle.createSyncAccessHandle !== 'function') {
        throw Object.assign(new Error('no synchronous file access in this browser'), { name: 'NotSupportedError' });
      }
      const access = await handle.createSyncAccessHandle();
      try {
        access.truncate(0);
        let at = 0;
        const summary = session.exportTar(layer ?? undefined, (chunk) => {
          at += access.write(chunk, { at });
          postMessage({ id, progress: at });
        });
        access.flush();
        return { result: { summary, file: EXPORT_FILE, bytes: at } };
      } finally {
        access.close();
      }
    }
    const summary = session.exportTar(layer ?? undefined, (chunk) => postMessage({ id, progress: chunk }, [chunk.buffer]));
    return { result: { summary } };
  },
  /** The packages as layer `layer` leaves the image (the final image when null): `packages --json`. */
  packages({ layer }) {
    return { result: needSession().packages(layer ?? undefined) };
  },
  /** The SBOM of the final image as JSON text, `format` `cyclonedx` or `spdx`: `sbom --format`. */
  sbom({ format }) {
    return { result: needSession().sbom(format) };
  },
  report() {
    return { result: needSession().report() };
  },
  /**
   * What several images share (core `share`): `inputs` are Files/Blobs or
   * folder Maps, `names` how they are shown, `identities` strings naming
   * the files (equal ones count once). Progress: `{done, total}` layers
   * inflated.
   */
  share({ inputs, names, identities, options }, id) {
    return { result: shareImages(inputs, names, identities, JSON.stringify(options || {}), (done, total) => postMessage({ id, progress: { done, total } })) };
  },
};

// For the end-to-end tests (e.g. to make an operation trap) and the console.
self.layerscopeOps = ops;

self.onmessage = async (event) => {
  if ('init' in event.data) { gotModule(event.data.init); return; }
  // A client that sends no module (e.g. the hostile-corpus test page): load it here.
  gotModule(null);
  const { id, op, args } = event.data;
  try {
    await ready;
    const fn = ops[op];
    if (!fn) throw new Error(`unknown operation ${op}`);
    const started = performance.now();
    const { result, transfer = [] } = await fn(args || {}, id);
    postMessage({ id, ok: true, result, ms: performance.now() - started }, transfer);
  } catch (e) {
    const trap = e instanceof WebAssembly.RuntimeError;
    postMessage({ id, ok: false, trap, error: plainError(e) });
  }
};
