// The page's workers: one main worker holding the Session, and a pool of
// scan workers (one per core, at most four) that start with the page so a
// dropped image is verified at once.
import { WorkerClient, compileWasm } from '../rpc.js';

const MAX_HELPERS = 4;

// The WebAssembly module is compiled once, while the page loads, and shared
// with every worker.
const wasmModule = compileWasm();

/** The main worker (slot `a` is the open image, slot `b` the compared one). */
export const primary = new WorkerClient('layerscope-main', wasmModule);

let shareClient = null;

/** The worker of the multi-image view (core `share`), started on first use. */
export function shareWorker() {
  shareClient ??= new WorkerClient('layerscope-share', wasmModule);
  return shareClient;
}

/** The scan workers. */
export const helpers = [];

/** How many scan workers: one per core (the main worker only merges while layers are scanned), at most four. */
export function poolSize() {
  const cores = navigator.hardwareConcurrency || 2;
  return Math.max(1, Math.min(MAX_HELPERS, cores));
}

/** Makes sure `n` scan workers exist. */
export function ensureHelpers(n) {
  while (helpers.length < n) helpers.push(new WorkerClient(`layerscope-scan-${helpers.length + 1}`, wasmModule));
}

/** Stops whatever the workers are doing (busy ones are replaced by fresh ones). */
export function stopWorkers() {
  for (const hlp of helpers) if (hlp.busy) hlp.restart('cancelled');
  if (primary.busy) primary.restart('cancelled');
}

ensureHelpers(poolSize());
