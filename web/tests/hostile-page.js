// Page side of web/tests/hostile.mjs: runs one hostile-input case through
// web/worker.js the way web/app.js does — `open` in the main worker,
// `scanRange` per layer in scan workers then `addScan` (and, after a
// failure, `scan` in the main worker for the typed error), `report`,
// `analyze`, the layer and merged tables, `exportTar` — and collects what
// the test script checks. Exposes `window.runHostileCase(spec)`.

import { WorkerClient } from '../rpc.js';

/** Layers whose uncompressed bytes add up to more skip the flatten step (as natively). */
const FLATTEN_MAX_BYTES = 64 << 20;

/** Warnings a flattened tar must never produce when it is scanned again. */
const UNSAFE_WARNINGS = new Set(['unsafe-path', 'absolute-path', 'bad-link-target']);

/** Scan workers, like the page's pool on a two-core machine. */
const SCAN_WORKERS = 2;

const num = (v) => (typeof v === 'bigint' ? Number(v) : (v ?? 0));

const primary = new WorkerClient('hostile-main');
const helpers = Array.from({ length: SCAN_WORKERS }, (_, i) => new WorkerClient(`hostile-scan-${i + 1}`));

/** Why `path` is not a safe relative path, or null. */
function unsafe(path) {
  if (typeof path !== 'string') return 'is not a string';
  if (path.startsWith('/')) return 'is absolute';
  if (path.includes('\0')) return 'holds a NUL';
  if (path !== '' && path.split('/').some((c) => c === '' || c === '.' || c === '..')) return 'is not normalized (empty, . or .. component)';
  return null;
}

/** Collects what one case did. */
class Outcome {
  constructor(spec) {
    this.spec = spec;
    this.openError = null;
    this.layerErrors = [];
    this.warnings = new Set();
    this.problems = [];
    this.steps = [];
    this.layers = 0;
    this.entries = 0;
    /** Entry paths of the layers below the first failing one (what the native test compares). */
    this.paths = new Set();
    /** Set when the case ran over budget: its leftover steps must not touch the next case's workers. */
    this.cancelled = false;
  }

  alive() {
    if (this.cancelled) throw Object.assign(new Error('cancelled'), { name: 'AbortError' });
  }

  check(what, path) {
    const why = unsafe(path);
    if (why) this.problems.push(`${what} ${JSON.stringify(path)} ${why}`);
  }

  warn(list) {
    for (const w of list || []) this.warnings.add(w.code);
  }

  /** A worker error: a trap is a failure; anything else is returned. */
  caught(step, e) {
    if (e?.trap) this.problems.push(`trap in ${step}: ${e.name}: ${e.message}`);
    return { name: e?.name || 'Error', message: e?.message || String(e) };
  }

  async step(name, work) {
    this.alive();
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.steps.push(`${name} ${Math.round(performance.now() - started)}`);
    }
  }

  checkEntries(what, entries) {
    for (const e of entries) {
      this.check(`${what} entry`, e.path);
      if (e.kind === 'hardlink') this.check(`${what} hard link target of ${e.path}`, e.linkTarget ?? '');
      if (e.whiteout?.type === 'remove') this.check(`${what} whiteout target`, e.whiteout.target);
      if (e.whiteout?.type === 'opaque') this.check(`${what} opaque dir`, e.whiteout.dir);
    }
  }

  checkTable(what, table) {
    if (!table.count) return;
    for (const path of table.paths.split('\n')) this.check(what, path);
  }

  result() {
    const { spec } = this;
    return {
      openError: this.openError,
      layerErrors: this.layerErrors,
      warnings: [...this.warnings].sort(),
      present: Object.fromEntries((spec.present || []).map((p) => [p, this.paths.has(p)])),
      absent: Object.fromEntries((spec.absent || []).map((p) => [p, this.paths.has(p)])),
      problems: this.problems,
      steps: this.steps.join(', '),
      layers: this.layers,
      entries: this.entries,
      secrets: this.secrets ?? [],
    };
  }
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

// ------------------------------------------------------------ generated cases
// The cases tests/tests/hostile.rs builds as sparse files (`generate`),
// rebuilt here as Blobs whose holes are zeros: same members, same bytes.

/** A minimal ustar header (as `ustar` in hostile.rs). */
function ustar(name, size, type) {
  const h = new Uint8Array(512);
  const put = (offset, text) => h.set(encoder.encode(text), offset);
  const octal = (offset, width, value) => put(offset, `${value.toString(8).padStart(width - 1, '0')}\0`);
  put(0, name);
  octal(100, 8, 0o644);
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, size);
  octal(136, 12, 0);
  put(156, type);
  put(257, 'ustar\0');
  put(263, '00');
  put(148, '        ');
  const sum = h.reduce((a, b) => a + b, 0);
  put(148, `${sum.toString(8).padStart(6, '0')}\0 `);
  return h;
}

