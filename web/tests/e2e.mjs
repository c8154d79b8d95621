// End-to-end test of the layerscope page with playwright-core driving the
// system Chromium. Does what a user does: picks real image tarballs and a
// layout folder, waits for verification, browses layers and files,
// previews a file, checks failure wording on a corrupted copy, the sample
// button, and that no request left the page's origin.
//
//   node --test web/tests/e2e.mjs          (serves web/ itself)
//   LAYERSCOPE_URL=http://127.0.0.1:8080/ node --test web/tests/e2e.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, existsSync, readdirSync, statSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { baseUrl, launch, serve } from './harness.mjs';
import { buildTar } from './tar.mjs';
import { hostileTextImage } from './hostile-text-image.mjs';
import { packagesImage } from './packages-image.mjs';
import { visibleText, needsMarkers } from '../text.js';

const here = dirname(fileURLToPath(import.meta.url));
const webRoot = resolve(here, '..');
const shared = resolve(here, '../../../shared/fixtures');
const generated = resolve(here, '../../tests/fixtures/generated');
const shots = resolve(here, '../../tests/artifacts/screenshots');
// The README's screenshot and docs/page.md's panels, made by this test so they stay current.
const docShots = resolve(here, '../../docs/page');
const DOCKER = join(shared, 'dive/test-docker-image.tar');
const OCI_GZIP = join(shared, 'dive/test-oci-gzip-image.tar');
const BUNDLE = join(shared, 'go-containerregistry/tarball-test_bundle.tar');
const NULL_MANIFEST = join(shared, 'go-containerregistry/tarball-null_manifest.tar');
const LAYOUT = join(shared, 'go-containerregistry/layout/test_index_one_image');
const BOMB = resolve(here, '../../tests/hostile/cases/gzip_bomb.tar');
const GEN_DOCKER = join(generated, 'multistep.docker.tar');
const GEN_OCI = join(generated, 'multistep.oci-gzip.tar');
/** dive's docker-archive when ../shared is beside the repository, else the generated multi-step image. */
const ANY_DOCKER = existsSync(DOCKER) ? DOCKER : GEN_DOCKER;
/** dive's gzip OCI archive when ../shared is there, else the generated one. */
const ANY_OCI = existsSync(OCI_GZIP) ? OCI_GZIP : GEN_OCI;
/**
 * Options of the tests whose assertions are about ../shared's images (dive's
 * 14 layers, go-containerregistry's bundles): in a plain clone they skip,
 * with one line saying why.
 */
const SHARED = existsSync(shared) ? {} : { skip: `${shared} is absent (a plain clone); this test checks those images` };
const TIMEOUT = 60_000;

/** Outer-tar members (name, data offset, size), to corrupt a copy precisely. */
function tarMembers(bytes) {
  const members = [];
  let off = 0;
  while (off + 512 <= bytes.length) {
    const header = bytes.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    const text = (a, b) => Buffer.from(header.subarray(a, b)).toString('latin1').replace(/\0.*$/s, '');
    const size = parseInt(text(124, 136).trim() || '0', 8);
    members.push({ name: text(0, 100), type: text(156, 157), offset: off + 512, size });
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return members;
}

/** A docker-archive with one layer of `dirs` × `files` empty files. */
function bigImage(dirs, files) {
  const members = [];
  for (let d = 0; d < dirs; d++) {
    members.push({ name: `data/d${String(d).padStart(3, '0')}/`, type: '5' });
    for (let f = 0; f < files; f++) members.push({ name: `data/d${String(d).padStart(3, '0')}/f${String(f).padStart(4, '0')}` });
  }
  const layer = buildTar(members);
  const diffId = `sha256:${createHash('sha256').update(layer).digest('hex')}`;
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] },
    rootfs: { type: 'layers', diff_ids: [diffId] }, history: [{ created_by: 'generate 100k files' }],
  }));
  const manifest = Buffer.from(JSON.stringify([{ Config: 'config.json', RepoTags: ['big:latest'], Layers: ['layer.tar'] }]));
  return buildTar([{ name: 'manifest.json', data: manifest }, { name: 'config.json', data: config }, { name: 'layer.tar', data: layer }]);
}

/** A docker-archive of `layers` (member lists for buildTar), each with its history command. */
function layeredImage(layers, commands) {
  const tars = layers.map((members) => buildTar(members));
  const diffIds = tars.map((t) => `sha256:${createHash('sha256').update(t).digest('hex')}`);
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] },
    rootfs: { type: 'layers', diff_ids: diffIds }, history: commands.map((c) => ({ created_by: c })),
  }));
  const names = tars.map((_, i) => `l${i}/layer.tar`);
  const manifest = Buffer.from(JSON.stringify([{ Config: 'config.json', RepoTags: ['layered:1'], Layers: names }]));
  return buildTar([{ name: 'manifest.json', data: manifest }, { name: 'config.json', data: config },
    ...tars.map((data, i) => ({ name: names[i], data }))]);
}

/** `etc/app.conf` added, edited, deleted by a whiteout and written again. */
function historyImage() {
  return layeredImage([
    [{ name: 'etc/', type: '5' }, { name: 'etc/app.conf', data: Buffer.from('one\ntwo\nthree\n') }],
    [{ name: 'etc/app.conf', data: Buffer.from('one\nTWO\nthree\n') }],
    [{ name: 'etc/.wh.app.conf' }],
    [{ name: 'etc/app.conf', data: Buffer.from('fresh\n') }],
  ], ['COPY app.conf /etc/', 'RUN edit /etc/app.conf', 'RUN rm /etc/app.conf', 'RUN echo fresh > /etc/app.conf']);
}

let server;
let base;
let browser;
let page;
const requests = [];
const pageErrors = [];
let tmp;

/** How many pixels of two PNGs differ (decoded by the page's browser), or null when their sizes differ. */
function pixelsDiffer(a, b) {
  return page.evaluate(async ([a, b]) => {
    const load = (bytes) => createImageBitmap(new Blob([Uint8Array.from(atob(bytes), (c) => c.charCodeAt(0))], { type: 'image/png' }));
    const [ia, ib] = await Promise.all([load(a), load(b)]);
    if (ia.width !== ib.width || ia.height !== ib.height) return null;
    const pixels = (img) => {
      const c = new OffscreenCanvas(img.width, img.height).getContext('2d');
      c.drawImage(img, 0, 0);
      return c.getImageData(0, 0, img.width, img.height).data;
    };
    const [pa, pb] = [pixels(ia), pixels(ib)];
    let n = 0;
    for (let i = 0; i < pa.length; i += 4) if (pa[i] !== pb[i] || pa[i + 1] !== pb[i + 1] || pa[i + 2] !== pb[i + 2]) n++;
    return n;
  }, [a.toString('base64'), b.toString('base64')]);
}

/**
 * A screenshot of the viewport (or of `clip`, rounded to whole pixels)
 * written to `path` — unless the file there already shows the same
 * picture (antialiasing aside: under 0.1% of the pixels differ), so the
 * committed docs images only change when the page does.
 */
async function shotTo(path, clip) {
  const area = clip && { x: Math.floor(clip.x), y: Math.floor(clip.y), width: Math.ceil(clip.width), height: Math.ceil(clip.height) };
  const png = await page.screenshot({ fullPage: false, ...(area ? { clip: area } : {}) });
  if (existsSync(path)) {
    const old = readFileSync(path);
    const n = await pixelsDiffer(old, png);
    const total = (area ? area.width * area.height : 1280 * 800);
    if (n !== null && n < total / 1000) return;
  }
  writeFileSync(path, png);
}

async function shot(name) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: false });
}

/** axe-core's source (web/node_modules, from npm): evaluated in the page, so the page's CSP is unchanged. */
const AXE = resolve(webRoot, 'node_modules/axe-core/axe.min.js');

/**
 * Runs axe-core on the page as it is now and fails on any serious or
 * critical violation, naming the rule and the first elements.
 */
async function accessible(label) {
  if (!await page.evaluate(() => typeof window.axe === 'object')) await page.evaluate(readFileSync(AXE, 'utf8'));
  // Colours are checked as they end up, not halfway through a theme's transition.
  await page.evaluate(() => Promise.all(document.getAnimations().filter((a) => a instanceof CSSTransition).map((a) => a.finished.catch(() => {}))));
  const violations = await page.evaluate(async () => (await window.axe.run(document, { resultTypes: ['violations'] })).violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 4).map((n) => `${n.target.join(' ')} — ${n.failureSummary.replace(/\s+/g, ' ')}`).join(' | ')}`));
  assert.deepEqual(violations, [], `axe on ${label}`);
}

/** Which theme the page shows. */
const theme = () => page.evaluate(() => document.documentElement.dataset.theme
  || (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'));

/** Runs `check(themeName)` in the current theme, then in the other (via the toggle), and restores it. */
async function inBothThemes(check) {
  const first = await theme();
  await check(first);
  await page.click('#theme-toggle');
  assert.notEqual(await theme(), first, 'the toggle switches the theme');
  await check(await theme());
  await page.click('#theme-toggle');
}

async function openFile(path) {
  if (await page.locator('#close-image').isVisible()) await page.click('#close-image');
  await page.setInputFiles('#file-input', path);
}

/** Waits until the preview pane shows `path` with a body of `selector`. */
async function waitPreview(path, selector) {
  await page.waitForFunction(([p, sel]) => {
    const pane = document.querySelector('#preview');
    return pane.querySelector('h4')?.textContent === `/${p}` && (!sel || pane.querySelector(sel));
  }, [path, selector], { timeout: TIMEOUT });
}

/**
 * Selects a layer (an index or 'merged') the way a user does: a click on
 * its command, the text they aim at (never the row's centre, which may be
 * a button).
 */
async function clickLayer(layer) {
  await page.click(`#layers [data-layer="${layer}"] .cmd`);
  await page.waitForSelector(`#layers [data-layer="${layer}"][aria-selected="true"]`, { timeout: TIMEOUT });
}

