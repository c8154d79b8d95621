// Page side of web/tests/agree.mjs: runs one image (or a pair, for the
// image diff) through web/worker.js with the page's own protocol — `open`
// in the main worker, `scanRange` per layer in scan workers then `addScan`
// (after a failure, `scan` in the main worker for the typed error),
// `analyze`, the layer tables and the merged table, `packages` (final and
// per layer) and `sbom`, `diff` — and returns
// what the test compares with the CLI's `--json`, as plain data.

import { WorkerClient } from '../rpc.js';

/** Scan workers, like the page's pool on a two-core machine. */
const SCAN_WORKERS = 2;

const num = (v) => (typeof v === 'bigint' ? Number(v) : (v ?? 0));
const decoder = new TextDecoder();

const primary = new WorkerClient('agree-main');
const helpers = Array.from({ length: SCAN_WORKERS }, (_, i) => new WorkerClient(`agree-scan-${i + 1}`));

const plainError = (e) => ({ name: e?.name || 'Error', message: e?.message || String(e), trap: !!e?.trap });

/** The image as the page gets it: a `File`, or a `Map` of layout-relative path → `File`. */
async function input(spec) {
  const fetchFile = async (url, name) => {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`fetching ${url}: HTTP ${response.status}`);
    return new File([await response.blob()], name);
  };
  // An image the test wrote itself (packages-image.mjs) comes as base64.
  if (spec.bytes) return new File([Uint8Array.from(atob(spec.bytes), (c) => c.charCodeAt(0))], spec.name || 'image.tar');
  if (!spec.files) return fetchFile(spec.url, spec.url.split('/').pop());
  const map = new Map();
  for (const rel of spec.files) map.set(rel, await fetchFile(spec.url + rel.split('/').map(encodeURIComponent).join('/'), rel.split('/').pop()));
  return map;
}

/**
 * Opens and scans `spec` in slot `slot` as the page does. Resolves to
 * `{opened}` or `{error}` (the first failure: open, or a layer's scan).
 */
async function load(spec, slot) {
  const file = await input(spec);
  const options = spec.image == null ? {} : { image: String(spec.image) };
  let opened;
  try {
    opened = await primary.call('open', { input: file, options, slot });
  } catch (e) {
    return { error: plainError(e) };
  }
  const { plans, plansJson, limitsJson } = opened;
  const queue = plans.map((p) => p.index);
  let error = null;
  const run = async (helper) => {
    while (queue.length) {
      const index = queue.shift();
      try {
        if (!plans[index].location) throw Object.assign(new Error('no location'), { name: 'Skip' });
        const r = await helper.call('scanRange', { input: file, plan: plansJson[index], limits: limitsJson });
        await primary.call('addScan', { bytes: r.scan, slot }, { transfer: [r.scan.buffer] });
      } catch {
        // As the page does: the main session scans it to record the typed failure.
        try {
          await primary.call('scanIn', { index, slot });
        } catch (e) {
          if (!error || index < error.layer) error = { ...plainError(e), layer: index };
        }
      }
    }
  };
  await Promise.all(helpers.map(run));
  return error ? { opened, error } : { opened };
}

/** A column table as plain arrays (typed arrays and BigInts do not cross to node). */
function columns(t) {
  const out = {
    paths: t.count ? t.paths.split('\n') : [],
    kinds: Array.from(t.kinds),
    flags: Array.from(t.flags),
    sizes: Array.from(t.sizes, num),
  };
  if (t.layers) out.layers = Array.from(t.layers);
  if (t.changes) out.changes = Array.from(t.changes, (c) => t.changeNames[c] ?? null);
  return out;
}

/** Numbers as plain numbers, recursively (BigInts for sizes above 2^53 would not cross). */
function plain(value) {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

/**
 * One image: `spec` is `{url, files?, image?}`. Resolves to `{error, verdicts}` or
 * `{layers: [table…], verdicts, merged, analysis}` where `analysis` is what
 * `analyze` returns.
 */
window.agreeImage = async (spec) => {
  const { opened, error } = await load(spec, 'a');
  // Each layer's verdict word (the badge's), failed images included.
  const verdicts = [];
  for (let index = 0; opened && index < opened.plans.length; index++) {
    verdicts.push((await primary.call('layerView', { index })).layer?.verdict ?? null);
  }
  if (error) return { error, verdicts, layerCount: opened ? opened.plans.length : null };
  let analysis;
  try {
    analysis = await primary.call('analyze', { slot: 'a' });
  } catch (e) {
    return { error: plainError(e), layerCount: opened.plans.length };
  }
  const layers = [];
  for (let index = 0; index < opened.plans.length; index++) {
    layers.push(columns(await primary.call('table', { index })));
  }
  return { layers, verdicts, merged: columns(await primary.call('mergedTable')), analysis: plain(analysis), packages: await packages(opened.plans.length) };
};

/**
 * The package views the page shows: the final image's report, each
 * layer's (`packages` with `layer`), and both SBOM documents as text —
 * or `{error}`.
 */
async function packages(count) {
  const started = performance.now();
  try {
    const final = plain(await primary.call('packages', { layer: null }));
    const layers = [];
    for (let layer = 0; layer < count; layer++) layers.push(plain(await primary.call('packages', { layer })));
    const sbom = {};
    for (const format of ['cyclonedx', 'spdx']) sbom[format] = await primary.call('sbom', { format });
    return { final, layers, sbom, ms: performance.now() - started };
  } catch (e) {
    return { error: plainError(e) };
  }
}

/** Image A against image B (`diff` of slot a with slot b), or `{error}`. */
window.agreeDiff = async (a, b) => {
  for (const [spec, slot] of [[a, 'a'], [b, 'b']]) {
    const { error } = await load(spec, slot);
    if (error) return { error };
    await primary.call('analyze', { slot });
  }
  try {
    return { diff: plain(await primary.call('diff', { withMtime: false })) };
  } catch (e) {
    return { error: plainError(e) };
  } finally {
    primary.call('closeSlot', { slot: 'b' }).catch(() => {});
  }
};

/** Resolves once every worker has loaded the wasm (an unknown op answers after `init`). */
window.agreeReady = () => Promise.all([primary, ...helpers].map((c) => c.call('ping').catch((e) => {
  if (e.trap || e.name === 'WorkerError') throw new Error(`${c.name}: ${e.message}`);
})));
