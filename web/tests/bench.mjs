// Browser benchmark of the layerscope page: headless Chromium (playwright-core)
// does what a user does — sets the file on the page's file input — and the
// page's own DOM tells when the layers are listed and when verification is
// done. Measures (median of --runs, default 3):
//
//   1. open → layer list + history in the DOM (and painted), per image;
//   2. full verification of bench-data/big-oci-gzip.tar in the page vs the
//      native CLI (`target/release/layerscope verify`), same run, interleaved;
//   3. peak wasm linear memory per worker while opening and verifying
//      bench-data/big-docker.tar (and the OCI image);
//   4. size of web/pkg/layerscope_wasm_bg.wasm;
//   6. a generated image of 125 small layers (40 files each, ≈ 9 MB, the most
//      a Docker image stacks): open → listed (≤ 300 ms) and verify (≤ 1 s,
//      i.e. ≤ 5 ms of overhead per layer) against the native CLI, and the
//      renderer process's memory (VmHWM and RssAnon from /proc, the whole
//      tab, not only the wasm heaps) after each verification run;
//   5. the Sizes panel on a generated 100,000-entry layer: opening the
//      panel (first treemap), a redraw, drilling into a folder (target
//      < 100 ms each; the page's own `window.layerscope.treemap`);
//   7. `tree`: drop → first rows of the largest layer's tree, that layer
//      selected as soon as the layers are listed (target ≤ 1 s), for both
//      bench images;
//   8. `bigmem` (not in the default set): a 10.7 GB docker-archive
//      (generated on demand as bench-data/big10g-docker.tar, 5 layers of
//      2,040 files of 1 MiB) verified in the page; the renderer process's
//      VmHWM / RssAnon (target ≤ 512 MB) and the page's time against its
//      floor (worker CPU time ÷ scan workers) and the CLI.
//   The `memory` runs (big-docker.tar) also report the page's time against
//   its floor (target ≤ 1.25×).
//
//   node web/tests/bench.mjs [--runs N] [--only open,verify,memory,treemap,layers,tree,bigmem] [--json FILE] [--split on|off|always|both]
//   LAYERSCOPE_URL=http://127.0.0.1:8080/ node web/tests/bench.mjs   (use a running `cargo xtask serve`)
//
// Needs web/pkg (`cargo xtask wasm`), bench-data/ (`cargo xtask gen`) and
// target/release/layerscope (`cargo build --release -p layerscope-cli`).
//
// Memory: wasm linear memory only grows, so its size at the end of a run is
// the run's peak. Each run gets a fresh page (fresh workers); the page first
// opens the small fixture so the verification worker exists, then the bench
// reads `memory.buffer.byteLength` in every worker through the worker's own
// wasm-bindgen module (`init()` returns the already-instantiated exports),
// sampling every 250 ms during the run and once at the end. No app change.
import { existsSync, statSync, readFileSync, writeFileSync, writeSync, openSync, readSync, closeSync, readdirSync, renameSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus, tmpdir } from 'node:os';
import { createHash, randomBytes } from 'node:crypto';
import { baseUrl, launch, serve } from './harness.mjs';
import { tarHeader } from './tar.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const webRoot = resolve(here, '..');
const repo = resolve(webRoot, '..');
const SMALL = resolve(repo, '../shared/fixtures/dive/test-docker-image.tar');
const OCI = join(repo, 'bench-data/big-oci-gzip.tar');
const DOCKER = join(repo, 'bench-data/big-docker.tar');
const BIG10G = join(repo, 'bench-data/big10g-docker.tar');
const CLI = process.env.LAYERSCOPE_CLI || join(repo, 'target/release/layerscope');
const WASM = join(webRoot, 'pkg/layerscope_wasm_bg.wasm');
const LONG = 30 * 60_000;
// Uncompressed layer bytes of the bench images (docs/benchmarks.md reports MB/s over these).
const LAYER_BYTES = (() => {
  try { return JSON.parse(readFileSync(join(repo, 'bench-data/meta.json'), 'utf8')).layerBytes; } catch { return null; }
})();

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : dflt;
};
const RUNS = Math.max(1, Number(opt('--runs', '3')));
const ONLY = new Set(opt('--only', 'open,verify,memory,treemap,layers,tree').split(','));
const JSON_OUT = opt('--json', null);
// Compressed layers: stored-blob hash split off when it pays (on, the page's default), never (off),
// always, or both (default vs always, interleaved).
const SPLIT = opt('--split', 'on');

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const MB = 1e6;
const MiB = 1024 * 1024;
const fmt = (x, d = 0) => (x == null || Number.isNaN(x) ? '—' : x.toFixed(d));
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const log = (...a) => console.error('[bench]', ...a);

/** Reads a file once so every run starts from the page cache. */
function warmCache(path) {
  const fd = openSync(path, 'r');
  const buf = Buffer.allocUnsafe(8 * MiB);
  while (readSync(fd, buf, 0, buf.length, null) > 0);
  closeSync(fd);
}

let browser;
let base;

async function freshPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  await page.goto(base);
  await page.waitForSelector('#dropzone');
  return { context, page, errors };
}

/**
 * Installs timers in the page: t0 at the file input's change event (capture
 * on window, before the app's handler), `listed` when #image is shown with
 * its layer rows (MutationObserver), `painted` after the next frame,
 * `verified` when #overall-badge appears with no layer badge pending,
 * `analyzed` when the merged-image analysis is rendered.
 */
