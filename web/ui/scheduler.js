// The verification scheduler: every layer of the open image is verified on
// the scan workers, one job per layer, largest first. A compressed layer
// that would be the critical path is two jobs that run at the same time on
// two workers — hash the stored bytes (`hashBlob`: `crypto.subtle` when
// small, else wasm) and decompress + hash the uncompressed stream + index
// the tar (`scanRange` without the stored hash) — joined by the main
// session's `addScan`. A failed job falls back to the main worker scanning
// the layer, which records the typed failure.
import { num } from './format.js';
import { state, on } from './state.js';
import { primary, helpers, poolSize, ensureHelpers } from './workers.js';

/**
 * Knobs the benchmark flips to compare strategies (window.layerscope.tuning):
 * `splitCompressed` allows the stored-hash split; 'always' forces it.
 */
export const tuning = { splitCompressed: true };

/** The jobs of the running verification not yet started (shared with `prioritize`). */
let queue = [];

/**
 * Moves layer `index`'s jobs to the front of the queue: the layer the user
 * selected is verified (and its tree shown) next.
 */
export function prioritize(index) {
  if (typeof index !== 'number') return;
  const mine = queue.filter((j) => j.index === index);
  if (!mine.length) return;
  const rest = queue.filter((j) => j.index !== index);
  queue.splice(0, queue.length, ...mine, ...rest);
}

on('select-layer', prioritize);

/** Relative CPU cost per stored byte (wasm: SHA-256 ≈ 230 MB/s, inflate ≈ 215 MB/s, ≈ 2× expansion). */
const COST = { hash: 1, scanCompressed: 4, scanPlain: 1 };

/**
 * Whether hashing a layer's stored bytes is a job of its own (the core
 * decides from the blob's first bytes: compressed, or another algorithm
 * than the diff_id's); this only decides how to split the work.
 */
async function separateStoredHash(input, plan, planJson) {
  try {
    const head = await primary.call('blobHead', { input, plan, planJson });
    return !!head?.separateStoredHash;
  } catch {
    return false;
  }
}

/**
 * Verifies every layer that has a blob. `stale()` says when the work is no
 * longer wanted (another image, a cancel). `started()` runs once the jobs
 * are planned (`state.progress` filled); `progress(index)` while a layer is
 * read; `view(layerView)` with each layer's result from the main session;
 * `settled(index)` after each layer, whatever happened; `failed(error)`
 * for an error that is not the layer's own. Resolves when every job ended.
 */
