// The client side of web/worker.js's message protocol, shared by the page
// (app.js) and the browser tests (hostile, agreement): one `WorkerClient`
// per worker, promises for `{id, op, args}` calls, progress callbacks, and
// a trap (a `WebAssembly.RuntimeError` in the worker) turned into a
// restarted worker and a rejected call flagged `trap: true`.

/**
 * Compiles the core's WebAssembly module once, for every worker (a compiled
 * `Module` is cloned to workers without recompiling). Resolves to null when
 * that fails: each worker then fetches and compiles it itself.
 */
export function compileWasm() {
  return WebAssembly.compileStreaming(fetch(new URL('./pkg/layerscope_wasm_bg.wasm', import.meta.url)))
    .catch(() => null);
}

/** One module worker running worker.js. */
export class WorkerClient {
  /**
   * `name` names the worker (devtools, messages); `module` is a promise of
   * the compiled module from `compileWasm()` (or of null: the worker then
   * loads it itself).
   */
  constructor(name, module = Promise.resolve(null)) {
    this.name = name;
    this.module = module;
    /** Called with the error after a trap restarted the worker. */
    this.onCrash = null;
    /** Milliseconds the worker spent on the last call it answered. */
    this.lastMs = 0;
    this.spawn();
  }

  spawn() {
    this.pending = new Map();
    this.next = 1;
    this.worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: this.name });
    // The module goes first; operations are posted after it.
    const worker = this.worker;
    this.ready = this.module.then((module) => worker.postMessage({ init: module }));
    this.worker.onmessage = (event) => {
      const m = event.data;
      const p = this.pending.get(m.id);
      if (!p) return;
      if ('progress' in m) { p.onProgress?.(m.progress, m); return; }
      this.pending.delete(m.id);
      this.lastMs = m.ms;
      if (m.ok) { p.resolve(m.result); return; }
      const err = Object.assign(new Error(m.error.message), { name: m.error.name, details: m.error.details, trap: m.trap });
      if (m.trap) {
        err.message = `The inspector crashed (${m.error.message}). This is a bug in layerscope; the worker was restarted.`;
        this.restart('worker restarted after a crash');
        this.onCrash?.(err);
      }
      p.reject(err);
    };
    this.worker.onerror = (event) => {
      event.preventDefault();
      const err = Object.assign(new Error(`The ${this.name} worker failed: ${event.message || 'could not load the WebAssembly module'}`), { name: 'WorkerError', trap: true });
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
  }

  /** Runs `op` in the worker; `onProgress` gets its progress messages. */
  call(op, args = {}, { transfer = [], onProgress } = {}) {
    return new Promise((resolve, reject) => {
      const id = this.next++;
      this.pending.set(id, { resolve, reject, onProgress });
      const worker = this.worker;
      this.ready.then(() => worker.postMessage({ id, op, args }, transfer));
    });
  }

  /** Whether a call is outstanding. */
  get busy() { return this.pending.size > 0; }

  /** Stops the worker; outstanding calls reject with an `AbortError`. */
  terminate(reason = 'cancelled') {
    this.worker.terminate();
    const err = Object.assign(new Error(reason), { name: 'AbortError' });
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  /** Replaces the worker with a fresh one (after a trap or a cancel). */
  restart(reason) {
    this.terminate(reason);
    this.spawn();
  }
}