async function instrument(page) {
  await page.evaluate(() => {
    const b = window.__bench = { t0: null, listed: null, painted: null, verified: null, analyzed: null, badge: null, layersFinal: null, layers: 0, rows: 0, history: 0 };
    window.addEventListener('change', (e) => {
      if (e.target?.id === 'file-input') Object.assign(b, { t0: performance.now(), listed: null, painted: null, verified: null, analyzed: null, badge: null, layersFinal: null });
    }, { capture: true });
    const check = () => {
      if (b.t0 == null) return;
      const now = performance.now();
      const image = document.querySelector('#image');
      if (b.listed == null && image && !image.hidden) {
        const rows = document.querySelectorAll('#layers [role=option][data-layer]:not([data-layer="merged"])').length;
        const want = window.layerscope?.state?.opened?.layers.length;
        if (rows && want && rows >= want) {
          b.listed = now;
          b.layers = want;
          b.rows = rows;
          b.history = window.layerscope.state.opened.history.length;
          requestAnimationFrame(() => setTimeout(() => { b.painted = performance.now(); }, 0));
        }
      }
      if (b.listed != null && b.badge == null && document.querySelector('#overall-badge')) b.badge = now;
      if (b.listed != null && b.layersFinal == null
        && !document.querySelector('#layers [data-layer] .badge.pending, #layers [data-layer] .progress')) b.layersFinal = now;
      if (b.badge != null && b.layersFinal != null && b.verified == null) {
        b.verified = now;
        b.verdict = document.querySelector('#overall-badge').textContent.trim();
      }
      if (b.verified != null && b.analyzed == null && window.layerscope?.state?.analysis) b.analyzed = now;
    };
    new MutationObserver(check).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  });
}

async function waitFor(page, key, timeout) {
  await page.waitForFunction((k) => window.__bench[k] != null, key, { timeout, polling: 50 });
  return page.evaluate(() => ({ ...window.__bench }));
}

async function openImage(page, path) {
  if (await page.locator('#close-image').isVisible()) await page.click('#close-image');
  await page.setInputFiles('#file-input', path);
}

// ------------------------------------------------------------ wasm memory

/** Makes every current worker keep a handle on its wasm memory. */
async function hookWorkers(page) {
  if (!page.workers().length) await page.waitForEvent('worker');
  for (const w of page.workers()) {
    await w.evaluate(async () => {
      if (self.__lsMem) return;
      await self.layerscopeReady; // the page's module, instantiated
      const mod = await import(new URL('./pkg/layerscope_wasm.js', self.location.href).href);
      self.__lsMem = (await mod.default()).memory;
    });
  }
}

async function readMemory(page, timeoutMs = 2000) {
  const out = {};
  await Promise.all(page.workers().map(async (w) => {
    const r = await Promise.race([
      w.evaluate(() => ({ name: self.name, bytes: self.__lsMem ? self.__lsMem.buffer.byteLength : null })).catch(() => null),
      new Promise((ok) => setTimeout(() => ok(null), timeoutMs)),
    ]);
    if (r && r.bytes != null) out[r.name] = r.bytes;
  }));
  return out;
}

/** Samples worker memory until `done()`; returns max per worker and how many samples answered. */
function sampleMemory(page) {
  const peak = {};
  let samples = 0;
  let stop = false;
  const loop = (async () => {
    while (!stop) {
      const m = await readMemory(page, 1000);
      if (Object.keys(m).length) samples++;
      for (const [k, v] of Object.entries(m)) peak[k] = Math.max(peak[k] || 0, v);
      await new Promise((ok) => setTimeout(ok, 250));
    }
  })();
  return async () => { stop = true; await loop; return { peak, samples }; };
}

/** The processes below `root` (from /proc: every pid's parent). */
function descendants(root) {
  const kids = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!kids.has(ppid)) kids.set(ppid, []);
      kids.get(ppid).push(Number(d));
    } catch { /* gone */ }
  }
  const out = [];
  const stack = [root];
  while (stack.length) for (const c of kids.get(stack.pop()) || []) { out.push(c); stack.push(c); }
  return out;
}

/**
 * The renderer process with the highest memory high-water mark among this
 * bench's Chromium (the open tab's, as each run has a fresh page): VmHWM
 * and RssAnon in bytes, from /proc/PID/status.
 */
function rendererMemory() {
  let best = null;
  for (const pid of descendants(process.pid)) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type=renderer')) continue;
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const kb = (key) => Number((status.match(new RegExp(`^${key}:\\s+(\\d+)`, 'm')) || [])[1] || 0) * 1024;
      const m = { pid, vmHWM: kb('VmHWM'), rssAnon: kb('RssAnon') };
      if (!best || m.vmHWM > best.vmHWM) best = m;
    } catch { /* gone */ }
  }
  return best;
}