export async function verifyLayers({ stale, started, progress, view, settled, failed }) {
  const { plans, plansJson, limitsJson } = state.opened;
  const input = state.input;
  const indexes = plans.filter((p) => p.location).map((p) => p.index);
  if (!indexes.length) return;
  const compressed = await Promise.all(indexes.map((i) => separateStoredHash(input, plans[i], plansJson[i])));
  if (stale()) return;
  const jobs = [];
  const layers = new Map();
  // Splitting a layer reads its stored bytes twice, so it costs CPU; it pays
  // only when that layer alone would outlast an even share of the work (one
  // big layer, or fewer layers than workers). With many layers, whole-layer
  // jobs already keep every worker busy.
  const whole = (k) => num(plans[indexes[k]].location.size) * (compressed[k] ? COST.scanCompressed + COST.hash : COST.scanPlain);
  const share = indexes.reduce((sum, _, k) => sum + whole(k), 0) / Math.min(indexes.length, poolSize());
  indexes.forEach((index, k) => {
    const total = num(plans[index].location.size);
    const split = compressed[k] && (tuning.splitCompressed === 'always' || (tuning.splitCompressed && whole(k) > share));
    const prog = state.progress[index] = { done: 0, total, start: performance.now(), running: true, parts: split ? { scan: 0, hash: 0 } : null };
    layers.set(index, { prog, pending: split ? 2 : 1, scan: null, digest: null, failed: false });
    jobs.push({ kind: 'scan', index, split, cost: total * (split ? COST.scanCompressed : COST.scanPlain) });
    if (split) jobs.push({ kind: 'hash', index, cost: total * COST.hash });
  });
  jobs.sort((a, b) => b.cost - a.cost);
  queue = jobs;
  // A layer selected before verification started goes first.
  prioritize(state.selectedLayer);
  const n = Math.min(jobs.length, poolSize());
  // Worker-side time per kind of job, for the benchmark and the console.
  const stats = state.scanStats = { workers: n, scanMs: 0, hashMs: 0, subtleHashes: 0, jobs: jobs.length, first: performance.now(), last: 0 };
  ensureHelpers(n);
  started();

  const progressed = (index, part, done, unpacked) => {
    const { prog } = layers.get(index);
    // Uncompressed bytes produced so far: a gzip bomb reads little stored data while it inflates.
    if (unpacked != null) prog.unpacked = num(unpacked);
    if (prog.parts) {
      prog.parts[part] = num(done);
      prog.done = (prog.parts.scan + prog.parts.hash) / 2;
    } else prog.done = num(done);
    progress(index);
  };
  const settle = async (index) => {
    const layer = layers.get(index);
    const { prog } = layer;
    prog.done = prog.total;
    prog.end = performance.now();
    prog.running = false;
    try {
      if (layer.failed) {
        // Let the main session scan it again so the core records the typed failure.
        try {
          view(await primary.call('scan', { index }));
        } catch (e2) {
          if (stale() || e2.name === 'AbortError') return;
          try {
            const v = await primary.call('layerView', { index });
            v.error = e2;
            view(v);
          } catch { /* session gone: the banner says why */ }
          if (e2.trap) failed(e2);
        }
        return;
      }
      const v = await primary.call('addScan', { bytes: layer.scan, storedDigest: layer.digest }, { transfer: [layer.scan.buffer] });
      if (!stale()) view(v);
    } catch (e) {
      if (!stale() && e.name !== 'AbortError') failed(e);
    } finally {
      settled(index);
    }
  };
  const run = async (helper) => {
    while (jobs.length && !stale()) {
      const job = jobs.shift();
      const layer = layers.get(job.index);
      if (layer.failed) { if (--layer.pending === 0) await settle(job.index); continue; }
      try {
        if (job.kind === 'hash') {
          const r = await helper.call('hashBlob', { input, plan: plans[job.index], planJson: plansJson[job.index] }, {
            onProgress: (done) => progressed(job.index, 'hash', done),
          });
          layer.digest = r.digest;
          stats.hashMs += helper.lastMs || 0;
          if (r.subtle) stats.subtleHashes++;
        } else {
          const r = await helper.call('scanRange', { input, plan: plansJson[job.index], limits: limitsJson, hashStored: !job.split }, {
            onProgress: (done, m) => progressed(job.index, 'scan', done, m?.unpacked),
          });
          layer.scan = r.scan;
          stats.scanMs += helper.lastMs || 0;
        }
        stats.last = performance.now();
      } catch (e) {
        if (stale() || e.name === 'AbortError') return;
        layer.failed = true;
      }
      if (stale()) return;
      if (--layer.pending === 0) await settle(job.index);
    }
  };
  await Promise.all(helpers.slice(0, n).map(run));
}

/**
 * Verifies every layer of the image open in slot `b` (the comparison) on
 * the scan workers; `progress(done, total)` after each layer.
 */
export async function verifyCompared(opened, input, { stale, progress }) {
  const { plans, plansJson, limitsJson } = opened;
  const queue = plans.filter((p) => p.location).map((p) => p.index);
  let done = 0;
  const n = Math.min(queue.length, poolSize());
  ensureHelpers(n);
  const run = async (helper) => {
    while (queue.length && !stale()) {
      const index = queue.shift();
      const r = await helper.call('scanRange', { input, plan: plansJson[index], limits: limitsJson });
      if (stale()) return;
      await primary.call('addScan', { bytes: r.scan, slot: 'b' }, { transfer: [r.scan.buffer] });
      progress(++done, plans.length);
    }
  };
  await Promise.all(helpers.slice(0, n).map(run));
}
