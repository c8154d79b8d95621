// Cross-driver agreement (issue 9): for every fixture image the repository
// has — tests/fixtures/generated/ always, ../shared/fixtures/ when present
// (one line says so when absent) — the page's own worker protocol, run in
// headless Chromium (web/tests/agree-page.js through web/worker.js and the
// wasm build), returns the same answers as the CLI's `--json` for the same
// query:
//   - per layer: each listed path's change word (`ls --layer N`), its kind,
//     its wasted flag (`efficiency`), and the layer's change counts and
//     bytes (`diff --layer N`);
//   - each layer's verification verdict word, failed layers too (`verify`);
//   - the merged listing with provenance and each path's change word (`ls --merged`);
//   - efficiency and wasted-bytes figures (`efficiency`);
//   - advice (`advise`): each finding's kind, severity and secretKind, and
//     a content secret's evidence (layer, path, line, reachable, redacted);
//   - packages: the final image's and each layer's (`packages [--layer N]
//     --json`: present packages, the removed list, per-layer counts,
//     os-release, unread databases, warnings), the distribution
//     (`inspect --json`'s image.osRelease) and both SBOM documents, byte
//     for byte (`sbom --format cyclonedx|spdx`);
//   - the image diff of consecutive fixtures (`diff A B`);
//   - and, for images the core refuses, the same error kind.
// Besides the fixtures, one image written by the test (packages-image.mjs:
// dpkg, apk, Python and Node databases, an upgrade and removals), since no
// committed fixture has packages; and one with random fake secrets
// (secrets-image.mjs), whose raw values must appear in no output of either
// driver.
// A disagreement names the image, the query and the first differing path.
// Exits 1 on any disagreement.
//
//   node web/tests/agree.mjs     (needs web/pkg: cargo xtask wasm, and the CLI:
//                                 cargo build -p layerscope-cli; serves web/ itself)
//   LAYERSCOPE_BIN=target/release/layerscope   (another CLI build)
//   AGREE_ONLY=type-replacement                (images whose name contains this)
//   LAYERSCOPE_URL=http://127.0.0.1:PORT/      (a server with the fixtures mounted
//                                 under /fixtures/generated/ and /fixtures/shared/,
//                                 as `cargo xtask test` starts)
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { baseUrl, launch, serve } from './harness.mjs';
import { FLAG, KIND, MFLAG } from '../tree.js';
import { packagesImage } from './packages-image.mjs';
import { secretsImage } from './secrets-image.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const webRoot = resolve(here, '..');
const repo = resolve(here, '../..');
const GENERATED = join(repo, 'tests/fixtures/generated');
const SHARED = resolve(process.env.LAYERSCOPE_SHARED || join(repo, '../shared/fixtures'));
/** Where the fixture folders are mounted on the test server. */
const MOUNTS = { generated: '/fixtures/generated/', shared: '/fixtures/shared/' };
const BIN = resolve(repo, process.env.LAYERSCOPE_BIN || 'target/debug/layerscope');

/** The page's kind codes (web/tree.js KIND) as the CLI's kind names. */
const KIND_NAME = {
  [KIND.FILE]: 'file', [KIND.DIR]: 'dir', [KIND.SYMLINK]: 'symlink', [KIND.HARDLINK]: 'hardlink',
  [KIND.CHAR]: 'char-device', [KIND.BLOCK]: 'block-device', [KIND.FIFO]: 'fifo', [KIND.DELETED]: 'deleted',
};

function fail(message) {
  console.error(`agree: ${message}`);
  process.exit(1);
}

/** Every image under `dir`: `*.tar` files, and folders holding index.json (OCI layouts). */
function findImages(dir, set) {
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) {
        if (existsSync(join(path, 'index.json'))) out.push({ set, path, layout: true });
        else walk(path);
      } else if (name.endsWith('.tar')) {
        out.push({ set, path, layout: false });
      }
    }
  };
  walk(dir);
  return out;
}

/** Files of a layout folder, relative to it. */
function layoutFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.push(relative(dir, path));
    }
  };
  walk(dir);
  return out;
}