/** A docker-archive of `layers` plain layers of `files` files of `bytes` bytes each (distinct data). */
function manyLayersImage(layers, files, bytes) {
  const outer = [];
  const diffIds = [];
  const names = [];
  for (let l = 0; l < layers; l++) {
    const parts = [];
    parts.push(tarHeader(`l${l}/`, 0, '5'));
    for (let f = 0; f < files; f++) {
      const data = Buffer.alloc(Math.ceil(bytes / 512) * 512);
      createHash('sha512').update(`${l}/${f}`).digest().copy(data);
      parts.push(tarHeader(`l${l}/f${f}`, bytes), data);
    }
    parts.push(Buffer.alloc(1024));
    const tar = Buffer.concat(parts);
    diffIds.push(`sha256:${createHash('sha256').update(tar).digest('hex')}`);
    names.push(`${l}/layer.tar`);
    outer.push({ name: names[l], data: tar });
  }
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: diffIds },
    history: names.map((_, l) => ({ created_by: `RUN step ${l}` })) }));
  const manifest = Buffer.from(JSON.stringify([{ Config: 'config.json', RepoTags: ['layers:125'], Layers: names }]));
  const parts = [];
  for (const m of [{ name: 'manifest.json', data: manifest }, { name: 'config.json', data: config }, ...outer]) {
    parts.push(tarHeader(m.name, m.data.length), m.data);
    if (m.data.length % 512) parts.push(Buffer.alloc(512 - (m.data.length % 512)));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** One verification run in a fresh page: warm-up on the small fixture, then `path`. */
async function verifyRun(path, split = true) {
  const { context, page, errors } = await freshPage();
  try {
    await instrument(page);
    await page.evaluate((on) => { window.layerscope.tuning.splitCompressed = on; }, split);
    await openImage(page, SMALL);
    await waitFor(page, 'analyzed', 120_000);
    await hookWorkers(page);
    const before = await readMemory(page);
    const stopSampling = sampleMemory(page);
    await openImage(page, path);
    const listed = await waitFor(page, 'listed', LONG);
    const verified = await waitFor(page, 'verified', LONG);
    const analyzed = await waitFor(page, 'analyzed', LONG);
    const { peak, samples } = await stopSampling();
    const end = await readMemory(page, 10_000);
    const renderer = rendererMemory();
    for (const [k, v] of Object.entries(end)) peak[k] = Math.max(peak[k] || 0, v);
    const b = analyzed;
    const scan = await page.evaluate(() => {
      const s = window.layerscope.state.scanStats;
      return { sum: s.scanMs + s.hashMs, scanMs: s.scanMs, hashMs: s.hashMs, subtleHashes: s.subtleHashes, jobs: s.jobs, first: s.first, last: s.last,
        helpers: s.workers, cores: navigator.hardwareConcurrency };
    });
    return {
      badgeMs: b.badge - b.t0,
      layersFinalMs: b.layersFinal - b.t0,
      scanSumMs: scan.sum,
      scanJobsMs: scan.scanMs,
      hashJobsMs: scan.hashMs,
      subtleHashes: scan.subtleHashes,
      jobs: scan.jobs,
      scanSpanMs: scan.last - scan.first,
      afterLastScanMs: b.verified - (scan.last),
      helpers: scan.helpers,
      listedMs: listed.listed - b.t0,
      verifyMs: verified.verified - b.t0,
      analyzeMs: b.analyzed - b.t0,
      verdict: verified.verdict,
      layers: b.layers,
      workers: Object.keys(peak).length,
      memBefore: before,
      memPeak: peak,
      renderer,
      samples,
      errors,
    };
  } finally {
    await context.close();
  }
}

/** The page's floor for a run: its scan workers' busy time (scan + stored-hash jobs) ÷ the number of scan workers. */
const floorMs = (r) => r.scanSumMs / Math.max(1, r.helpers);

function nativeVerify(path) {
  const t = process.hrtime.bigint();
  const r = spawnSync(CLI, ['verify', path], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`native verify exited ${r.status}: ${r.stderr}`);
  return ms;
}

// ------------------------------------------------------------ treemap


/** A tar of members {name, size, type}; file data is zeros. */
function zeroTar(members) {
  const parts = [];
  for (const m of members) {
    parts.push(tarHeader(m.name, m.size || 0, m.type || '0'));
    if (m.size) parts.push(Buffer.alloc(Math.ceil(m.size / 512) * 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** A docker-archive with one layer of `dirs` folders × `files` files of 0–2 KiB (varied, so the treemap has work). */
function manyFilesImage(dirs, files) {
  const members = [];
  for (let d = 0; d < dirs; d++) {
    const dir = `data/d${String(d).padStart(3, '0')}/`;
    members.push({ name: dir, type: '5' });
    for (let f = 0; f < files; f++) members.push({ name: `${dir}f${String(f).padStart(4, '0')}`, size: ((d * files + f) * 7919) % 2048 });
  }
  const layer = zeroTar(members);
  const diffId = `sha256:${createHash('sha256').update(layer).digest('hex')}`;
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [diffId] }, history: [{ created_by: 'generate files' }] }));
  const manifest = Buffer.from(JSON.stringify([{ Config: 'config.json', RepoTags: ['many:latest'], Layers: ['layer.tar'] }]));
  const wrap = (name, data) => ({ name, data });
  const outer = [wrap('manifest.json', manifest), wrap('config.json', config), wrap('layer.tar', layer)];
  const parts = [];
  for (const m of outer) {
    parts.push(tarHeader(m.name, m.data.length), m.data);
    if (m.data.length % 512) parts.push(Buffer.alloc(512 - (m.data.length % 512)));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/**
 * Opens `path`, selects its layer, then times (in the page, layout
 * included) opening the Sizes panel, 20 redraws, drilling into a folder
 * and back, and the per-layer chart.
 */
async function treemapRun(path) {
  const { context, page } = await freshPage();
  try {
    await openImage(page, path);
    await page.waitForSelector('#overall-badge', { timeout: LONG });
    await page.click('#layers [data-layer="0"] .cmd');
    await page.waitForFunction(() => /100,101 paths/.test(document.querySelector('#tree-info').textContent), null, { timeout: LONG });
    return await page.evaluate(async () => {
      const time = (fn) => { const t = performance.now(); fn(); void document.querySelector('#treemap').offsetHeight; return performance.now() - t; };
      const entries = window.layerscope.tree.count;
      const openMs = time(() => document.querySelector('#tab-sizes').click());
      const redraws = (n = 20) => {
        const ms = [];
        for (let i = 0; i < n; i++) ms.push(time(() => window.layerscope.treemap.redraw()));
        return ms.sort((a, b) => a - b);
      };
      const top = redraws();
      const blocks = document.querySelectorAll('#treemap .tm-block').length;
      // Drill into one of the 100 folders: 1,000 files, the densest view.
      const folder = document.querySelector('#treemap .tm-block[data-path^="data/d"]');
      const drillMs = time(() => folder.dispatchEvent(new MouseEvent('dblclick', { bubbles: true })));
      const inside = redraws();
      const folderBlocks = document.querySelectorAll('#treemap .tm-block').length;
      time(() => document.querySelector('#treemap-crumbs .crumb[data-id="-1"]').click());
      const chartMs = time(() => document.querySelector('#layers [data-layer="0"]').click());
      return { entries, blocks, folderBlocks, openMs, redrawMs: top[10], redrawMaxMs: Math.max(top.at(-1), inside.at(-1)), folderRedrawMs: inside[10], drillMs, chartMs };
    });
  } finally {
    await context.close();
  }
}

// ------------------------------------------------------------ tree while verifying

/**
 * Drop → first rows of the largest layer's tree: the layer is selected (a
 * click on its command cell) as soon as the layers are listed; the time is
 * taken in the page by a MutationObserver when the first row of that
 * layer's tree is in the DOM, and again after the next frame (painted).
 */
async function treeRun(path) {
  const { context, page } = await freshPage();
  try {
    await instrument(page);
    await hookWorkers(page);
    await openImage(page, path);
    await waitFor(page, 'listed', 120_000);
    const largest = await page.evaluate(() => {
      const views = window.layerscope.state.views;
      let best = 0;
      views.forEach((v, i) => { if (Number(v.layer.size) > Number(views[best].layer.size)) best = i; });
      const sel = `#tree[data-layer="${best}"] [role=treeitem][data-path]`;
      window.__treeRows = new Promise((ok) => {
        const done = () => {
          const rows = document.querySelectorAll(sel).length;
          const t = performance.now();
          const verifying = !document.querySelector('#overall-badge');
          const partial = Boolean(document.querySelector('#tree')?.dataset.partial);
          requestAnimationFrame(() => ok({ rowsAt: t, paintedAt: performance.now(), rows, verifying, partial }));
        };
        if (document.querySelector(sel)) { done(); return; }
        const obs = new MutationObserver(() => { if (document.querySelector(sel)) { obs.disconnect(); done(); } });
        obs.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-layer'] });
      });
      return best;
    });
    const clicked = await page.evaluate(() => performance.now());
    await page.locator(`#layers [data-layer="${largest}"] .cmd`).dispatchEvent('click');
    const r = await page.evaluate(() => window.__treeRows);
    const b = await page.evaluate(() => ({ ...window.__bench }));
    return {
      layer: largest, listedMs: b.listed - b.t0, clickMs: clicked - b.t0,
      rowsMs: r.rowsAt - b.t0, paintedMs: r.paintedAt - b.t0, clickToRowsMs: r.rowsAt - clicked,
      rows: r.rows, verifying: r.verifying, partial: r.partial, load: load(),
    };
  } finally {
    await context.close();
  }
}

// ------------------------------------------------------------ a 10.7 GB docker-archive

/**
 * Writes BIG10G if absent: a docker-archive of 5 uncompressed layers, each
 * 2,040 files of 1 MiB (distinct data: a random MiB with the file's number
 * written over its start), 10.7 GB in all. Streams; layers first, then the
 * config and manifest (the order of an archive's members is free).
 */
function ensureBig10g() {
  if (existsSync(BIG10G) && existsSync(`${BIG10G}.done`)) return;
  const LAYERS = 5;
  const FILES = 2040;
  const SIZE = MiB;
  const fd = openSync(`${BIG10G}.part`, 'w');
  let pos = 0;
  const write = (buf) => { writeSync(fd, buf, 0, buf.length, pos); pos += buf.length; };
  const noise = randomBytes(SIZE);
  const diffIds = [];
  const names = [];
  for (let l = 0; l < LAYERS; l++) {
    const layerSize = 512 + FILES * (512 + SIZE) + 1024;
    names.push(`${l}/layer.tar`);
    write(tarHeader(names[l], layerSize));
    const hash = createHash('sha256');
    const put = (buf) => { hash.update(buf); write(buf); };
    put(tarHeader(`big${l}/`, 0, '5'));
    for (let f = 0; f < FILES; f++) {
      noise.writeUInt32LE(l * FILES + f, 0);
      put(tarHeader(`big${l}/f${String(f).padStart(4, '0')}`, SIZE));
      put(noise);
    }
    put(Buffer.alloc(1024));
    diffIds.push(`sha256:${hash.digest('hex')}`);
    log(`big10g: layer ${l + 1}/${LAYERS} written (${(pos / 1e9).toFixed(1)} GB)`);
  }
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: diffIds },
    history: names.map((_, l) => ({ created_by: `COPY big${l} /big${l}` })) }));
  const manifest = Buffer.from(JSON.stringify([{ Config: 'config.json', RepoTags: ['big10g:latest'], Layers: names }]));
  for (const [name, data] of [['config.json', config], ['manifest.json', manifest]]) {
    write(tarHeader(name, data.length));
    write(data);
    if (data.length % 512) write(Buffer.alloc(512 - (data.length % 512)));
  }
  write(Buffer.alloc(1024));
  closeSync(fd);
  renameSync(`${BIG10G}.part`, BIG10G);
  writeFileSync(`${BIG10G}.done`, `${pos}\n`);
}