const padded = (n) => Math.ceil(n / 512) * 512;
/** 16 MiB of zeros as a Blob: Blobs built from Blob parts refer to them, so holes cost no memory. */
const ZEROS = new Blob([new Uint8Array(16 << 20)]);

/** `n` zero bytes as Blob parts (one shared Blob, referenced again and again). */
function zeros(n) {
  const parts = [];
  for (; n >= ZEROS.size; n -= ZEROS.size) parts.push(ZEROS);
  if (n > 0) parts.push(ZEROS.slice(0, n));
  return parts;
}

/** A tar of `[name, size, type, head bytes]` members whose data past `head` is zeros (as `sparse_tar`). */
function zeroFilledTar(members) {
  const parts = [];
  for (const [name, size, type, head] of members) {
    parts.push(ustar(name, size, type), head, ...zeros(padded(size) - head.length));
  }
  parts.push(...zeros(1024));
  return new Blob(parts, { type: 'application/x-tar' });
}

const SMALL_CONFIG = encoder.encode('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:0000000000000000000000000000000000000000000000000000000000000000"]}}');
const DOCKER_MANIFEST = encoder.encode('[{"Config":"config.json","RepoTags":["hostile:big"],"Layers":["l/layer.tar"]}]');
const concat = (...arrays) => {
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) { out.set(a, at); at += a.length; }
  return out;
};

/** `len` random letters and digits: fake secret values are made at run time, never committed. */
function fakeValue(len) {
  const alnum = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(crypto.getRandomValues(new Uint8Array(len)), (b) => alnum[b % alnum.length]).join('');
}