/** Runs the CLI; resolves to its JSON document (an `{error}` document too). */
function cli(args) {
  let stdout;
  try {
    stdout = execFileSync(BIN, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30 });
  } catch (e) {
    stdout = e.stdout;
    if (!stdout) return { error: { kind: 'NoJson', message: (e.stderr || String(e)).split('\n')[0] } };
  }
  return JSON.parse(stdout);
}

/**
 * Runs the CLI in the background (it overlaps the page's work); resolves
 * to its standard output as text, or null when it fails.
 */
function cliLater(args) {
  return new Promise((done) => {
    execFile(BIN, args, { encoding: 'utf8', maxBuffer: 1 << 30 }, (error, stdout) => done(error ? (stdout || null) : stdout));
  });
}

/** `cliLater` for a JSON document (an `{error}` document when it printed none). */
async function cliJsonLater(args) {
  const text = await cliLater(args);
  return text ? JSON.parse(text) : { error: { kind: 'NoJson', message: `layerscope ${args.join(' ')} printed nothing` } };
}

/** JSON with object keys sorted (key order carries no meaning in either driver's output). */
function canonical(value) {
  return JSON.stringify(value, (_, v) => (v && typeof v === 'object' && !Array.isArray(v)
    ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]]))
    : v));
}

/** Collects disagreements: each names the image, the query and the first differing path. */
class Findings {
  constructor() { this.list = []; this.checked = 0; }
  differ(image, query, path, cliValue, pageValue) {
    this.list.push(`${image}: ${query}: ${path === null ? '(whole result)' : JSON.stringify(path)}: CLI ${canonical(cliValue)}, page ${canonical(pageValue)}`);
  }
  /** Compares values; false (and recorded) when they differ. */
  same(image, query, path, cliValue, pageValue) {
    this.checked += 1;
    if (canonical(cliValue) === canonical(pageValue)) return true;
    this.differ(image, query, path, cliValue, pageValue);
    return false;
  }
}

/**
 * The CLI's per-path view of one layer, from `ls --layer N --json`: each
 * path the layer lists with the change and kind of the entry that lists
 * it (an entry placing the path wins over a whiteout naming it).
 */
function cliNodes(entries) {
  const nodes = new Map();
  for (const e of entries) {
    if (e.whiteout?.type === 'opaque') continue;
    if (e.whiteout?.type === 'remove') {
      const at = nodes.get(e.whiteout.target);
      if (!at || at.whiteout) nodes.set(e.whiteout.target, { word: e.change?.action ?? null, kind: 'deleted', whiteout: true });
    } else {
      nodes.set(e.path, { word: e.change?.action ?? null, kind: e.kind, whiteout: false, size: e.size });
    }
  }
  return nodes;
}

/** What the layer did to an implied directory, from `diff --layer N`'s changeset. */
function impliedWord(change) {
  if (!change) return 'unchanged';
  if (change.action === 'modified') return change.aspects.length ? 'modified' : 'unchanged';
  return change.action;
}

function compareLayer(f, image, n, table, ls, changeset, wastedPaths) {
  const query = `ls --layer ${n}`;
  const nodes = cliNodes(ls.entries);
  const changes = new Map(changeset.changes.map((c) => [c.path, c]));
  const seen = new Set();
  for (let i = 0; i < table.paths.length; i++) {
    const path = table.paths[i];
    seen.add(path);
    const node = nodes.get(path);
    const word = node ? node.word : impliedWord(changes.get(path));
    const kind = node ? node.kind : 'dir';
    if (!f.same(image, query, path, { change: word, kind }, { change: table.changes[i], kind: KIND_NAME[table.kinds[i]] })) return;
    if (!f.same(image, `efficiency (wasted files of layer ${n})`, path, wastedPaths.has(path), (table.flags[i] & FLAG.WASTED) !== 0)) return;
  }
  for (const path of nodes.keys()) {
    if (path !== '' && !seen.has(path)) { f.differ(image, query, path, 'listed', 'not listed'); return; }
  }
}