/** The layer options of the layer list (not the merged image, not empty history entries). */
const LAYER_ROWS = '#layers [role=option][data-layer]:not([data-layer="merged"])';

async function waitVerified() {
  await page.waitForSelector('#overall-badge', { timeout: TIMEOUT });
  return (await page.textContent('#overall-badge')).trim();
}

before(async () => {
  mkdirSync(shots, { recursive: true });
  tmp = mkdtempSync(join(tmpdir(), 'layerscope-e2e-'));
  if (process.env.LAYERSCOPE_URL) {
    base = new URL(process.env.LAYERSCOPE_URL).href;
  } else {
    assert.ok(existsSync(join(webRoot, 'pkg/layerscope_wasm.js')), 'web/pkg is missing: run wasm-pack build wasm --release --target web --out-dir ../web/pkg');
    server = await serve(webRoot);
    base = baseUrl(server);
  }
  browser = await launch();
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  page = await context.newPage();
  context.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(`console: ${m.text()}`); });
  await page.goto(base);
});

after(async () => {
  await browser?.close();
  server?.close();
  // The export test leaves ≈ 340 MB of tars here.
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('the start page offers a drop zone, pickers and the sample', async () => {
  await page.waitForSelector('#dropzone');
  assert.equal(await page.locator('#file-input').count(), 1);
  assert.equal(await page.getAttribute('#folder-input', 'webkitdirectory'), '');
  assert.ok(await page.isVisible('#sample'));
  const csp = await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content');
  assert.match(csp, /default-src 'self'/);
  await shot('01-start');
  await inBothThemes((t) => accessible(`the start page (${t})`));
});

test('a docker-archive verifies, with layers, history and digests', SHARED, async () => {
  await openFile(DOCKER);
  // The layer list and history show before verification finishes.
  await page.waitForSelector('#layers [role=option][data-layer="0"]');
  assert.equal(await waitVerified(), 'all digests verified');
  assert.equal(await page.locator(LAYER_ROWS).count(), 14);
  assert.equal(await page.locator('#layers .empty-layer').count(), 1);
  assert.equal(await page.locator(`${LAYER_ROWS} .badge.verified`).count(), 14);
  const commands = await page.locator('#layers .cmd').allTextContents();
  assert.ok(commands.some((c) => c.includes('rm -rf /root/example/')), commands.join('\n'));
  assert.ok(commands.some((c) => c.includes('CMD ["sh"]')), 'empty-layer history row in place');
  // The selected layer's digests, above its tree.
  await clickLayer('9');
  const digest = page.locator('#layer-facts .digest').first();
  assert.match((await digest.textContent()).trim(), /^[0-9a-f]{12}/);
  assert.match(await digest.getAttribute('data-full'), /^sha256:[0-9a-f]{64}$/);
  assert.match(await page.textContent('#summary'), /dive-test:latest/);
  assert.match(await page.textContent('#config'), /"sh"/);
  await shot('02-docker-layers');
});

test('an open image has no serious or critical axe violation, in both themes and every panel', SHARED, async () => {
  await clickLayer('1');
  await page.click('#tree .row[data-path="somefile.txt"] .name');
  await waitPreview('somefile.txt', '.text-preview');
  await inBothThemes(async (t) => {
    for (const tab of ['file', 'image', 'checks', 'efficiency']) {
      await page.click(`#tab-${tab}`);
      await page.waitForSelector(`#tab-${tab}[aria-selected="true"]`);
      await accessible(`the open image, ${tab} panel (${t})`);
    }
    await page.click('#tab-file');
  });
});

test('layer 9 shows /root/example deleted (whiteout)', SHARED, async () => {
  await clickLayer('9');
  assert.equal(await page.getAttribute('#tree', 'data-layer'), '9');
  const row = page.locator('#tree .row[data-path="root/example"]');
  await row.waitFor({ timeout: TIMEOUT });
  assert.match(await row.getAttribute('class'), /\bdeleted\b/);
  assert.match(await row.textContent(), /deleted/);
  assert.match(page.url(), /layer=9/);
  await page.locator('#files').scrollIntoViewIfNeeded();
  await shot('03-whiteout-layer9');
});

test('a text file previews with line numbers; keyboard and filter work', SHARED, async () => {
  await clickLayer('1');
  const row = page.locator('#tree .row[data-path="somefile.txt"]');
  await row.waitFor({ timeout: TIMEOUT });
  await row.click();
  await waitPreview('somefile.txt', '.text-preview');
  assert.ok((await page.textContent('#preview .text-preview .src')).length > 0);
  assert.match(await page.textContent('#preview .text-preview .ln'), /^1/);
  assert.match(page.url(), /path=somefile.txt/);
  await page.locator('#files').scrollIntoViewIfNeeded();
  await shot('04-preview-text');

  // Layer 0: filter by regex, keyboard down selects the next row.
  await clickLayer('0');
  await page.locator('#tree .row[data-path="bin"]').waitFor({ timeout: TIMEOUT });
  await page.fill('#filter', '/^etc\\/(passwd|group)$/');
  await page.waitForFunction(() => document.querySelector('#tree-info').textContent.includes('2 matches'), null, { timeout: TIMEOUT });
  const paths = await page.locator('#tree .row:not([hidden])').evaluateAll((rows) => rows.map((r) => r.dataset.path));
  assert.deepEqual(paths.sort(), ['etc', 'etc/group', 'etc/passwd']);
  await page.click('#tree .row[data-path="etc"]');
  await page.keyboard.press('ArrowDown');
  await page.waitForSelector('#tree .row.selected[data-path="etc/group"]');
  await waitPreview('etc/group', '.text-preview');
  assert.match(await page.textContent('#preview .text-preview .src'), /root/);
  assert.match(decodeURIComponent(page.url()), /filter=/);
  await page.fill('#filter', '');
  await shot('05-filter-keyboard');

  // A binary file shows as hex.
  await page.fill('#filter', 'bin/busybox');
  await page.click('#tree .row[data-path="bin/busybox"]');
  await waitPreview('bin/busybox', '.hex-preview');
  assert.match(await page.textContent('#preview .hex-preview'), /^00000000 {2}7f 45 4c 46/);
  await page.fill('#filter', '');
});

test('merged image: provenance, efficiency, wasted files, advice, export', SHARED, async () => {
  await page.click('#tab-efficiency');
  await page.waitForSelector('#efficiency', { timeout: TIMEOUT });
  assert.match(await page.textContent('#efficiency'), /^\d+(\.\d)?%$/);
  assert.ok((await page.locator('#advice li').count()) >= 1);
  assert.match(await page.textContent('#wasted'), /root\/example\/somefile1\.txt/);
  await page.locator('#analysis').scrollIntoViewIfNeeded();
  await shot('06a-efficiency-advice');

  await page.fill('#filter', '');
  await clickLayer('merged');
  await page.locator('#tree .row[data-path="bin"]').waitFor({ timeout: TIMEOUT });
  assert.equal(await page.locator('#tree .row[data-path="root/example"]').count(), 0, 'deleted by layer 9');
  // Merged rows carry the core's change word of the layer that provides
  // them: the same as `layerscope ls --merged --json` says.
  const mergedRows = await page.$$eval('#tree [role=treeitem]:not([hidden])', (rows) => rows.map((r) => [r.dataset.path, r.dataset.change ?? null]));
  assert.ok(mergedRows.length > 3 && mergedRows.every(([, c]) => c), `merged rows without data-change: ${JSON.stringify(mergedRows)}`);
  const cliBin = [resolve(webRoot, '../target/release/layerscope'), resolve(webRoot, '../target/debug/layerscope')].find(existsSync);
  if (cliBin) {
    const ls = JSON.parse(spawnSync(cliBin, ['ls', DOCKER, '--merged', '--json'], { encoding: 'utf8', maxBuffer: 1 << 28 }).stdout);
    const words = new Map(ls.entries.map((e) => [e.path, e.change]));
    assert.deepEqual(mergedRows, mergedRows.map(([p]) => [p, words.get(p) ?? 'not listed']));
  }
  await page.fill('#filter', 'saved.txt');
  const saved = page.locator('#tree .row[data-path="root/saved.txt"]');
  await saved.waitFor({ timeout: TIMEOUT });
  assert.match(await saved.textContent(), /L13/);
  assert.equal(await saved.getAttribute('data-change'), 'modified', 'added by layer 7, modified by layer 13');
  await saved.click();
  await waitPreview('root/saved.txt', '.text-preview');
  assert.match(await page.textContent('#preview'), /layer 7: added.*layer 13: modified/s);
  assert.match(page.url(), /layer=merged/);
  await page.locator('#files').scrollIntoViewIfNeeded();
  await shot('06b-merged-provenance');

  // Flattened rootfs export (chunked Blob fallback: no File System Access in the test).
  await page.evaluate(() => { delete window.showSaveFilePicker; window.showSaveFilePicker = undefined; });
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: TIMEOUT }), page.click('#export')]);
  const out = join(tmp, 'rootfs.tar');
  await download.saveAs(out);
  const tar = readFileSync(out);
  assert.ok(tar.length > 1024 && tar.length % 512 === 0, `tar of ${tar.length} bytes`);
  assert.equal(tar.subarray(257, 262).toString('latin1'), 'ustar');
  assert.ok(tarMembers(tar).some((m) => m.name.replace(/^\.?\//, '') === 'root/saved.txt'));
  assert.ok(!tarMembers(tar).some((m) => m.name.includes('root/example')));
  await page.waitForFunction(() => /Exported/.test(document.querySelector('#export-status').textContent));

  // Layer 3: "only wasted" shows the file layer 4 overwrote.
  await page.fill('#filter', '');
  await clickLayer('3');
  await page.locator('#tree .row').first().waitFor({ timeout: TIMEOUT });
  await page.check('#only-wasted');
  await page.waitForSelector('#tree .row[data-path="root/example/somefile1.txt"]', { timeout: TIMEOUT });
  assert.match(await page.textContent('#tree .row[data-path="root/example/somefile1.txt"]'), /wasted/);
  await page.locator('#files').scrollIntoViewIfNeeded();
  await shot('06c-only-wasted');
  await page.uncheck('#only-wasted');
});

test('comparing with a second image lists added, removed and changed files', SHARED, async () => {
  await page.setInputFiles('#compare-input', join(shared, 'go-containerregistry/tarball-test_image_1.tar'));
  await page.waitForSelector('#diff-summary', { timeout: TIMEOUT });
  await accessible('the comparison panel');
  const summary = await page.textContent('#diff-summary');
  assert.match(summary, /0 shared base layers/);
  assert.match(summary, /−\d+ removed/);
  assert.ok((await page.locator('#diff .diff-list.removed li').count()) > 10);
  assert.match(await page.textContent('#diff'), /Only in A:/);
  await page.locator('#diff').scrollIntoViewIfNeeded();
  await shot('06d-compare');
  await page.click('#diff-close');
  assert.ok(await page.locator('#diff').isHidden());
});

test('a 100,000-entry layer stays smooth (virtualized tree)', async () => {
  const path = join(tmp, 'big-image.tar');
  writeFileSync(path, bigImage(100, 1000));
  await openFile(path);
  assert.equal(await waitVerified(), 'all digests verified');
  await clickLayer('0');
  await page.waitForFunction(() => /100,101 paths/.test(document.querySelector('#tree-info').textContent), null, { timeout: TIMEOUT });
  const started = Date.now();
  await page.click('#expand-all');
  await page.waitForFunction(() => /100,101 rows shown/.test(document.querySelector('#tree-info').textContent), null, { timeout: TIMEOUT });
  const rendered = await page.locator('#tree .row:not([hidden])').count();
  assert.ok(rendered < 120, `only visible rows are in the DOM (${rendered})`);
  await page.$eval('#tree', (t) => { t.scrollTop = t.scrollHeight; });
  await page.waitForSelector('#tree .row[data-path="data/d099/f0999"]', { timeout: TIMEOUT });
  await page.click('#tree .row[data-path="data/d099/f0999"]');
  await page.keyboard.press('Home');
  await page.waitForSelector('#tree .row.selected[data-path="data"]', { timeout: TIMEOUT });
  await page.fill('#filter', '/f0999$/');
  await page.waitForFunction(() => /100 matches/.test(document.querySelector('#tree-info').textContent), null, { timeout: TIMEOUT });
  const elapsed = Date.now() - started;
  assert.ok(elapsed < 15000, `expand, scroll, filter took ${elapsed} ms`);
  await page.locator('#files').scrollIntoViewIfNeeded();
  await shot('06e-100k-entries');
  await page.fill('#filter', '');
});

test('a flipped byte shows a failed badge in words', SHARED, async () => {
  const bytes = readFileSync(DOCKER);
  const layer = tarMembers(bytes).filter((m) => m.name.endsWith('layer.tar')).sort((a, b) => b.size - a.size)[0];
  const corrupt = Buffer.from(bytes);
  corrupt[layer.offset + Math.floor(layer.size / 2)] ^= 0x01;
  const path = join(tmp, 'corrupt-docker-image.tar');
  writeFileSync(path, corrupt);
  await openFile(path);
  assert.match(await waitVerified(), /verification failed/);
  const bad = page.locator(`${LAYER_ROWS} .badge.mismatch, ${LAYER_ROWS} .badge.failed`);
  assert.equal(await bad.count(), 1);
  assert.match(await bad.textContent(), /digest mismatch|malformed tar|truncated/);
  // The badge shows the core's verdict word (docs/json.md `verdict`).
  assert.equal(await bad.textContent(), (await bad.getAttribute('data-verdict')).replace(/-/g, ' '));
  const detail = await page.locator('#layers .detail:not([hidden])').textContent();
  assert.match(detail, /expected sha256:[0-9a-f]{64}, actual sha256:[0-9a-f]{64}|malformed/);
  await shot('06-corrupt-mismatch');

  // Cut inside the largest layer: "truncated" (or an open error naming it).
  const cut = join(tmp, 'cut-docker-image.tar');
  writeFileSync(cut, bytes.subarray(0, layer.offset + 4096));
  await openFile(cut);
  await page.waitForSelector('#banner:not([hidden]), #overall-badge', { timeout: TIMEOUT });
  const text = (await page.textContent('body')).toLowerCase();
  assert.match(text, /truncated|ends early|malformed/);
  await shot('07-truncated');
});

test('a null manifest is a clear error', SHARED, async () => {
  await openFile(NULL_MANIFEST);
  await page.waitForSelector('#banner:not([hidden])', { timeout: TIMEOUT });
  assert.match(await page.textContent('#banner'), /FormatError.*manifest lists no images/s);
});

test('OCI archive, multi-image picker and layout folder', SHARED, async () => {
  await openFile(OCI_GZIP);
  assert.equal(await waitVerified(), 'all digests verified');
  assert.match(await page.textContent('#summary'), /OCI archive/);

  await openFile(BUNDLE);
  await page.waitForSelector('#image-picker-wrap:not([hidden])', { timeout: TIMEOUT });
  const options = await page.locator('#image-picker option').count();
  assert.ok(options >= 2);
  await waitVerified();
  const first = await page.textContent('#image-title');
  await page.selectOption('#image-picker', '1');
  await page.waitForFunction((t) => document.querySelector('#image-title').textContent !== t, first, { timeout: TIMEOUT });
  await waitVerified();
  await shot('08-image-picker');

  if (await page.locator('#close-image').isVisible()) await page.click('#close-image');
  await page.setInputFiles('#folder-input', LAYOUT);
  assert.match(await waitVerified(), /verified|verification failed|not fully/);
  assert.match(await page.textContent('#summary'), /OCI layout/);
  await shot('09-layout-folder');
});

test('opaque directory and multi-platform layout folder', async (t) => {
  const opaque = join(generated, 'opaque.oci-gzip.tar');
  const multi = join(generated, 'multiplatform.oci-layout');
  if (!existsSync(opaque) || !existsSync(multi)) { t.skip('generated fixtures absent'); return; }
  await openFile(opaque);
  assert.equal(await waitVerified(), 'all digests verified');
  await clickLayer('2');
  const row = page.locator('#tree .row[data-path="data/old"]');
  await row.waitFor({ timeout: TIMEOUT });
  assert.match(await row.textContent(), /opaque/);
  await page.locator('#files').scrollIntoViewIfNeeded();
  await shot('09a-opaque');

  await page.click('#close-image');
  await page.setInputFiles('#folder-input', multi);
  await waitVerified();
  await page.waitForSelector('#image-picker-wrap:not([hidden])');
  const options = await page.locator('#image-picker option').allTextContents();
  assert.ok(options.some((o) => o.includes('linux/amd64')) && options.some((o) => o.includes('linux/arm64')), options.join(' | '));
  const arm = await page.locator('#image-picker option', { hasText: 'linux/arm64' }).getAttribute('value');
  await page.selectOption('#image-picker', arm);
  await page.waitForFunction(() => /linux\/arm64/.test(document.querySelector('#image-subtitle').textContent), null, { timeout: TIMEOUT });
  await waitVerified();
  await clickLayer('0');
  await page.locator('#tree .row[data-path="etc/platform"]').waitFor({ timeout: TIMEOUT });
  await page.click('#tree .row[data-path="etc/platform"]');
  await waitPreview('etc/platform', '.text-preview');
  assert.match(await page.textContent('#preview .text-preview .src'), /arm64/);
  await shot('09b-multiplatform');
});

test('generated fixtures open and verify', async (t) => {
  if (!existsSync(generated)) { t.skip('tests/fixtures/generated is absent'); return; }
  const tars = readdirSync(generated).filter((f) => f.endsWith('.tar'));
  for (const name of tars) {
    await openFile(join(generated, name));
    const verdict = await Promise.race([
      waitVerified(),
      page.waitForSelector('#banner:not([hidden])', { timeout: TIMEOUT }).then(async () => `error: ${await page.textContent('#banner')}`),
    ]);
    // two-images and multi-platform inputs pick a default image; all must verify.
    assert.equal(verdict, 'all digests verified', `${name}: ${verdict}`);
  }
  await shot('10-generated-last');
});

test('the URL fragment restores layer, path and filter', SHARED, async () => {
  await page.goto(`${base}?restore=1#layer=9&path=root%2Fexample&filter=exam`);
  await page.setInputFiles('#file-input', DOCKER);
  await waitVerified();
  await page.waitForSelector('#tree .row.selected[data-path="root/example"]', { timeout: TIMEOUT });
  assert.equal(await page.inputValue('#filter'), 'exam');
  await waitPreview('root/example', 'dl');
  assert.match(await page.textContent('#preview'), /deleted in this layer/);
  await page.fill('#filter', '');
});

/** The bounding box of `selector`, or null. */
const box = (selector) => page.locator(selector).first().boundingBox();

/** The id (or `data-layer`/`data-panel`) of the focused element. */
const focused = () => page.evaluate(() => {
  const e = document.activeElement;
  return e?.id || e?.dataset?.layer || e?.dataset?.panel || e?.tagName;
});

test('two panes at 1280×800: layers and the tree side by side, driven by the keyboard', SHARED, async () => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await openFile(DOCKER);
  assert.equal(await waitVerified(), 'all digests verified');
  await page.fill('#filter', ''); // the place restored from the last test had one
  await clickLayer('0');
  await page.locator('#tree .row[data-path="bin"]').waitFor({ timeout: TIMEOUT });
  // Both panes (and the side panel) on screen, side by side, no page scroll.
  const [layers, tree, side] = [await box('#layers'), await box('#tree'), await box('.side-pane')];
  for (const [name, b] of [['layer list', layers], ['tree', tree], ['side panel', side]]) {
    assert.ok(b && b.x >= 0 && b.y >= 0 && b.x + b.width <= 1280 && b.y + b.height <= 800, `${name} on screen: ${JSON.stringify(b)}`);
    assert.ok(b.height >= 300, `${name} is tall enough: ${b.height}`);
  }
  assert.ok(layers.x + layers.width <= tree.x && tree.x + tree.width <= side.x, 'layers | tree | side panel');
  assert.ok(await page.evaluate(() => document.documentElement.scrollHeight <= window.innerHeight), 'the page itself does not scroll');

  // Layer list: one tab stop, arrows move the selection, the tree follows.
  assert.equal(await page.locator('#layers [role=option][tabindex="0"]').count(), 1);
  assert.equal(await focused(), 'layer-0');
  await page.keyboard.press('ArrowDown');
  await page.waitForSelector('#layers [data-layer="1"][aria-selected="true"]');
  await page.waitForSelector('#tree[data-layer="1"] .row[data-path="somefile.txt"]', { timeout: TIMEOUT });
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('ArrowUp');
  await page.waitForSelector('#layers [data-layer="merged"][aria-selected="true"]');
  await page.keyboard.press('End');
  await page.waitForSelector('#layers [data-layer="13"][aria-selected="true"]');
  for (let i = 0; i < 13; i++) await page.keyboard.press('ArrowUp');
  await page.waitForSelector('#layers [data-layer="0"][aria-selected="true"]');
  await page.locator('#tree[data-layer="0"] .row[data-path="bin"]').waitFor({ timeout: TIMEOUT });
  // One Tab leaves the list.
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => !!document.activeElement.closest('#layers')), false, 'one Tab leaves the list');
  await page.keyboard.press('Shift+Tab');
  assert.equal(await focused(), 'layer-0');

  // Enter moves to the tree; arrows select; → / ← expand and collapse.
  await page.keyboard.press('Enter');
  assert.equal(await focused(), 'tree');
  await page.waitForSelector('#tree .row[aria-selected="true"][data-path="bin"]');
  await page.keyboard.press('ArrowDown');
  await page.waitForSelector('#tree .row[aria-selected="true"]:not([data-path="bin"])');
  const etc = '#tree .row[data-path="etc"]';
  await page.click(`${etc} .name`);
  await page.waitForSelector(`${etc}[aria-selected="true"]`);
  const expanded = await page.getAttribute(etc, 'aria-expanded');
  await page.keyboard.press(expanded === 'true' ? 'ArrowLeft' : 'ArrowRight');
  await page.waitForSelector(`${etc}[aria-expanded="${expanded === 'true' ? 'false' : 'true'}"]`);
  await page.keyboard.press(expanded === 'true' ? 'ArrowRight' : 'ArrowLeft');
  await page.waitForSelector(`${etc}[aria-expanded="${expanded}"]`);
  if (expanded === 'false') await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowDown');
  await page.waitForSelector('#tree .row[aria-selected="true"][data-path^="etc/"]');
  // Enter previews in the File panel, even from another panel.
  await page.click('#tab-image');
  await page.click('#tree .row[aria-selected="true"] .name');
  await page.click('#tab-checks');
  await page.focus('#tree');
  const path = await page.getAttribute('#tree .row[aria-selected="true"]', 'data-path');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#tab-file[aria-selected="true"]');
  await waitPreview(path, 'dl');
  // Esc goes back to the layers, `/` to the filter, `t` to the tree, `l` to the layers.
  await page.keyboard.press('Escape');
  assert.equal(await focused(), 'layer-0');
  await page.keyboard.press('/');
  assert.equal(await focused(), 'filter');
  await page.keyboard.type('passwd');
  await page.waitForFunction(() => /\d match/.test(document.querySelector('#tree-info').textContent), null, { timeout: TIMEOUT });
  await page.locator('#tree .row[data-path="etc/passwd"]').waitFor({ timeout: TIMEOUT });
  await page.keyboard.press('Escape');
  assert.equal(await focused(), 'tree');
  await page.fill('#filter', '');
  await page.click('#tab-file');
  await page.keyboard.press('l');
  assert.equal(await focused(), 'layer-0');
  await page.keyboard.press('t');
  assert.equal(await focused(), 'tree');
  await shot('16-keyboard-two-panes');
});