// ------------------------------------------------------------ main

async function main() {
  const needs = [['web/pkg', join(webRoot, 'pkg/layerscope_wasm.js')]];
  if (['open', 'verify', 'memory', 'tree'].some((k) => ONLY.has(k))) needs.push(['bench image', OCI], ['bench image', DOCKER], ['CLI', CLI], ['fixture', SMALL]);
  if (ONLY.has('bigmem')) needs.push(['CLI', CLI], ['fixture', SMALL]);
  if (ONLY.has('layers')) needs.push(['fixture', SMALL]);
  for (const [what, p] of needs) {
    if (!existsSync(p)) throw new Error(`${what} missing: ${p}`);
  }
  const results = { date: new Date().toISOString(), cores: cpus().length, runs: RUNS, loadStart: load() };
  let server;
  if (process.env.LAYERSCOPE_URL) base = new URL(process.env.LAYERSCOPE_URL).href;
  else {
    server = await serve(webRoot);
    base = baseUrl(server);
  }
  browser = await launch(['--enable-precise-memory-info', '--js-flags=--expose-gc']);
  results.chromium = browser.version();
  try {
    // 4. size
    const wasm = readFileSync(WASM);
    results.wasm = { bytes: wasm.length, gzipBytes: gzipSync(wasm, { level: 9 }).length };
    log(`wasm ${wasm.length} bytes (${results.wasm.gzipBytes} gzip)`);

    if (['open', 'verify', 'memory'].some((k) => ONLY.has(k))) { log('warming the page cache'); for (const p of [OCI, DOCKER]) warmCache(p); }

    // 1. open → listed
    if (ONLY.has('open')) {
      results.open = {};
      for (const [name, path] of [['fixture test-docker-image.tar', SMALL], ['big-oci-gzip.tar', OCI], ['big-docker.tar', DOCKER]]) {
        const runs = [];
        for (let i = 0; i < RUNS; i++) {
          const { context, page } = await freshPage();
          try {
            await instrument(page);
            await hookWorkers(page); // the main worker's wasm is instantiated, as after any page load
            await openImage(page, path);
            await waitFor(page, 'listed', 120_000);
            const b = await waitFor(page, 'painted', 120_000);
            // Where the time went: change event → open posted, the worker's open call, round trip, rendering.
            const t = await page.evaluate(() => window.layerscope.state.timing);
            runs.push({ listedMs: b.listed - b.t0, paintedMs: b.painted - b.t0, layers: b.layers, history: b.history, load: load(),
              toOpenMs: t.start - b.t0, workerOpenMs: t.workerMs, openRoundTripMs: t.opened - t.start, renderMs: t.rendered - t.opened });
          } finally { await context.close(); }
        }
        results.open[name] = {
          size: statSync(path).size, runs,
          listedMs: median(runs.map((r) => r.listedMs)), paintedMs: median(runs.map((r) => r.paintedMs)),
        };
        log(`open ${name}: listed ${fmt(results.open[name].listedMs)} ms, painted ${fmt(results.open[name].paintedMs)} ms`, runs.map((r) => fmt(r.paintedMs)).join(' '),
          `(median: worker open ${fmt(median(runs.map((r) => r.workerOpenMs)))} ms, round trip ${fmt(median(runs.map((r) => r.openRoundTripMs)))} ms, render ${fmt(median(runs.map((r) => r.renderMs)))} ms)`);
      }
    }

    // 2. verify OCI gzip: native and browser interleaved
    if (ONLY.has('verify')) {
      const bytes = statSync(OCI).size;
      const runs = [];
      for (let i = 0; i < RUNS; i++) {
        const loadBefore = load();
        const nativeMs = nativeVerify(OCI);
        const b = await verifyRun(OCI, SPLIT === 'always' ? 'always' : SPLIT !== 'off');
        if (SPLIT === 'both') {
          const u = await verifyRun(OCI, 'always');
          b.unsplitMs = u.verifyMs;
          log(`verify oci run ${i + 1} with every compressed layer split: ${fmt(u.verifyMs)} ms (worker time ${fmt(u.scanJobsMs)} ms scanning + ${fmt(u.hashJobsMs)} ms hashing, ${u.subtleHashes} with crypto.subtle)`);
        }
        runs.push({ nativeMs, ...b, load: loadBefore });
        log(`verify oci run ${i + 1}: native ${fmt(nativeMs)} ms, browser ${fmt(b.verifyMs)} ms (${b.verdict}; badge ${fmt(b.badgeMs)}, layers final ${fmt(b.layersFinalMs)}, worker time ${fmt(b.scanJobsMs)} ms scanning + ${fmt(b.hashJobsMs)} ms hashing stored blobs (${b.subtleHashes} with crypto.subtle) over ${fmt(b.scanSpanMs)} ms with ${b.helpers} worker(s), after last scan ${fmt(b.afterLastScanMs)} ms), analyzed ${fmt(b.analyzeMs)} ms, load ${loadBefore}`);
      }
      const nativeMs = median(runs.map((r) => r.nativeMs));
      const browserMs = median(runs.map((r) => r.verifyMs));
      results.verify = {
        image: 'big-oci-gzip.tar', bytes, runs, nativeMs, browserMs, analyzeMs: median(runs.map((r) => r.analyzeMs)),
        ratio: browserMs / nativeMs, nativeMBs: bytes / MB / (nativeMs / 1000), browserMBs: bytes / MB / (browserMs / 1000),
        layerBytes: LAYER_BYTES,
      };
    }

    // 6. 125 small layers: listing, verification and per-layer overhead
    if (ONLY.has('layers')) {
      const path = join(tmpdir(), 'layerscope-bench-125-layers.tar');
      writeFileSync(path, manyLayersImage(125, 40, 1800));
      const runs = [];
      for (let i = 0; i < RUNS; i++) {
        const nativeMs = existsSync(CLI) ? nativeVerify(path) : null;
        const b = await verifyRun(path);
        runs.push({ nativeMs, ...b });
        log(`125 layers run ${i + 1}: listed ${fmt(b.listedMs)} ms, verified ${fmt(b.verifyMs)} ms (${b.verdict}; worker time ${fmt(b.scanJobsMs)} ms over ${fmt(b.scanSpanMs)} ms with ${b.helpers} worker(s)), native ${fmt(nativeMs)} ms, renderer VmHWM ${fmt((b.renderer?.vmHWM || 0) / MiB)} MiB, RssAnon ${fmt((b.renderer?.rssAnon || 0) / MiB)} MiB`);
      }
      const verifyMs = median(runs.map((r) => r.verifyMs));
      const nativeMs = runs[0].nativeMs == null ? null : median(runs.map((r) => r.nativeMs));
      results.layers = {
        bytes: statSync(path).size, layers: 125, runs,
        listedMs: median(runs.map((r) => r.listedMs)), verifyMs, nativeMs,
        perLayerMs: (verifyMs - (nativeMs || 0)) / 125,
        workerMs: median(runs.map((r) => r.scanJobsMs)),
        vmHWM: median(runs.map((r) => r.renderer?.vmHWM || 0)), rssAnon: median(runs.map((r) => r.renderer?.rssAnon || 0)),
      };
    }

    // 3. memory while opening and verifying the docker image
    if (ONLY.has('memory')) {
      const runs = [];
      for (let i = 0; i < RUNS; i++) {
        const loadBefore = load();
        const nativeMs = nativeVerify(DOCKER);
        const b = await verifyRun(DOCKER);
        runs.push({ nativeMs, ...b, load: loadBefore });
        log(`memory docker run ${i + 1}: peak ${JSON.stringify(Object.fromEntries(Object.entries(b.memPeak).map(([k, v]) => [k, `${(v / MiB).toFixed(1)} MiB`])))}, verify ${fmt(b.verifyMs)} ms vs native ${fmt(nativeMs)} ms (helper scans ${fmt(b.scanSumMs)} ms), ${b.samples} samples`);
      }
      const byWorker = {};
      for (const r of runs) for (const [k, v] of Object.entries(r.memPeak)) (byWorker[k] ||= []).push(v);
      results.memory = {
        image: 'big-docker.tar', bytes: statSync(DOCKER).size, runs,
        peakMiB: Object.fromEntries(Object.entries(byWorker).map(([k, v]) => [k, median(v) / MiB])),
        verifyMs: median(runs.map((r) => r.verifyMs)),
        nativeMs: median(runs.map((r) => r.nativeMs)),
        floorMs: median(runs.map(floorMs)),
        floorRatio: median(runs.map((r) => r.verifyMs / floorMs(r))),
      };
    }

    // 7. drop → the largest layer's first tree rows, selected at once
    if (ONLY.has('tree')) {
      results.tree = {};
      for (const [name, path] of [['big-oci-gzip.tar', OCI], ['big-docker.tar', DOCKER]]) {
        const runs = [];
        for (let i = 0; i < RUNS; i++) {
          const r = await treeRun(path);
          runs.push(r);
          log(`tree ${name} run ${i + 1}: layer ${r.layer} selected ${fmt(r.clickMs)} ms after the drop, first ${r.rows} rows ${fmt(r.rowsMs)} ms (painted ${fmt(r.paintedMs)} ms; ${fmt(r.clickToRowsMs)} ms after the click), still verifying: ${r.verifying}, partial tree: ${r.partial}, load ${r.load}`);
        }
        results.tree[name] = { runs, layer: runs[0].layer, rowsMs: median(runs.map((r) => r.rowsMs)), paintedMs: median(runs.map((r) => r.paintedMs)),
          clickToRowsMs: median(runs.map((r) => r.clickToRowsMs)), verifying: runs.every((r) => r.verifying) };
      }
    }

    // 8. renderer memory and floor on a 10.7 GB docker-archive
    if (ONLY.has('bigmem')) {
      ensureBig10g();
      const runs = [];
      for (let i = 0; i < RUNS; i++) {
        const loadBefore = load();
        const nativeMs = nativeVerify(BIG10G);
        const b = await verifyRun(BIG10G);
        runs.push({ nativeMs, ...b, load: loadBefore });
        log(`bigmem run ${i + 1}: page ${fmt(b.verifyMs)} ms (${b.verdict}), floor ${fmt(floorMs(b))} ms (${fmt(b.scanSumMs)} ms of worker time on ${b.helpers}), native ${fmt(nativeMs)} ms, renderer VmHWM ${fmt((b.renderer?.vmHWM || 0) / MiB)} MiB, RssAnon ${fmt((b.renderer?.rssAnon || 0) / MiB)} MiB, wasm peak ${JSON.stringify(Object.fromEntries(Object.entries(b.memPeak).map(([k, v]) => [k, `${(v / MiB).toFixed(1)} MiB`])))}, load ${loadBefore}`);
      }
      results.bigmem = {
        image: 'big10g-docker.tar', bytes: statSync(BIG10G).size, runs,
        verifyMs: median(runs.map((r) => r.verifyMs)), nativeMs: median(runs.map((r) => r.nativeMs)),
        floorMs: median(runs.map(floorMs)), floorRatio: median(runs.map((r) => r.verifyMs / floorMs(r))),
        vmHWM: median(runs.map((r) => r.renderer?.vmHWM || 0)), rssAnon: median(runs.map((r) => r.renderer?.rssAnon || 0)),
      };
    }
    // 5. the Sizes panel on a 100,000-entry layer
    if (ONLY.has('treemap')) {
      const path = join(tmpdir(), 'layerscope-bench-100k.tar');
      if (!existsSync(path)) writeFileSync(path, manyFilesImage(100, 1000));
      const runs = [];
      for (let i = 0; i < RUNS; i++) {
        runs.push(await treemapRun(path));
        const r = runs.at(-1);
        log(`treemap run ${i + 1}: open panel ${fmt(r.openMs, 1)} ms, redraw median ${fmt(r.redrawMs, 1)} ms (${r.blocks} blocks), drill ${fmt(r.drillMs, 1)} ms, redraw in the folder ${fmt(r.folderRedrawMs, 1)} ms (${r.folderBlocks} blocks), max ${fmt(r.redrawMaxMs, 1)} ms, chart ${fmt(r.chartMs, 1)} ms`);
      }
      results.treemap = {
        entries: runs[0].entries, blocks: runs[0].blocks, folderBlocks: runs[0].folderBlocks, runs, folderRedrawMs: median(runs.map((r) => r.folderRedrawMs)),
        openMs: median(runs.map((r) => r.openMs)), redrawMs: median(runs.map((r) => r.redrawMs)),
        redrawMaxMs: Math.max(...runs.map((r) => r.redrawMaxMs)), drillMs: median(runs.map((r) => r.drillMs)), chartMs: median(runs.map((r) => r.chartMs)),
      };
    }
  } finally {
    await browser.close();
    server?.close();
  }
  results.loadEnd = load();

  // Report
  const lines = [];
  lines.push(`chromium ${results.chromium}, ${results.cores} cores, load ${results.loadStart} → ${results.loadEnd}, median of ${RUNS}`);
  lines.push('');
  lines.push('| measurement | result | target |');
  lines.push('|---|---|---|');
  if (results.open) {
    for (const [name, o] of Object.entries(results.open)) {
      lines.push(`| open ${name} (${(o.size / MB).toFixed(o.size > 1e8 ? 0 : 1)} MB) → layers + history listed / painted | ${fmt(o.listedMs)} / ${fmt(o.paintedMs)} ms (runs: ${o.runs.map((r) => fmt(r.paintedMs)).join(', ')}) | ≤ 300 ms |`);
    }
  }
  if (results.verify) {
    const v = results.verify;
    const lb = (ms) => (v.layerBytes ? `, ${fmt(v.layerBytes / MB / (ms / 1000))} MB/s of layer bytes` : '');
    lines.push(`| verify big-oci-gzip.tar, native CLI | ${fmt(v.nativeMs / 1000, 2)} s, ${fmt(v.nativeMBs)} MB/s of file${lb(v.nativeMs)} (runs: ${v.runs.map((r) => fmt(r.nativeMs / 1000, 2)).join(', ')}) | |`);
    lines.push(`| verify big-oci-gzip.tar, page (all badges final) | ${fmt(v.browserMs / 1000, 2)} s, ${fmt(v.browserMBs)} MB/s of file${lb(v.browserMs)} (runs: ${v.runs.map((r) => fmt(r.verifyMs / 1000, 2)).join(', ')}) | |`);
    lines.push(`| page / native | ${fmt(v.ratio, 2)}× | ≤ 2× |`);
    if (SPLIT === 'both') {
      const u = median(v.runs.map((r) => r.unsplitMs));
      lines.push(`| page with every compressed layer split (stored hash as a job of its own) | ${fmt(u / 1000, 2)} s = ${fmt(u / v.nativeMs, 2)}× native (runs: ${v.runs.map((r) => fmt(r.unsplitMs / 1000, 2)).join(', ')}) | |`);
    }
    lines.push(`| page: worker time scanning (inflate + hash + index) + hashing stored blobs / span of the jobs / after the last job to all badges final | ${fmt(median(v.runs.map((r) => r.scanJobsMs)) / 1000, 2)} s + ${fmt(median(v.runs.map((r) => r.hashJobsMs)) / 1000, 2)} s on ${v.runs[0].helpers} worker(s) / ${fmt(median(v.runs.map((r) => r.scanSpanMs)) / 1000, 2)} s / ${fmt(median(v.runs.map((r) => r.afterLastScanMs)))} ms | |`);
    lines.push(`| page: verify + merged-image analysis done | ${fmt(v.analyzeMs / 1000, 2)} s | |`);
    const pk = {};
    for (const r of v.runs) for (const [k, x] of Object.entries(r.memPeak)) (pk[k] ||= []).push(x);
    lines.push(`| peak wasm memory, big-oci-gzip.tar | ${Object.entries(pk).map(([k, x]) => `${k} ${fmt(median(x) / MiB, 1)} MiB`).join(', ')} | < 256 MB |`);
  }
  if (results.memory) {
    const m = results.memory;
    lines.push(`| peak wasm memory, big-docker.tar (${(m.bytes / MB).toFixed(0)} MB) | ${Object.entries(m.peakMiB).map(([k, x]) => `${k} ${fmt(x, 1)} MiB`).join(', ')} | < 256 MB |`);
    lines.push(`| verify big-docker.tar, page / native CLI | ${fmt(m.verifyMs / 1000, 2)} s (${fmt(m.bytes / MB / (m.verifyMs / 1000))} MB/s) / ${fmt(m.nativeMs / 1000, 2)} s (${fmt(m.bytes / MB / (m.nativeMs / 1000))} MB/s) = ${fmt(m.verifyMs / m.nativeMs, 2)}× | |`);
    lines.push(`| verify big-docker.tar, page / its floor (worker time ÷ scan workers) | ${fmt(m.verifyMs / 1000, 2)} s / ${fmt(m.floorMs / 1000, 2)} s = ${fmt(m.floorRatio, 2)}× (runs: ${m.runs.map((r) => fmt(r.verifyMs / floorMs(r), 2)).join(', ')}) | ≤ 1.25× |`);
  }
  if (results.tree) {
    for (const [name, t] of Object.entries(results.tree)) {
      lines.push(`| ${name}: drop → first rows of the largest layer's tree (layer ${t.layer}, selected once listed) / painted | ${fmt(t.rowsMs)} / ${fmt(t.paintedMs)} ms (runs: ${t.runs.map((r) => fmt(r.rowsMs)).join(', ')}; still verifying: ${t.verifying}) | ≤ 1,000 ms |`);
    }
  }
  if (results.bigmem) {
    const g = results.bigmem;
    lines.push(`| big10g-docker.tar (${(g.bytes / 1e9).toFixed(1)} GB): renderer VmHWM / RssAnon after verifying | ${fmt(g.vmHWM / MiB)} / ${fmt(g.rssAnon / MiB)} MiB (runs: ${g.runs.map((r) => fmt((r.renderer?.vmHWM || 0) / MiB)).join(', ')}) | ≤ 512 MB |`);
    lines.push(`| big10g-docker.tar: verify, page / floor / native CLI | ${fmt(g.verifyMs / 1000, 1)} s / ${fmt(g.floorMs / 1000, 1)} s (${fmt(g.floorRatio, 2)}×) / ${fmt(g.nativeMs / 1000, 1)} s | ≤ 1.25× floor |`);
  }
  if (results.layers) {
    const l = results.layers;
    lines.push(`| 125 layers × 40 files (${(l.bytes / MB).toFixed(1)} MB): open → listed | ${fmt(l.listedMs)} ms (runs: ${l.runs.map((r) => fmt(r.listedMs)).join(', ')}) | ≤ 300 ms |`);
    lines.push(`| 125 layers: verify, page (all badges final) / native CLI | ${fmt(l.verifyMs)} ms (runs: ${l.runs.map((r) => fmt(r.verifyMs)).join(', ')}) / ${fmt(l.nativeMs)} ms | ≤ 1,000 ms |`);
    lines.push(`| 125 layers: page overhead per layer ((page − native) / 125); worker time | ${fmt(l.perLayerMs, 1)} ms; ${fmt(l.workerMs)} ms | ≤ 5 ms |`);
    lines.push(`| 125 layers: renderer process VmHWM / RssAnon after verifying | ${fmt(l.vmHWM / MiB)} / ${fmt(l.rssAnon / MiB)} MiB | |`);
  }
  if (results.treemap) {
    const t = results.treemap;
    lines.push(`| Sizes panel, ${t.entries.toLocaleString('en')}-entry layer: open the panel (first treemap) / redraw (${t.blocks} blocks) / drill into a 1,000-file folder / redraw there (${t.folderBlocks} blocks) / worst redraw / select a layer (chart + treemap) | ${fmt(t.openMs, 1)} / ${fmt(t.redrawMs, 1)} / ${fmt(t.drillMs, 1)} / ${fmt(t.folderRedrawMs, 1)} / ${fmt(t.redrawMaxMs, 1)} / ${fmt(t.chartMs, 1)} ms | < 100 ms |`);
  }
  lines.push(`| web/pkg/layerscope_wasm_bg.wasm | ${results.wasm.bytes.toLocaleString('en')} bytes (${(results.wasm.bytes / MiB).toFixed(2)} MiB; ${(results.wasm.gzipBytes / MiB).toFixed(2)} MiB gzip -9) | < 1.5 MB |`);
  console.log(lines.join('\n'));
  if (JSON_OUT) writeFileSync(JSON_OUT, `${JSON.stringify(results, null, 2)}\n`);
}

main().catch((e) => { console.error(e); process.exit(1); });