function compareMerged(f, image, merged, ls) {
  const rows = ls.entries.filter((e) => e.path !== '');
  const n = Math.max(rows.length, merged.paths.length);
  for (let i = 0; i < n; i++) {
    const e = rows[i];
    const path = e?.path ?? merged.paths[i];
    const cliRow = e && {
      path: e.path, kind: e.kind, size: e.size, layer: e.layer ?? -1, implied: e.implied,
      modifiedLater: e.history.some((h) => h.action === 'modified'), hardlinkName: e.hardlinkTo != null,
      change: e.change ?? null,
    };
    const pageRow = i < merged.paths.length ? {
      path: merged.paths[i], kind: KIND_NAME[merged.kinds[i]], size: merged.sizes[i], layer: merged.layers[i],
      implied: (merged.flags[i] & MFLAG.IMPLICIT) !== 0, modifiedLater: (merged.flags[i] & MFLAG.MODIFIED_LATER) !== 0,
      hardlinkName: (merged.flags[i] & MFLAG.HARDLINK_NAME) !== 0, change: merged.changes[i],
    } : undefined;
    if (!f.same(image, 'ls --merged', path, cliRow ?? null, pageRow ?? null)) return;
  }
}

function compareEfficiency(f, image, analysis, eff) {
  const d = eff.dive;
  const finite = (x) => (typeof x === 'number' && Number.isFinite(x) ? x : null);
  f.same(image, 'efficiency (dive)', null,
    { score: d.score, wastedBytes: d.wastedBytes, sizeBytes: d.sizeBytes, userSizeBytes: d.userSizeBytes, wastedUserPercent: finite(d.wastedUserPercent), inefficiencies: d.inefficiencies.length },
    { score: analysis.dive.score, wastedBytes: analysis.dive.wastedBytes, sizeBytes: analysis.dive.sizeBytes, userSizeBytes: analysis.dive.userSizeBytes, wastedUserPercent: finite(analysis.dive.wastedUserPercent), inefficiencies: analysis.dive.inefficiencyCount });
  const w = eff.waste;
  const pw = analysis.waste;
  f.same(image, 'efficiency (waste)', null,
    { shippedBytes: w.shippedBytes, visibleBytes: w.visibleBytes, wastedBytes: w.wastedBytes, reclaimableBytes: w.reclaimableBytes, files: w.files.length, duplicates: w.duplicates.length },
    { shippedBytes: pw.shippedBytes, visibleBytes: pw.visibleBytes, wastedBytes: pw.wastedBytes, reclaimableBytes: pw.reclaimableBytes, files: pw.fileCount, duplicates: pw.duplicateCount });
  for (let i = 0; i < Math.max(w.layers.length, pw.layers.length); i++) {
    if (!f.same(image, 'efficiency (wasted bytes per layer)', `layer ${i}`, w.layers[i] ?? null, pw.layers[i] ?? null)) break;
  }
  // The page keeps the first 200 wasted files: they must be the CLI's first 200.
  for (let i = 0; i < pw.files.length; i++) {
    if (!f.same(image, 'efficiency (wasted files)', w.files[i]?.path ?? pw.files[i].path, w.files[i] ?? null, pw.files[i])) break;
  }
}

function compareDiff(f, label, cliDiff, pageDiff) {
  const query = 'diff A B';
  const fileRow = (x) => x && { path: x.path, kind: x.kind, size: x.size, previousSize: x.previousSize ?? null, aspects: x.aspects };
  for (const list of ['added', 'removed', 'changed']) {
    if (!f.same(label, `${query} (${list} count)`, null, cliDiff[list].length, pageDiff[`${list}Count`])) return;
    for (let i = 0; i < pageDiff[list].length; i++) {
      if (!f.same(label, `${query} (${list})`, cliDiff[list][i]?.path ?? pageDiff[list][i].path, fileRow(cliDiff[list][i]), fileRow(pageDiff[list][i]))) return;
    }
  }
  const rest = (d) => ({
    addedBytes: d.addedBytes, removedBytes: d.removedBytes, sharedLayers: d.sharedLayers, sharedBytes: d.sharedBytes,
    firstDivergentLayer: d.firstDivergentLayer ?? null, history: d.history, config: d.config.map((c) => c.field),
  });
  f.same(label, query, null, rest(cliDiff), rest(pageDiff));
}