test('Sizes: the treemap and the tree select each other; per-layer bytes; colours are the core change words', SHARED, async () => {
  await clickLayer('0');
  await page.click('#tab-sizes');
  const block = (p) => `#treemap .tm-block[data-path="${p}"]`;
  // The treemap opened on the folder of the path the tree has selected; go to the top.
  await page.click('#treemap-crumbs .crumb[data-id="-1"]');
  await page.waitForSelector(block('bin'), { timeout: TIMEOUT });
  assert.equal(await page.getAttribute('#treemap', 'data-layer'), '0');
  // The biggest file of layer 0 is busybox, here named bin/[: click its block.
  await page.click(block('bin/['));
  await page.waitForSelector('#tree .row[aria-selected="true"][data-path="bin/["]', { timeout: TIMEOUT });
  assert.match(await page.getAttribute(block('bin/['), 'class'), /\bselected\b/);
  assert.equal(await page.getAttribute('#tab-sizes', 'aria-selected'), 'true', 'the panel stays');
  // The reverse: a small file selected in the tree; the treemap opens its folder to show it.
  await page.fill('#filter', 'etc/passwd');
  await page.click('#tree .row[data-path="etc/passwd"] .name');
  await page.waitForSelector(`${block('etc/passwd')}.selected`, { timeout: TIMEOUT });
  assert.match(await page.textContent('#treemap-crumbs'), /layer 0 \/ etc/);
  await page.fill('#filter', '');
  // Back to the top through the breadcrumb; a double click drills into a folder.
  await page.click('#treemap-crumbs .crumb[data-id="-1"]');
  await page.waitForSelector(block('bin'));
  await page.dblclick(`${block('bin')}`, { position: { x: 20, y: 6 } });
  await page.waitForFunction(() => /layer 0 \/ bin/.test(document.querySelector('#treemap-crumbs').textContent));
  assert.equal(await page.locator('#treemap .tm-block[data-path="etc"]').count(), 0, 'only bin/ is drawn');

  // Per-layer bytes: one row per layer; a click selects the layer; colours follow the core's words.
  assert.equal(await page.locator('#layer-chart .lc-row').count(), 14);
  await page.click('#layer-chart .lc-row[data-layer="3"] .lc-label');
  await page.waitForSelector('#layers [data-layer="3"][aria-selected="true"]');
  await page.waitForSelector('#treemap[data-layer="3"] .tm-block[data-path]', { timeout: TIMEOUT });
  await page.click('#expand-all');
  const pairs = await page.evaluate(() => [...document.querySelectorAll('#treemap .tm-block[data-path]:not(.tm-dir)')].map((b) => {
    const row = [...document.querySelectorAll('#tree .row')].find((r) => r.dataset.path === b.dataset.path);
    return { path: b.dataset.path, cls: b.className, change: row?.dataset.change, wasted: !!row?.querySelector('.badge.wasted') };
  }));
  assert.ok(pairs.length >= 1, JSON.stringify(pairs));
  for (const p of pairs) {
    assert.ok(p.change, `tree row for ${p.path}`);
    assert.ok(p.cls.includes(p.wasted ? 'tm-wasted' : `tm-${p.change}`), `${p.path}: ${p.cls} for ${p.change}${p.wasted ? ' (wasted)' : ''}`);
  }
  assert.ok(pairs.some((p) => p.wasted), 'layer 3 has bytes a later layer hides');
  await accessible('the Sizes panel');
  await shot('18-sizes');
  await page.click('#tab-file');
});