/** A one-layer docker-archive whose layer holds one file (`path`, `text`), with the layer's true diff_id. */
async function oneFileImage(path, text) {
  const data = encoder.encode(text);
  const layer = concat(ustar(path, data.length, '0'), data, new Uint8Array(padded(data.length) - data.length), new Uint8Array(1024));
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', layer));
  const hex = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
  const config = encoder.encode(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:${hex}"]}}`);
  const parts = [];
  for (const [name, bytes] of [['manifest.json', DOCKER_MANIFEST], ['config.json', config], ['l/layer.tar', layer]]) {
    parts.push(ustar(name, bytes.length, '0'), bytes, new Uint8Array(padded(bytes.length) - bytes.length));
  }
  parts.push(new Uint8Array(1024));
  return new Blob(parts, { type: 'application/x-tar' });
}

/** The generators of hostile.rs. */
const GENERATORS = {
  secret_split() {
    // The token starts at byte 500 of the file's data: across the 512-byte block.
    return oneFileImage('app/notes.txt', `${'#'.repeat(499)}\nglpat-${fakeValue(20)}\n`);
  },
  secret_flood() {
    const near = 'ghp_abc AKIA12 glpat-x xoxb- -----BEGIN PRIVATE aws_secret_access_key= "auth": "\n';
    return oneFileImage('app/flood.txt', `${near.repeat(60_000)}ghp_${fakeValue(36)}\n`);
  },
  pax_100mb() {
    const pax = 100_000_000;
    const layerHead = concat(ustar('PaxHeaders/big', pax, 'x'), encoder.encode('100000000 comment='));
    return zeroFilledTar([
      ['manifest.json', DOCKER_MANIFEST.length, '0', DOCKER_MANIFEST],
      ['config.json', SMALL_CONFIG.length, '0', SMALL_CONFIG],
      ['l/layer.tar', 512 + padded(pax) + 512 + 1024, '0', layerHead],
    ]);
  },
  outer_pax_100mb() {
    return zeroFilledTar([
      ['PaxHeaders/big', 100_000_000, 'x', encoder.encode('100000000 comment=')],
      ['manifest.json', DOCKER_MANIFEST.length, '0', DOCKER_MANIFEST],
    ]);
  },
  huge_manifest() {
    return zeroFilledTar([['manifest.json', 65 * 2 ** 20, '0', encoder.encode('[')]]);
  },
  layer_8gib() {
    // The largest size a 12-byte octal field holds, rounded.
    const size = 8 * 2 ** 30 - 1024;
    return zeroFilledTar([
      ['manifest.json', DOCKER_MANIFEST.length, '0', DOCKER_MANIFEST],
      ['config.json', SMALL_CONFIG.length, '0', SMALL_CONFIG],
      ['l/layer.tar', size, '0', ustar('zeros', size - 2048, '0')],
    ]);
  },
};

/** Scans every located layer on the scan workers; returns the scans by index (null where it failed). */
async function scanLayers(out, input, opened) {
  const { plans, plansJson, limitsJson } = opened;
  const scans = plans.map(() => null);
  const queue = plans.filter((p) => p.location).map((p) => p.index)
    .sort((a, b) => num(plans[b].location.size) - num(plans[a].location.size));
  const run = async (helper) => {
    while (queue.length) {
      out.alive();
      const index = queue.shift();
      try {
        const r = await helper.call('scanRange', { input, plan: plansJson[index], limits: limitsJson });
        scans[index] = JSON.parse(decoder.decode(r.scan));
        await primary.call('addScan', { bytes: r.scan }, { transfer: [r.scan.buffer] });
      } catch (e) {
        const range = out.caught(`scanRange of layer ${index}`, e);
        // As the page does: the main session scans it again to record the typed failure.
        out.alive();
        try {
          await primary.call('scan', { index });
          out.problems.push(`layer ${index}: scanRange failed (${range.name}: ${range.message}) but scan succeeded`);
        } catch (e2) {
          const error = out.caught(`scan of layer ${index}`, e2);
          if (error.name !== range.name) out.problems.push(`layer ${index}: scanRange failed with ${range.name}, scan with ${error.name}`);
          out.layerErrors[index] = { index, ...error };
        }
      }
    }
  };
  await Promise.all(helpers.slice(0, Math.max(1, Math.min(queue.length, helpers.length))).map(run));
  return scans;
}

/** Flattens the image through `exportTar`, then scans the tar again (in a scan worker) and checks its names. */
async function flattenAndRescan(out, opened) {
  const chunks = [];
  const summary = await primary.call('exportTar', {}, { onProgress: (chunk) => chunks.push(chunk) });
  const flat = new Blob(chunks, { type: 'application/x-tar' });
  if (num(summary.members) < 0) out.problems.push('export summary without members');
  const plan = JSON.stringify({
    index: 0,
    location: { type: 'archiveRange', member: 'flattened.tar', offset: 0, size: flat.size },
    digest: null, nameDigest: null, descriptorSize: null, mediaType: null, diffId: null,
  });
  // The flattened tar re-joins long names: lift the path limit, as natively.
  const limits = opened.limitsJson.replace(/"maxPathBytes":\d+/, '"maxPathBytes":1000000000000000');
  const r = await helpers[0].call('scanRange', { input: flat, plan, limits });
  const rescan = JSON.parse(decoder.decode(r.scan));
  out.checkEntries('flattened', rescan.entries);
  for (const w of rescan.warnings) {
    if (UNSAFE_WARNINGS.has(w.code)) out.problems.push(`flatten wrote an unsafe entry: ${w.code}: ${w.message}`);
  }
}

/** The case's bytes as a `File`, as a user would drop it. */
async function caseFile(spec) {
  if (spec.generator) {
    const make = GENERATORS[spec.generator];
    if (!make) throw new Error(`unknown generator ${spec.generator}`);
    return new File([await make()], `${spec.generator}.tar`, { type: 'application/x-tar' });
  }
  const response = await fetch(spec.url);
  if (!response.ok) throw new Error(`fetching ${spec.url}: HTTP ${response.status}`);
  return new File([await response.blob()], spec.url.split('/').pop(), { type: 'application/x-tar' });
}

async function runCase(spec, out) {
  const input = await out.step(spec.generator ? 'generate' : 'fetch', () => caseFile(spec));
  // Merged listings are capped at LISTING_MAX_BYTES of paths here (the
  // default is 256 MiB), so the deep-path cases exercise the limit error.
  const options = { limits: { maxListingPathBytes: LISTING_MAX_BYTES, ...(spec.limits || {}) } };
  let opened;
  try {
    opened = await out.step('open', () => primary.call('open', { input, options }));
  } catch (e) {
    out.openError = out.caught('open', e);
    return;
  }
  out.layers = opened.plans.length;
  out.warn(opened.warnings);
  for (const plan of opened.plans) {
    if (plan.location?.type === 'archiveRange') out.check('blob member', plan.location.member);
    if (plan.location?.type === 'layoutFile') out.check('blob file', plan.location.path);
  }
  const scans = await out.step('scan', () => scanLayers(out, input, opened));
  const firstError = out.layerErrors.find(Boolean);
  for (const scan of scans) {
    if (!scan) continue;
    out.entries += scan.entries.length;
    out.checkEntries(`layer ${scan.index}`, scan.entries);
    out.warn(scan.warnings);
    if (!firstError || scan.index < firstError.index) for (const e of scan.entries) out.paths.add(e.path);
  }
  const report = await out.step('report', () => primary.call('report'));
  out.warn(report.warnings);
  if (scans.some((s, i) => !s && !out.layerErrors[i])) return; // a missing blob: nothing to merge (as natively)
  if (firstError) return;
  if (spec.skipOverlay) {
    out.steps.push('overlay skipped');
    return;
  }
  // As tests/tests/hostile.rs: the merged table and changes name every
  // implied directory by its full path, so their size is quadratic in depth
  // by nature (640 MB per copy for overlay_deep_paths). Flatten no longer
  // builds them (the native test flattens these cases to a counting sink),
  // but this page's flatten step keeps the whole tar (one full path per
  // member, as large) and rescans it into such a listing, so above 64 MiB
  // of paths it is skipped here too.
  const listing = scans.reduce((sum, s) => sum + listingBytes(s.entries), 0);
  if (listing > LISTING_MAX_BYTES) {
    // listingBytes is an upper bound: the analysis either fits the cap or
    // is refused with a LimitError naming the flag, before anything is built.
    const refused = await out.step('analyze (capped)', () => primary.call('analyze').then(() => null, (e) => e));
    if (refused && refused.name !== 'LimitError') throw new Error(`analyze failed with ${refused.name}: ${refused.message}`);
    out.steps.push(refused ? 'listing refused: LimitError' : 'listing within the cap');
    return;
  }
  const analysis = await out.step('analyze', () => primary.call('analyze'));
  out.warn(analysis.warnings);
  // Content secret findings as `kind@path:line`, as hostile.rs lists them.
  out.secrets = analysis.advice.filter((a) => a.secretKind)
    .map((a) => `${a.secretKind}@${a.evidence[0]?.path}:${num(a.evidence[0]?.line)}`);
  await out.step('tables', async () => {
    out.checkTable('merged path', await primary.call('mergedTable'));
    for (let index = 0; index < opened.plans.length; index++) {
      out.checkTable(`layer ${index} path`, await primary.call('table', { index }));
    }
  });
  const total = scans.reduce((sum, s) => sum + num(s.uncompressedSize), 0);
  if (total < FLATTEN_MAX_BYTES) await out.step('flatten', () => flattenAndRescan(out, opened));
  else out.steps.push('flatten skipped (≥ 64 MiB)');
}

/** Paths above this many bytes in a merged listing skip the overlay steps. */
const LISTING_MAX_BYTES = 64 * 2 ** 20;

/** An upper bound on a merged listing's path bytes: each entry with every parent, by full path. */
function listingBytes(entries) {
  let total = 0;
  for (const e of entries) {
    total += e.path.length;
    for (let i = e.path.indexOf('/'); i >= 0; i = e.path.indexOf('/', i + 1)) total += i;
  }
  return total;
}

/**
 * Runs one case: `spec` is `{url | generator, limits?, skipOverlay?, present?, absent?,
 * budgetMs}`. Resolves to what happened; a case over budget has its
 * workers replaced (what the page's Cancel does) and `timedOut` set.
 */
window.runHostileCase = async (spec) => {
  const out = new Outcome(spec);
  let timer;
  const overtime = new Promise((resolve) => { timer = setTimeout(() => resolve('timeout'), spec.budgetMs); });
  const done = runCase(spec, out).then(() => 'done', (e) => {
    out.problems.push(`unexpected failure: ${e?.name}: ${e?.message}`);
    return 'done';
  });
  const how = await Promise.race([done, overtime]);
  clearTimeout(timer);
  if (how === 'timeout') {
    out.cancelled = true;
    primary.restart('over budget');
    for (const h of helpers) h.restart('over budget');
    out.problems.push(`over the ${spec.budgetMs} ms budget (${out.steps.join(', ')})`);
  }
  return { ...out.result(), timedOut: how === 'timeout' };
};

/** The `generator` names of expected.json this page can build. */
window.hostileGenerators = () => Object.keys(GENERATORS);

/** Resolves once every worker has loaded the wasm (an unknown op answers after `init`). */
window.hostileReady = () => Promise.all([primary, ...helpers].map((c) => c.call('ping').catch((e) => {
  if (e.trap || e.name === 'WorkerError') throw new Error(`${c.name}: ${e.message}`);
})));