/** One package report (`packages --json`) against the page's: package by package, then the rest. */
function comparePackageReport(f, image, query, cliReport, pageReport) {
  if (cliReport.error) { f.differ(image, query, null, cliReport.error, 'a report'); return; }
  for (const list of ['packages', 'removed']) {
    const [a, b] = [cliReport[list] || [], pageReport[list] || []];
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const at = a[i] || b[i];
      if (!f.same(image, `${query} (${list})`, `${at.ecosystem} ${at.name} ${at.location}`, a[i] ?? null, b[i] ?? null)) break;
    }
  }
  const rest = (r) => ({ ...r, packages: undefined, removed: undefined });
  f.same(image, `${query} (layer, osRelease, layerCounts, unread, warnings)`, null, rest(cliReport), rest(pageReport));
}

/** The first line where two texts differ, for the message. */
function firstDifferentLine(a, b) {
  const [x, y] = [a.split('\n'), b.split('\n')];
  let i = 0;
  while (i < x.length && x[i] === y[i]) i++;
  return `line ${i + 1}`;
}

/** Time spent on the package queries (CLI runs and comparisons), for the summary line. */
const packageTime = { ms: 0, pageMs: 0, layerRuns: 0 };

/**
 * Packages (final and per layer), the distribution and the SBOM documents.
 * `packages --layer N` runs for every layer of an image whose final report
 * holds anything (packages, removed ones, unread databases, warnings); of
 * an image whose final report is empty every layer's report on the page
 * must be empty too (the final view reads every layer's databases), which
 * is checked without a CLI run per layer.
 */
async function comparePackages(f, image, target, count, inspect, page, started) {
  if (page.error) { f.differ(image, 'packages', null, 'a report', page.error); return; }
  const t0 = Date.now();
  const final = await started.final;
  comparePackageReport(f, image, 'packages --json', final, page.final);
  const empty = (r) => !r.packages?.length && !r.removed?.length && !r.unread?.length && !r.warnings?.length;
  const quiet = !final.error && empty(final);
  const layers = quiet ? [] : await Promise.all(Array.from({ length: count }, (_, n) => cliJsonLater(['packages', ...target, '--layer', String(n), '--json'])));
  for (let n = 0; n < count; n++) {
    const mine = page.layers[n] ?? {};
    if (quiet) {
      f.same(image, `packages --layer ${n} --json (empty, as the final report)`, null, { layer: n, empty: true }, { layer: mine.layer, empty: empty(mine) });
      continue;
    }
    packageTime.layerRuns += 1;
    comparePackageReport(f, image, `packages --layer ${n} --json`, layers[n], mine);
  }
  f.same(image, 'inspect --json (image.osRelease)', null, inspect.image.osRelease ?? null, page.final.osRelease ?? null);
  for (const format of ['cyclonedx', 'spdx']) {
    const text = await started[format];
    const mine = page.sbom[format];
    f.checked += 1;
    if (text !== mine) f.differ(image, `sbom --format ${format} (bytes)`, text == null ? null : firstDifferentLine(text, mine), text == null ? 'failed' : `${text.length} bytes`, `${mine.length} bytes`);
  }
  packageTime.ms += Date.now() - t0 + (page.ms || 0);
  packageTime.pageMs += page.ms || 0;
}

/** The raw values of the secrets image (no output may hold one). */
const secretValues = [];