test('the fragment carries the open panel; reopening the same file restores the place', SHARED, async () => {
  await clickLayer('9');
  await page.click('#tree .row[data-path="root/example"] .name');
  await page.click('#tab-checks');
  await page.waitForFunction(() => /panel=checks/.test(location.hash) && /layer=9/.test(location.hash) && /path=root%2Fexample/.test(location.hash));
  // Close, open something else, then the same file again.
  await openFile(OCI_GZIP);
  assert.equal(await waitVerified(), 'all digests verified');
  assert.equal(await page.getAttribute('#tab-file', 'aria-selected'), 'true', 'another file opens in its own place');
  await openFile(DOCKER);
  await page.waitForSelector('#layers [data-layer="9"][aria-selected="true"]', { timeout: TIMEOUT });
  await page.waitForSelector('#tree .row[aria-selected="true"][data-path="root/example"]', { timeout: TIMEOUT });
  assert.equal(await page.getAttribute('#tab-checks', 'aria-selected'), 'true');
  assert.ok(await page.isVisible('#checks'));
  // A link with a panel opens on it.
  await page.goto(`${base}?panel=1#layer=merged&panel=efficiency`);
  await page.setInputFiles('#file-input', DOCKER);
  await page.waitForSelector('#efficiency', { timeout: TIMEOUT });
  assert.equal(await page.getAttribute('#tab-efficiency', 'aria-selected'), 'true');
  await page.waitForSelector('#layers [data-layer="merged"][aria-selected="true"]');
  await page.click('#tab-file');
});

