// Module worker: runs the layerscope core (WebAssembly) off the main thread.
// Protocol: {id, op, args} in; {id, ok, result} / {id, ok:false, error} out,
// plus {id, progress: bytesDone} while scanning. A trap (RuntimeError) is
// reported with `trap: true`; the page then replaces this worker.
import init, { Session } from './pkg/layerscope_wasm.js';

const ready = init();
// Slot "a" is the inspected image; slot "b" the one it is compared with.
const sessions = { a: null, b: null };

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
  scanRange({ input, plan, limits }, id) {
    const r = Session.scanLayerRange(input, plan, limits, (done) => postMessage({ id, progress: done }));
    return { result: r, transfer: [r.scan.buffer] };
  },
  addScan({ bytes, slot }) {
    return { result: needSession(slot).addScan(bytes) };
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
    return { result: t, transfer: [t.kinds.buffer, t.flags.buffer, t.sizes.buffer] };
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
  readMerged({ path, maxBytes }) {
    const bytes = needSession().readMerged(path, maxBytes ?? undefined);
    return { result: bytes, transfer: [bytes.buffer] };
  },
  exportTar({ layer }, id) {
    const summary = needSession().exportTar(layer ?? undefined, (chunk) => postMessage({ id, progress: chunk }, [chunk.buffer]));
    return { result: summary };
  },
  report() {
    return { result: needSession().report() };
  },
};

self.onmessage = async (event) => {
  const { id, op, args } = event.data;
  try {
    await ready;
    const fn = ops[op];
    if (!fn) throw new Error(`unknown operation ${op}`);
    const { result, transfer = [] } = fn(args || {}, id);
    postMessage({ id, ok: true, result }, transfer);
  } catch (e) {
    const trap = e instanceof WebAssembly.RuntimeError;
    postMessage({ id, ok: false, trap, error: plainError(e) });
  }
};