/** Compares one image (one selection of it): resolves to whether it loaded in both drivers. */
async function compareImage(f, page, img, image) {
  const sel = img.select == null ? [] : ['--image', String(img.select)];
  const target = [img.path, ...sel];
  // The package queries run while the page works.
  const started = {
    final: cliJsonLater(['packages', ...target, '--json']),
    cyclonedx: cliLater(['sbom', ...target, '--format', 'cyclonedx']),
    spdx: cliLater(['sbom', ...target, '--format', 'spdx']),
  };
  const inspect = cli(['inspect', ...target, '--json']);
  const pageResult = await page.evaluate((s) => window.agreeImage(s), img.spec);
  // Each layer's verification word, failed layers included (`verify --json`).
  const verified = cli(['verify', ...target, '--json']);
  if (verified.layers && pageResult.verdicts) {
    for (let n = 0; n < Math.max(verified.layers.length, pageResult.verdicts.length); n++) {
      if (!f.same(image, 'verify (layer verdict)', `layer ${n}`, verified.layers[n]?.verdict ?? null, pageResult.verdicts[n] ?? null)) break;
    }
  }
  if (inspect.error || pageResult.error) {
    // Both refuse it, for the same reason (or one of its layers fails in both).
    const cliError = inspect.error ? inspect.error.kind : cli(['ls', ...target, '--merged', '--json']).error?.kind ?? null;
    f.same(image, 'open and scan (error kind)', null, cliError, pageResult.error?.name ?? null);
    return false;
  }
  const count = inspect.layers.length;
  const eff = cli(['efficiency', ...target, '--json']);
  f.same(image, 'layer count', null, count, pageResult.layers.length);
  for (let n = 0; n < Math.min(count, pageResult.layers.length); n++) {
    const ls = cli(['ls', ...target, '--layer', String(n), '--json']);
    const changeset = cli(['diff', ...target, '--layer', String(n), '--json']);
    if (ls.error || changeset.error) { f.differ(image, `ls/diff --layer ${n}`, null, ls.error || changeset.error, 'a table'); continue; }
    const wasted = new Set(eff.waste.files.filter((w) => w.layer === n).map((w) => w.path));
    compareLayer(f, image, n, pageResult.layers[n], ls, changeset, wasted);
    const counts = (c) => ({ added: c.added, modified: c.modified, deleted: c.deleted, shippedBytes: c.shippedBytes, addedBytes: c.addedBytes, removedBytes: c.removedBytes, netBytes: c.netBytes });
    f.same(image, `diff --layer ${n} (counts and bytes)`, null, counts(changeset), counts(pageResult.analysis.changes[n]));
  }
  compareMerged(f, image, pageResult.merged, cli(['ls', ...target, '--merged', '--json']));
  compareEfficiency(f, image, pageResult.analysis, eff);
  const advice = (list) => list.map((a) => ({
    kind: a.kind, severity: a.severity, secretKind: a.secretKind ?? null,
    evidence: a.secretKind ? a.evidence.map((e) => ({ layer: e.layer, path: e.path, line: e.line, reachable: e.reachable, redacted: e.redacted })) : null,
  }));
  const cliAdvice = cli(['advise', ...target, '--json']);
  f.same(image, 'advise (kinds, severities, content secrets)', null, advice(cliAdvice), advice(pageResult.analysis.advice));
  if (basename(img.path) === 'secrets.docker.tar') {
    f.same(image, 'advise finds the six content secrets', null, 6, cliAdvice.filter((a) => a.secretKind).length);
  }
  for (const value of secretValues) {
    f.checked += 1;
    if (JSON.stringify(cliAdvice).includes(value)) f.differ(image, 'advise --json holds a raw secret value', null, 'absent', 'present');
    if (JSON.stringify(pageResult).includes(value)) f.differ(image, 'the page result holds a raw secret value', null, 'absent', 'present');
  }
  await comparePackages(f, image, target, count, inspect, pageResult.packages, started);
  return true;
}