test('dropping a file on the page opens it', async () => {
  if (await page.locator('#close-image').isVisible()) await page.click('#close-image');
  const b64 = readFileSync(ANY_OCI).toString('base64');
  const dataTransfer = await page.evaluateHandle((data) => {
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], 'dropped-oci.tar', { type: 'application/x-tar' }));
    return dt;
  }, b64);
  await page.dispatchEvent('#dropzone', 'dragover', { dataTransfer });
  await page.dispatchEvent('#dropzone', 'drop', { dataTransfer });
  assert.equal(await waitVerified(), 'all digests verified');
  assert.match(await page.textContent('#image-subtitle'), /dropped-oci\.tar/);
});

test('the sample button opens the bundled sample image', async (t) => {
  if (await page.locator('#close-image').isVisible()) await page.click('#close-image');
  await page.click('#sample');
  if (!existsSync(join(webRoot, 'sample/sample-image.tar'))) {
    await page.waitForSelector('#banner:not([hidden])', { timeout: TIMEOUT });
    assert.match(await page.textContent('#banner'), /sample is not available/);
    t.skip('web/sample/sample-image.tar is not there yet');
    return;
  }
  assert.equal(await waitVerified(), 'all digests verified');
  assert.ok(await page.locator(LAYER_ROWS).count() >= 1);
  await shot('11-sample');
  // Dark theme and a narrow window still render.
  await page.click('#theme-toggle');
  await page.setViewportSize({ width: 560, height: 900 });
  await shot('12-sample-dark-narrow');
  await page.setViewportSize({ width: 1280, height: 800 });
});

test('the page shows itself: README and docs/page.md screenshots of the sample at 1280×800', async (t) => {
  const sample = join(webRoot, 'sample/sample-image.tar');
  const other = join(generated, 'multistep.oci-zstd.tar');
  if (!existsSync(sample) || !existsSync(other)) { t.skip('the sample or the generated fixtures are absent'); return; }
  mkdirSync(docShots, { recursive: true });
  await page.setViewportSize({ width: 1280, height: 800 });
  if (await theme() !== 'light') await page.click('#theme-toggle');
  if (await page.locator('#close-image').isVisible()) await page.click('#close-image');
  await shotTo(join(docShots, 'start.png'));
  await page.click('#sample');
  assert.equal(await waitVerified(), 'all digests verified');
  // The explorer: layer 3 changes the config file; its preview in the File panel.
  await clickLayer('3');
  await page.click('#tree .row[data-path="etc/app/config"] .name');
  await waitPreview('etc/app/config', '.text-preview');
  await page.mouse.move(0, 0);
  await shotTo(join(docShots, 'explorer.png'));
  // Each side panel, cropped to the panel.
  const side = await box('.side-pane');
  const panel = async (name, file) => {
    await page.click(`#tab-${name}`);
    await page.waitForSelector(`#tab-${name}[aria-selected="true"]`);
    await page.mouse.move(0, 0);
    await shotTo(join(docShots, file), side);
  };
  await panel('image', 'panel-image.png');
  await panel('checks', 'panel-verification.png');
  await clickLayer('1');
  await panel('sizes', 'panel-sizes.png');
  await page.waitForSelector('#treemap .tm-block[data-path]');
  await shotTo(join(docShots, 'panel-sizes.png'), side);
  await panel('efficiency', 'panel-efficiency.png');
  await page.setInputFiles('#compare-input', other);
  await page.waitForSelector('#diff-summary', { timeout: TIMEOUT });
  await page.mouse.move(0, 0);
  await shotTo(join(docShots, 'panel-comparison.png'), side);
  await page.click('#diff-close');
  await page.click('#tab-file');
});

/** Every file under `dir` as {relative path: base64}. */
function readTree(dir, prefix = '', out = {}) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) readTree(path, `${prefix}${name}/`, out);
    else out[prefix + name] = readFileSync(path).toString('base64');
  }
  return out;
}

test('dropping an OCI layout folder opens and verifies it', async (t) => {
  const folder = join(generated, 'multistep.oci-layout');
  if (!existsSync(folder)) { t.skip('generated fixtures absent'); return; }
  if (await page.locator('#close-image').isVisible()) await page.click('#close-image');
  // Also exercise the split verification (stored-blob hash as a job of its
  // own, with crypto.subtle for these small blobs) on every gzip layer.
  await page.evaluate(() => { window.layerscope.tuning.splitCompressed = 'always'; });
  // A real folder drop hands the page FileSystemDirectoryEntry objects that
  // a script cannot create; these stand-ins have the same shape
  // (createReader/readEntries, file()) over the folder's real bytes.
  await page.evaluate((files) => {
    const root = {};
    for (const [path, b64] of Object.entries(files)) {
      const parts = path.split('/');
      let dir = root;
      for (const p of parts.slice(0, -1)) dir = dir[p] ||= {};
      dir[parts.at(-1)] = new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], parts.at(-1));
    }
    const fileEntry = (name, file) => ({ isFile: true, isDirectory: false, name, file: (ok) => ok(file) });
    const dirEntry = (name, tree) => ({
      isFile: false, isDirectory: true, name,
      createReader() {
        // Like Chromium, hand out the entries in batches until an empty one.
        const all = Object.entries(tree).map(([n, v]) => (v instanceof File ? fileEntry(n, v) : dirEntry(n, v)));
        return { readEntries: (ok) => setTimeout(() => ok(all.splice(0, 2)), 0) };
      },
    });
    const drop = new Event('drop', { bubbles: true, cancelable: true });
    Object.defineProperty(drop, 'dataTransfer', { value: { items: [{ webkitGetAsEntry: () => dirEntry('multistep.oci-layout', root) }], files: [] } });
    document.querySelector('#dropzone').dispatchEvent(drop);
  }, readTree(folder));
  assert.equal(await waitVerified(), 'all digests verified');
  assert.match(await page.textContent('#summary'), /OCI layout/);
  assert.match(await page.textContent('#image-subtitle'), /multistep\.oci-layout/);
  assert.ok(await page.locator(LAYER_ROWS).count() >= 2);
  const stats = await page.evaluate(() => { window.layerscope.tuning.splitCompressed = true; return window.layerscope.state.scanStats; });
  assert.ok(stats.subtleHashes >= 2, `stored blobs hashed with crypto.subtle: ${stats.subtleHashes}`);
  await shot('13-layout-folder-drop');
});

/** The page's worker named `name` (Playwright gives no name, so ask it). */
async function workerNamed(name) {
  for (const w of page.workers()) {
    if (await w.evaluate(() => self.name).catch(() => null) === name) return w;
  }
  return null;
}

test('a trap in the main worker restarts it with a message; the page keeps working', async () => {
  if (await page.locator('#close-image').isVisible()) await page.click('#close-image');
  const main = await workerNamed('layerscope-main');
  assert.ok(main, 'the main worker exists');
  // Make the worker's next `open` run into a real WebAssembly trap: a module
  // whose only function is `unreachable`.
  await main.evaluate(() => {
    const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 7, 5, 1, 1, 116, 0, 0, 10, 5, 1, 3, 0, 0, 11]);
    const trap = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.t;
    self.layerscopeOps.open = () => trap();
  });
  await openFile(ANY_DOCKER);
  assert.equal(await waitVerified(), 'all digests verified', 'the image is opened again in a new worker');
  const banner = page.locator('#banner');
  await banner.waitFor({ state: 'visible', timeout: TIMEOUT });
  assert.match(await banner.textContent(), /crashed and was restarted.*unreachable.*opened again in a new worker/s);
  await shot('14-worker-trap');
  // The trapped worker is gone; a fresh one answers.
  const fresh = await workerNamed('layerscope-main');
  assert.ok(fresh && fresh !== main, 'a new main worker');
  assert.equal(await fresh.evaluate(() => self.layerscopeOps.open.name), 'open');
  // Another image still opens.
  await openFile(ANY_OCI);
  assert.equal(await waitVerified(), 'all digests verified');
  assert.equal(await page.isVisible('#banner'), false, 'the notice goes with the next image');
});