async function main() {
  if (!existsSync(join(webRoot, 'pkg/layerscope_wasm.js'))) fail('web/pkg is missing: run `cargo xtask wasm` first');
  if (!existsSync(BIN)) fail(`${BIN} is missing: run \`cargo build -p layerscope-cli\` first (or set LAYERSCOPE_BIN)`);
  let images = findImages(GENERATED, 'generated');
  if (existsSync(SHARED)) images.push(...findImages(SHARED, 'shared'));
  else console.log(`agree: skipped ../shared/fixtures: ${SHARED} is absent`);
  const only = process.env.AGREE_ONLY;
  // The packages image, written here (the page gets its bytes directly).
  const written = mkdtempSync(join(tmpdir(), 'layerscope-agree-'));
  const packagesTar = join(written, 'packages.docker.tar');
  writeFileSync(packagesTar, packagesImage(40));
  images.push({ set: 'written', path: packagesTar, layout: false });
  const secrets = secretsImage();
  secretValues.push(...secrets.values);
  const secretsTar = join(written, 'secrets.docker.tar');
  writeFileSync(secretsTar, secrets.tar);
  images.push({ set: 'written', path: secretsTar, layout: false });
  if (only) images = images.filter((i) => basename(i.path).includes(only));
  if (!images.length) fail(`no image${only ? ` matching ${only}` : ''}`);

  const server = process.env.LAYERSCOPE_URL ? null
    : await serve(webRoot, { [MOUNTS.generated]: GENERATED, ...(existsSync(SHARED) ? { [MOUNTS.shared]: SHARED } : {}) });
  const base = server ? baseUrl(server) : new URL(process.env.LAYERSCOPE_URL).href;
  const browser = await launch();
  const f = new Findings();
  const started = Date.now();
  let compared = 0;
  try {
    const page = await browser.newPage();
    const consoleErrors = [];
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    await page.goto(new URL('tests/agree.html', base).href);
    await page.waitForFunction(() => typeof window.agreeImage === 'function');
    await page.evaluate(() => window.agreeReady());
    // Every image, and every image of a multi-image archive or layout.
    const queries = [];
    for (const img of images) {
      const root = { generated: GENERATED, shared: SHARED, written }[img.set];
      const spec = img.set === 'written'
        ? { bytes: readFileSync(img.path).toString('base64'), name: basename(img.path), files: null }
        : { url: new URL(MOUNTS[img.set] + relative(root, img.path).split('/').map(encodeURIComponent).join('/') + (img.layout ? '/' : ''), base).href, files: img.layout ? layoutFiles(img.path) : null };
      const listing = cli(['inspect', img.path, '--json']);
      const choices = (listing.images || []).filter((c) => c.kind === 'image');
      const selections = choices.length > 1 ? choices.map((c) => c.index) : [null];
      for (const select of selections) {
        queries.push({ ...img, select, spec: { ...spec, image: select }, name: `${img.set}/${relative(root, img.path)}${select == null ? '' : ` --image ${select}`}` });
      }
    }
    const loaded = [];
    for (const q of queries) {
      const before = f.list.length;
      const t0 = Date.now();
      consoleErrors.length = 0;
      const ok = await compareImage(f, page, q, q.name);
      for (const e of consoleErrors.filter((t) => /panicked|RuntimeError|unreachable/.test(t))) f.differ(q.name, 'page console', null, 'no panic', e.split('\n')[0]);
      if (ok && q.select == null) loaded.push(q);
      compared += 1;
      console.log(`${q.name.padEnd(70)} ${f.list.length === before ? 'agree' : 'DISAGREE'} ${String(Date.now() - t0).padStart(6)} ms`);
    }
    // The image diff: each loaded image against the next one.
    for (let i = 0; i + 1 < loaded.length; i++) {
      const [a, b] = [loaded[i], loaded[i + 1]];
      const label = `${a.name} vs ${b.name}`;
      const before = f.list.length;
      const cliDiff = cli(['diff', a.path, b.path, '--json']);
      const pageDiff = await page.evaluate(([x, y]) => window.agreeDiff(x, y), [a.spec, b.spec]);
      if (cliDiff.error || pageDiff.error) f.same(label, 'diff A B (error kind)', null, cliDiff.error?.kind ?? null, pageDiff.error?.name ?? null);
      else compareDiff(f, label, cliDiff, pageDiff.diff);
      compared += 1;
      console.log(`${label.slice(0, 70).padEnd(70)} ${f.list.length === before ? 'agree' : 'DISAGREE'}`);
    }
  } finally {
    await browser.close();
    server?.close();
    rmSync(written, { recursive: true, force: true });
  }
  const total = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`agree: ${compared} queries over ${images.length} images, ${f.checked} comparisons, ${f.list.length} disagreements in ${total} s`);
  console.log(`agree: packages and SBOM queries took ${(packageTime.ms / 1000).toFixed(1)} s of it (${(packageTime.pageMs / 1000).toFixed(1)} s in the page; ${packageTime.layerRuns} per-layer CLI runs)`);
  if (f.list.length) {
    console.log(f.list.map((d) => `DISAGREE ${d}`).join('\n'));
    process.exit(1);
  }
}

main().catch((e) => fail(e?.stack || String(e)));