test('a trap in a scan worker replaces that worker; the layer is verified by the main session', async () => {
  if (await page.locator('#close-image').isVisible()) await page.click('#close-image');
  const helpers = [];
  for (const name of ['layerscope-scan-1', 'layerscope-scan-2', 'layerscope-scan-3', 'layerscope-scan-4']) {
    const w = await workerNamed(name);
    if (w) helpers.push([name, w]);
  }
  assert.ok(helpers.length, 'scan workers exist');
  // Every scan worker's next layer scan runs into a real WebAssembly trap.
  for (const [, w] of helpers) {
    await w.evaluate(() => {
      const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 7, 5, 1, 1, 116, 0, 0, 10, 5, 1, 3, 0, 0, 11]);
      const trap = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.t;
      self.layerscopeOps.scanRange = () => trap();
    });
  }
  await openFile(ANY_DOCKER);
  assert.equal(await waitVerified(), 'all digests verified', 'the main session scanned the layers the helpers lost');
  // The trapped helpers were replaced by fresh ones with working ops.
  for (const [name, old] of helpers) {
    const fresh = await workerNamed(name);
    assert.ok(fresh && fresh !== old, `${name} was replaced`);
    assert.equal(await fresh.evaluate(() => self.layerscopeOps.scanRange.name), 'scanRange');
  }
  // The next image is scanned by the new helpers.
  await openFile(ANY_OCI);
  assert.equal(await waitVerified(), 'all digests verified');
});

test('Cancel stops a long verification (a 1 GB gzip bomb) at once; the next image opens', async () => {
  await openFile(BOMB);
  const cancel = page.locator('#cancel');
  await cancel.waitFor({ state: 'visible', timeout: TIMEOUT });
  // Let the scan get going: inflating 1 GB takes seconds in wasm.
  await page.waitForTimeout(500);
  // Progress counts the uncompressed bytes too: the bar moves while 1 GB inflates out of 1 MB.
  await page.waitForFunction(() => {
    const p = window.layerscope.state.progress[0];
    return p && p.unpacked > 64 << 20 && p.done > 0;
  }, null, { timeout: 10_000 });
  assert.match(await page.textContent('#layers [data-layer="0"]'), /MiB unpacked/);
  assert.ok(Number(await page.getAttribute('#layers [data-layer="0"] [role=progressbar]', 'aria-valuenow')) > 0, 'the bar is not at 0 %');
  assert.equal(await page.locator('#overall-badge').count(), 0, 'still verifying when Cancel is pressed');
  const pressed = Date.now();
  await cancel.click();
  const banner = page.locator('#banner');
  await banner.waitFor({ state: 'visible', timeout: 5_000 });
  assert.match(await banner.textContent(), /cancelled/i);
  assert.ok(Date.now() - pressed < 3_000, `cancel took ${Date.now() - pressed} ms`);
  assert.equal(await cancel.isVisible(), false, 'nothing left to cancel');
  assert.equal((await page.textContent('#overall-badge')).trim(), 'verification cancelled');
  assert.equal((await page.textContent('#layers [data-layer="0"] .status')).trim(), 'not verified', 'the stopped layer is not left "in progress"');
  await shot('15-cancelled');
  await openFile(ANY_DOCKER);
  assert.equal(await waitVerified(), 'all digests verified', 'fresh workers verify the next image');
});

/** A docker-archive of two layers holding 144 MiB of incompressible data (one 48 MiB file deleted by a whiteout). */
function exportImage() {
  const mib = 1 << 20;
  const l1 = buildTar([
    { name: 'data/', type: '5' }, { name: 'data/a.bin', data: randomBytes(48 * mib) }, { name: 'data/b.bin', data: randomBytes(48 * mib) },
    { name: 'etc/', type: '5' }, { name: 'etc/motd', data: Buffer.from('hello\n') },
  ]);
  const l2 = buildTar([{ name: 'data/', type: '5' }, { name: 'data/.wh.b.bin' }, { name: 'data/c.bin', data: randomBytes(48 * mib) }]);
  const id = (b) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [id(l1), id(l2)] },
    history: [{ created_by: 'add a, b' }, { created_by: 'rm b; add c' }],
  }));
  const manifest = Buffer.from(JSON.stringify([{ Config: 'config.json', RepoTags: ['export:test'], Layers: ['1/layer.tar', '2/layer.tar'] }]));
  return buildTar([{ name: 'manifest.json', data: manifest }, { name: 'config.json', data: config }, { name: '1/layer.tar', data: l1 }, { name: '2/layer.tar', data: l2 }]);
}

/** Sorted "type name size" lines of a tar's members, names without a leading ./ and trailing /. */
function listing(tar) {
  return tarMembers(tar).filter((m) => !['x', 'g'].includes(m.type))
    .map((m) => `${m.type || '0'} ${m.name.replace(/^\.?\//, '').replace(/\/$/, '') || '.'} ${m.size}`).sort();
}

test('export streams to disk with bounded memory and matches layerscope flatten', async (t) => {
  const cli = [resolve(webRoot, '../target/release/layerscope'), resolve(webRoot, '../target/debug/layerscope')].find(existsSync);
  if (!cli) { t.skip('no layerscope binary (cargo build -p layerscope-cli)'); return; }
  const image = join(tmp, 'export-image.tar');
  writeFileSync(image, exportImage());
  await openFile(image);
  assert.equal(await waitVerified(), 'all digests verified');
  await page.waitForSelector('#layers [data-layer="merged"] .badge', { timeout: TIMEOUT });
  await clickLayer('merged');
  await page.locator('#tree .row[data-path="data"]').waitFor({ timeout: TIMEOUT });

  // Memory while exporting: the main worker's wasm memory, and the page's
  // JS heap plus ArrayBuffer backing stores (where posted chunks would pile up).
  const main = await workerNamed('layerscope-main');
  await main.evaluate(async () => {
    await self.layerscopeReady;
    self.__mem = (await (await import(new URL('./pkg/layerscope_wasm.js', self.location.href).href)).default()).memory;
  });
  const wasmBytes = () => main.evaluate(() => self.__mem.buffer.byteLength);
  const cdp = await page.context().newCDPSession(page);
  const heap = async () => {
    const u = await cdp.send('Runtime.getHeapUsage');
    return u.usedSize + (u.backingStorageSize || 0);
  };
  await cdp.send('HeapProfiler.collectGarbage');
  const before = { wasm: await wasmBytes(), heap: await heap() };
  const peak = { ...before };
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peak.wasm = Math.max(peak.wasm, await wasmBytes().catch(() => 0));
      peak.heap = Math.max(peak.heap, await heap().catch(() => 0));
      await new Promise((ok) => setTimeout(ok, 50));
    }
  })();
  await page.evaluate(() => { delete window.showSaveFilePicker; window.showSaveFilePicker = undefined; });
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: TIMEOUT }), page.click('#export')]);
  const out = join(tmp, 'export-rootfs.tar');
  await download.saveAs(out);
  await page.waitForFunction(() => /Exported/.test(document.querySelector('#export-status').textContent), null, { timeout: TIMEOUT });
  sampling = false;
  await sampler;
  const exported = readFileSync(out);
  const mib = (x) => `${(x / 2 ** 20).toFixed(1)} MiB`;
  t.diagnostic(`exported ${mib(exported.length)}; wasm memory ${mib(before.wasm)} → peak ${mib(peak.wasm)}; page heap + buffers ${mib(before.heap)} → peak ${mib(peak.heap)}`);
  assert.ok(exported.length > 96 * 2 ** 20, `exported ${exported.length} bytes`);
  // One 8 MiB read-ahead buffer and one 4 MiB output chunk, whatever the export's size.
  assert.ok(peak.wasm - before.wasm < 32 * 2 ** 20, `wasm memory grew by ${mib(peak.wasm - before.wasm)}`);
  assert.ok(peak.heap - before.heap < 32 * 2 ** 20, `page memory grew by ${mib(peak.heap - before.heap)}`);

  const cliOut = join(tmp, 'cli-rootfs.tar');
  const r = spawnSync(cli, ['flatten', image, '-o', cliOut], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const cliTar = readFileSync(cliOut);
  assert.deepEqual(listing(exported), listing(cliTar));
  assert.ok(listing(exported).some((l) => / data\/c\.bin 50331648$/.test(l)));
  assert.ok(!listing(exported).some((l) => /b\.bin/.test(l)), 'the whiteout removed data/b.bin');
  // Same bytes for the files, member for member.
  const data = (tar) => Object.fromEntries(tarMembers(tar).filter((m) => m.size).map((m) => [m.name.replace(/^\.?\//, ''), createHash('sha256').update(tar.subarray(m.offset, m.offset + m.size)).digest('hex')]));
  assert.deepEqual(data(exported), data(cliTar));
});

test('hostile text: HTML, script, control and bidi characters in every field are shown as text, with visible markers', async () => {
  const { bytes, expect } = hostileTextImage();
  const path = join(tmp, 'hostile-text.tar');
  writeFileSync(path, bytes);
  const dialogs = [];
  const onDialog = (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); };
  page.on('dialog', onDialog);
  await openFile(path);
  assert.equal(await waitVerified(), 'all digests verified');
  const last = (p) => p.split('/').pop();
  /** textContent and the markers' titles of the elements matching `selector`. */
  const shown = (selector) => page.$$eval(selector, (els) => els.map((e) => ({
    text: e.textContent, marks: [...e.querySelectorAll('.esc')].map((m) => m.title),
  })));
  const assertShown = (what, got, raw) => {
    assert.ok(got.some((g) => g.text.includes(visibleText(raw))), `${what}: ${JSON.stringify(visibleText(raw))} in ${JSON.stringify(got.map((g) => g.text))}`);
    if (needsMarkers(raw)) assert.ok(got.some((g) => g.text.includes(visibleText(raw)) && g.marks.length), `${what} has visible markers`);
  };

  // Title, tags, author, history (a layer and an empty entry).
  // The core names this docker-oci-archive by its OCI ref name (RepoTags are not shown).
  assertShown('title', await shown('#image-title'), expect.refName);
  assertShown('tag', await shown('#summary dd'), expect.refName);
  assertShown('author', await shown('#summary dd'), '<b>author</b>\x1b[5m');
  assertShown('history of layer 0', await shown('#layers [data-layer="0"] .cmd'), expect.history[0]);
  assertShown('empty history entry', await shown('#layers .empty-layer .cmd'), expect.history[1]);

  // The tree: every name, each row's text as a user sees it.
  await clickLayer('0');
  await page.locator('#tree .row').first().waitFor({ timeout: TIMEOUT });
  for (const name of [...expect.names, expect.symlink.name]) {
    const row = await page.$$eval('#tree .row', (rows, p) => {
      const r = rows.find((x) => x.dataset.path === p);
      return r && { text: r.querySelector('.name').textContent, marks: [...r.querySelectorAll('.esc')].map((m) => m.title), change: r.dataset.change };
    }, name);
    assert.ok(row, `a tree row for ${JSON.stringify(name)}`);
    assert.equal(row.text, visibleText(last(name)), `name ${JSON.stringify(name)}`);
    if (needsMarkers(last(name))) assert.ok(row.marks.length, `markers in ${JSON.stringify(name)}`);
  }
  // A user clicks the terminal-escape name: the preview's heading and the marker's tooltip.
  const evil = expect.names.find((n) => n.includes('\x1b'));
  await page.$$eval('#tree .row', (rows, p) => rows.find((x) => x.dataset.path === p).querySelector('.name').setAttribute('data-evil', ''), evil);
  await page.click('#tree .row .name[data-evil]');
  await page.waitForFunction((t) => document.querySelector('#preview h4')?.textContent === t, `/${visibleText(evil)}`, { timeout: TIMEOUT });
  const titles = await page.$$eval('#preview h4 .esc', (m) => m.map((x) => x.title));
  assert.ok(titles.includes('U+001B control character'), titles.join(', '));
  assert.ok(await page.locator('#preview h4 .esc').first().isVisible());
  // The symlink's target.
  await page.$$eval('#tree .row', (rows, p) => rows.find((x) => x.dataset.path === p).querySelector('.name').setAttribute('data-link', ''), expect.symlink.name);
  await page.click('#tree .row .name[data-link]');
  await waitPreview(expect.symlink.name, 'dl');
  assertShown('link target', await shown('#preview dd'), expect.symlink.target);
  // The bidi name: the override is a marker, so it cannot reorder what follows.
  const bidi = expect.names.find((n) => n.startsWith('\u202e'));
  const marks = await page.$$eval('#tree .row', (rows, p) => [...rows.find((x) => x.dataset.path === p).querySelectorAll('.esc')].map((m) => m.title), bidi);
  assert.deepEqual(marks, ['U+202E RIGHT-TO-LEFT OVERRIDE']);

  // The runtime config, in the Image panel.
  await page.click('#tab-image');
  const config = await shown('#config dd, #config li');
  for (const env of expect.env) assertShown('env', config, env);
  for (const [k, v] of Object.entries(expect.labels)) assertShown('label', config, `${k}=${v}`);
  assertShown('cmd', config, JSON.stringify(expect.cmd));
  assertShown('entrypoint', config, JSON.stringify(expect.entrypoint));
  assertShown('user', config, expect.user);
  assertShown('working dir', config, expect.workingDir);
  await shot('17-hostile-text');

  // Nothing from the image became markup, ran, or asked anything.
  const created = await page.evaluate(() => ({
    scripts: [...document.scripts].map((x) => x.getAttribute('src')),
    imgs: document.querySelectorAll('img').length,
    italics: document.querySelectorAll('i').length,
    bolds: [...document.querySelectorAll('b')].map((b) => b.textContent).filter((t) => ['bold', 'x', 'author', 'k'].includes(t)),
    handlers: document.querySelectorAll('[onerror], [onload], [onclick]').length,
  }));
  assert.deepEqual(created, { scripts: ['app.js'], imgs: 0, italics: 0, bolds: [], handlers: 0 });
  assert.deepEqual(dialogs, []);
  page.off('dialog', onDialog);
  await page.click('#tab-file');
});

test('the history of a file across layers and the diff of two versions, by clicks; the fragment restores both', async () => {
  const file = join(tmp, 'history.tar');
  writeFileSync(file, historyImage());
  await openFile(file);
  await waitVerified();
  await clickLayer('merged');
  await page.fill('#filter', 'app.conf');
  await page.click('#tree .row[data-path="etc/app.conf"]');
  await page.click('#tab-history');
  await page.waitForSelector('#timeline li[data-layer="3"]', { timeout: TIMEOUT });
  const steps = await page.locator('#timeline li.step').evaluateAll((rows) => rows.map((r) => [...r.children].map((c) => c.textContent)));
  assert.deepEqual(steps, [
    ['layer 0', 'added', '', 'COPY app.conf /etc/'],
    ['layer 1', 'modified', 'content', 'RUN edit /etc/app.conf'],
    ['layer 2', 'deleted', 'whiteout', 'RUN rm /etc/app.conf'],
    ['layer 3', 'added', '', 'RUN echo fresh > /etc/app.conf'],
  ]);
  // Two versions chosen: the unified diff with old and new line numbers.
  await page.selectOption('#diff-old', '0');
  await page.selectOption('#diff-new', '1');
  await page.click('#diff-show');
  await page.waitForSelector('#file-diff .udiff', { timeout: TIMEOUT });
  const lines = await page.locator('#file-diff .dline').evaluateAll((rows) => rows.map((r) => [...r.children].map((c) => c.textContent).join('|')));
  assert.deepEqual(lines, ['1|1| |one', '2||-|two', '|2|+|TWO', '3|3| |three']);
  assert.equal(await page.textContent('#file-diff .hunk'), '@@ -1,3 +1,3 @@');
  assert.match(page.url(), /panel=history/);
  assert.match(page.url(), /diff=0\.\.1/);
  await shot('12-history-diff');
  await page.fill('#filter', '');

  // The fragment alone: the path selected in the merged tree, its history and a diff.
  await page.goto(`${base}?restore=history#layer=merged&path=etc%2Fapp.conf&diff=1..3`);
  await page.setInputFiles('#file-input', file);
  await waitVerified();
  await page.waitForSelector('#tree .row.selected[data-path="etc/app.conf"]', { timeout: TIMEOUT });
  await page.waitForSelector('#timeline li[data-layer="2"][data-action="deleted"]', { timeout: TIMEOUT });
  await page.waitForSelector('#file-diff .udiff', { timeout: TIMEOUT });
  const restored = await page.locator('#file-diff .dline .tx').allTextContents();
  assert.deepEqual(restored, ['one', 'TWO', 'three', 'fresh']);
  assert.equal(await page.inputValue('#diff-old'), '1');
  assert.equal(await page.inputValue('#diff-new'), '3');
});

test('Packages: per-layer counts, the distribution, the panel for the merged image and a layer, filters, SBOM downloads', async () => {
  const file = join(tmp, 'packages.tar');
  writeFileSync(file, packagesImage(30));
  await openFile(file);
  assert.equal(await waitVerified(), 'all digests verified');
  // The layer rows count what each layer's package databases added, changed and removed.
  await page.waitForSelector('#layer-0 .pkg-counts', { timeout: TIMEOUT });
  assert.equal(await page.textContent('#layer-0 .pkg-counts'), ' · +30 packages');
  assert.equal(await page.textContent('#layer-1 .pkg-counts'), ' · +2 packages, 1 changed, −1 removed');
  await page.click('#tab-image');
  await page.waitForSelector('#summary-distro', { timeout: TIMEOUT });
  assert.equal(await page.textContent('#summary-distro'), 'Debian GNU/Linux 12 (bookworm)');

  // The merged image: every package present, the removed ones listed apart.
  await page.click('#tab-packages');
  await clickLayer('merged');
  await page.waitForFunction(() => document.querySelector('#packages-scope')?.textContent === 'merged image' && document.querySelectorAll('#packages-rows tr').length, null, { timeout: TIMEOUT });
  const names = () => page.locator('#packages-rows .pkg-name').evaluateAll((cells) => cells.map((c) => c.firstChild.textContent));
  assert.equal((await names()).length, 33);
  assert.deepEqual(await page.locator('#packages-removed-rows .pkg-name').allTextContents(), ['libtest2', 'requests']);
  await page.fill('#packages-filter', 'mus');
  assert.deepEqual(await names(), ['musl']);
  await page.fill('#packages-filter', '');
  await page.selectOption('#packages-ecosystem', 'npm');
  const cells = () => page.locator('#packages-rows tr').evaluateAll((rows) => rows.map((r) => [...r.children].map((c) => c.textContent)));
  assert.equal((await cells()).length, 2);
  await page.fill('#packages-filter', 'left');
  assert.deepEqual(await cells(), [['left-pad', '1.3.1', 'npm', '2', '3 upgraded', 'pkg:npm/left-pad@1.3.1']]);
  // Markup, a bidi override and an escape sequence from package.json are text with visible markers.
  await page.fill('#packages-filter', 'evil');
  assert.deepEqual((await cells())[0].slice(0, 2), [visibleText('evil<b>x</b>\u202etxt.exe'), visibleText('1.0.0\u001b[31m')]);
  assert.equal(await page.locator('#packages-rows b').count(), 0);
  assert.equal(await page.locator('#packages-rows .pkg-name .esc').count(), 1);
  await page.fill('#packages-filter', '');
  await page.selectOption('#packages-ecosystem', '');

  // Layer 1 as it leaves the image, then only what it changed (a click on the option's words).
  await clickLayer(1);
  await page.waitForFunction(() => document.querySelector('#packages-scope')?.textContent === 'as layer 1 leaves the image', null, { timeout: TIMEOUT });
  await page.getByText('only this layer’s changes').click();
  assert.deepEqual(await page.locator('#packages-rows tr').evaluateAll((rows) => rows.map((r) => [r.querySelector('.pkg-name').firstChild.textContent, r.querySelector('.badge')?.textContent])),
    [['libtest1', 'upgraded'], ['busybox', 'added'], ['musl', 'added']]);
  assert.deepEqual(await page.locator('#packages-removed-rows .pkg-name').allTextContents(), ['libtest2']);
  // docs/page.md's picture of the panel.
  if (await theme() !== 'light') await page.click('#theme-toggle');
  await accessible('the Packages panel with rows, badges and removed packages');
  await page.mouse.move(0, 0);
  await shotTo(join(docShots, 'panel-packages.png'), await box('.side-pane'));
  await page.getByText('only this layer’s changes').click();

  // Both SBOM documents download as valid JSON of their spec version.
  for (const [button, check] of [
    ['#sbom-cyclonedx', (d) => { assert.equal(d.bomFormat, 'CycloneDX'); assert.equal(d.specVersion, '1.6'); return d.components.map((c) => c.name); }],
    ['#sbom-spdx', (d) => { assert.equal(d.spdxVersion, 'SPDX-2.3'); return d.packages.map((p) => p.name); }],
  ]) {
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: TIMEOUT }), page.click(button)]);
    const out = join(tmp, download.suggestedFilename());
    await download.saveAs(out);
    const listed = check(JSON.parse(readFileSync(out, 'utf8')));
    for (const name of ['libtest1', 'musl', 'left-pad', 'evil<b>x</b>\u202etxt.exe']) assert.ok(listed.includes(name), `${button}: ${name} is listed`);
    assert.ok(!listed.includes('requests'), `${button}: a removed package is not listed`);
  }
  assert.match(await page.textContent('#sbom-status'), /^Saved packages_test\.spdx\.json$/);
});

test('the layer selected while verifying is verified next', async () => {
  const layers = [];
  for (let i = 0; i < 10; i++) layers.push([{ name: `l${i}/`, type: '5' }, { name: `l${i}/data.bin`, data: randomBytes(4 << 20) }]);
  const tars = layers.map((m) => gzipSync(buildTar(m), { level: 1 }));
  const diffIds = layers.map((m) => `sha256:${createHash('sha256').update(buildTar(m)).digest('hex')}`);
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: diffIds },
    history: layers.map((_, i) => ({ created_by: `layer ${i}` })),
  }));
  const names = tars.map((_, i) => `${i}/layer.tar.gz`);
  const manifest = Buffer.from(JSON.stringify([{ Config: 'config.json', RepoTags: ['queue:1'], Layers: names }]));
  const file = join(tmp, 'queue.tar');
  writeFileSync(file, buildTar([{ name: 'manifest.json', data: manifest }, { name: 'config.json', data: config }, ...tars.map((data, i) => ({ name: names[i], data }))]));
  await openFile(file);
  // Equal layers are queued in order: the last one would be verified last.
  await page.locator('#layers [data-layer="9"] .cmd').waitFor({ state: 'visible', timeout: TIMEOUT });
  // Layers keep ending while the test reaches the row: count those ended
  // at the moment of the click (same task as the click, so none slips in
  // between). Each worker may finish the job it holds at the click; every
  // later job must come after the selected layer.
  const endedAtClick = await page.evaluate(() => {
    const ended = window.layerscope.state.progress.filter((p) => p?.end != null).length;
    document.querySelector('#layers [data-layer="9"] .cmd').dispatchEvent(new MouseEvent('click', { bubbles: true }));
    return ended;
  });
  await page.waitForSelector('#layers [data-layer="9"][aria-selected="true"]', { timeout: TIMEOUT });
  assert.equal(await waitVerified(), 'all digests verified');
  const ends = await page.evaluate(() => window.layerscope.state.progress.map((p) => p.end));
  const workers = await page.evaluate(() => window.layerscope.state.scanStats.workers);
  assert.ok(endedAtClick + workers < 9, `the click came too late to tell (${endedAtClick} layers already verified)`);
  const before = ends.filter((e) => e < ends[9]).length;
  assert.ok(before <= endedAtClick + workers,
    `${before} layers ended before the selected one (${endedAtClick} before the click, ${workers} scan workers)`);
});

test('a layer still being verified shows its tree within 1 s, growing as it is read', async () => {
  // One gzip layer of 40,000 files (160 MiB of random data): seconds to verify in the page.
  const members = [];
  const data = randomBytes(160 << 20);
  for (let d = 0; d < 40; d++) {
    members.push({ name: `d${String(d).padStart(2, '0')}/`, type: '5' });
    for (let f = 0; f < 1000; f++) {
      const at = (d * 1000 + f) * 4096;
      members.push({ name: `d${String(d).padStart(2, '0')}/f${String(f).padStart(4, '0')}`, data: data.subarray(at, at + 4096) });
    }
  }
  const tar = buildTar(members);
  const gz = gzipSync(tar, { level: 1 });
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', config: {},
    rootfs: { type: 'layers', diff_ids: [`sha256:${createHash('sha256').update(tar).digest('hex')}`] },
    history: [{ created_by: 'add 40,000 files' }],
  }));
  const manifest = Buffer.from(JSON.stringify([{ Config: 'config.json', RepoTags: ['growing:1'], Layers: ['0/layer.tar.gz'] }]));
  const file = join(tmp, 'growing.tar');
  writeFileSync(file, buildTar([{ name: 'manifest.json', data: manifest }, { name: 'config.json', data: config }, { name: '0/layer.tar.gz', data: gz }]));
  await openFile(file);
  await page.locator('#layers [data-layer="0"] .cmd').waitFor({ state: 'visible', timeout: TIMEOUT });
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
  // The row's progress cell redraws many times a second, which keeps
  // playwright's click waiting for a stable box: the click event itself.
  const clicked = Date.now();
  await page.locator('#layers [data-layer="0"] .cmd').dispatchEvent('click');
  await page.waitForSelector('#tree[data-layer="0"][data-partial] [role=treeitem][data-path]', { timeout: 1000 });
  const shownAfter = Date.now() - clicked;
  assert.ok(shownAfter <= 1000, `rows after ${shownAfter} ms`);
  assert.equal(await page.locator('#overall-badge').count(), 0, 'still verifying when the rows show');
  assert.match(await page.textContent('#tree-info'), /being verified: [\d,]+ paths so far/);
  const first = await page.evaluate(() => window.layerscope.tree.count);
  // Previewing a file of the layer being read says so (no error), then
  // shows the file once the layer is verified.
  await page.click('#tab-file');
  await page.fill('#filter', 'd00/f0000');
  const row = page.locator('#tree [role=treeitem][data-path="d00/f0000"]');
  await row.waitFor({ timeout: TIMEOUT });
  await row.dispatchEvent('click');
  await page.waitForSelector('#preview #preview-waiting', { timeout: TIMEOUT });
  assert.equal(await page.locator('#preview .failure').count(), 0);
  await page.waitForFunction((n) => window.layerscope.tree.count > n, first, { timeout: TIMEOUT });
  assert.equal(await waitVerified(), 'all digests verified');
  await page.waitForFunction(() => !document.querySelector('#tree').dataset.partial && window.layerscope.tree.count === 40040, null, { timeout: TIMEOUT });
  assert.ok(first < 40040, `the first rows (${first}) are part of the layer`);
  await waitPreview('d00/f0000', '.hex-preview');
  assert.equal(await page.locator('#preview .failure').count(), 0);
  await page.fill('#filter', '');
});

test('nothing left the page except to its own origin', async () => {
  const origin = new URL(base).origin;
  const foreign = requests.filter((u) => !u.startsWith('blob:') && !u.startsWith('data:') && new URL(u).origin !== origin);
  assert.deepEqual(foreign, []);
  assert.deepEqual(pageErrors.filter((e) => !/Failed to load resource.*404/.test(e)), []);
});
