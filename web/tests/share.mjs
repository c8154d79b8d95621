// Browser test of the multi-image view (issue 11) with playwright-core and
// the system Chromium, on the generated fixtures: three image files
// dropped at once show the sharing matrix (images × layers) with the
// common base highlighted, the totals and the stacked bars; an image is
// explored and the view comes back; "Add image…" adds one; the
// cache-order advice reaches the single-image view's advice list; and the
// comparison names the first divergent layer and the rebuild cost.
//
//   node --test web/tests/share.mjs          (serves web/ itself)
//   LAYERSCOPE_URL=http://127.0.0.1:8080/ node --test web/tests/share.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, baseUrl, launch } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const webRoot = resolve(here, '..');
const generated = resolve(here, '../../tests/fixtures/generated');
const shots = resolve(here, '../../tests/artifacts/screenshots');
const TIMEOUT = 60_000;

let server;
let browser;
let page;
const errors = [];

before(async () => {
  assert.ok(existsSync(join(webRoot, 'pkg/layerscope_wasm.js')), 'web/pkg is missing: run cargo xtask wasm');
  mkdirSync(shots, { recursive: true });
  const url = process.env.LAYERSCOPE_URL || baseUrl(server = await serve(webRoot));
  browser = await launch();
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(url);
  await page.waitForSelector('#choose-many');
});

after(async () => {
  await browser?.close();
  server?.close();
});

/** Drops `files` (paths) on the drop zone at once. */
async function drop(files) {
  const payload = files.map((path) => ({ name: path.split('/').pop(), b64: readFileSync(path).toString('base64') }));
  const dataTransfer = await page.evaluateHandle((items) => {
    const dt = new DataTransfer();
    for (const { name, b64 } of items) {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      dt.items.add(new File([bytes], name, { type: 'application/x-tar' }));
    }
    return dt;
  }, payload);
  await page.dispatchEvent('#dropzone', 'dragover', { dataTransfer });
  await page.dispatchEvent('#dropzone', 'drop', { dataTransfer });
}

async function waitShare(images) {
  await page.waitForFunction((n) => {
    const section = document.querySelector('#share');
    return section && !section.hidden && document.querySelector('#share-title')?.textContent === `${n} images`
      && document.querySelectorAll('#share-bars .share-bar-row').length === n;
  }, images, { timeout: TIMEOUT });
}

test('three images dropped at once: matrix, common base, totals, bars', async () => {
  await drop([
    join(generated, 'multistep.docker.tar'),
    join(generated, 'two-images.oci.tar'),
    join(generated, 'multistep.oci-zstd.tar'),
  ]);
  // two-images.oci.tar holds two images: four in all.
  await waitShare(4);
  const rows = page.locator('#share-matrix tbody tr');
  assert.equal(await rows.count(), 5, 'the four base layers and the umoci layer');
  assert.equal(await page.locator('#share-matrix tbody tr.base').count(), 4, 'the common base is highlighted');
  const umoci = page.locator('#share-matrix tbody tr:not(.base)');
  assert.deepEqual(await umoci.locator('td.img').evaluateAll((cells) => cells.map((c) => c.classList.contains('used'))),
    [false, false, true, false], 'only image #2 (umoci, the second of two-images.oci.tar) uses the last layer');
  assert.match(await page.textContent('#share-subtitle'), /common base: 4 layers/);
  assert.match(await page.textContent('#share-totals'), /Saved by sharing/);
  assert.match(await page.textContent('#share-totals'), /not comparable/, 'plain, gzip and zstd copies of one layer');
  assert.match(await page.textContent('#share-bars'), /two-images\.oci\.tar #1/);
  assert.equal(await page.locator('#share-bars .share-bar .seg-own').count(), 1, 'only the umoci image has bytes of its own');
  assert.match(await page.textContent('#share-base'), /4 layers/);
  await page.screenshot({ path: join(shots, 'share-01-matrix.png'), fullPage: true });
});

test('an unreadable input is named, visibly escaped, and the others are analysed', async () => {
  await page.click('#share-close');
  const dataTransfer = await page.evaluateHandle((b64) => {
    const dt = new DataTransfer();
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    dt.items.add(new File([bytes], 'a.tar', { type: 'application/x-tar' }));
    dt.items.add(new File([bytes.slice(0, 700)], 'cut\u202e<b>x</b>.tar', { type: 'application/x-tar' }));
    dt.items.add(new File([bytes], 'a-copy.tar', { type: 'application/x-tar' }));
    return dt;
  }, readFileSync(join(generated, 'multistep.docker.tar')).toString('base64'));
  await page.dispatchEvent('#dropzone', 'drop', { dataTransfer });
  await waitShare(2);
  const problem = page.locator('#share-problems li.failure');
  assert.equal(await problem.count(), 1);
  assert.equal(await problem.locator('span.esc').count(), 1, 'the bidi override is a visible marker');
  assert.equal(await problem.locator('b b').count(), 0, 'markup in a name stays text');
  assert.match(await problem.textContent(), /cut\\u\{202e\}<b>x<\/b>\.tar/);
  await page.click('#share-close');
  await drop([
    join(generated, 'multistep.docker.tar'),
    join(generated, 'two-images.oci.tar'),
    join(generated, 'multistep.oci-zstd.tar'),
  ]);
  await waitShare(4);
});

test('an image of the set is explorable and the view comes back', async () => {
  await page.click('#share-matrix button[data-image="2"]');
  await page.waitForSelector('#image:not([hidden])', { timeout: TIMEOUT });
  await page.waitForFunction(() => /umoci/.test(document.querySelector('#image-title').textContent), null, { timeout: TIMEOUT });
  assert.ok(await page.locator('#share').isHidden());
  await page.click('#share-back');
  await page.waitForSelector('#share:not([hidden])');
  assert.ok(await page.locator('#image').isHidden());
  assert.equal(await page.locator('#share-matrix tbody tr').count(), 5);
});

test('Add image… adds to the set; a repeated file counts once', async () => {
  await page.setInputFiles('#share-add', [join(generated, 'multistep.oci-gzip.tar')]);
  await waitShare(5);
  await page.setInputFiles('#share-add', [join(generated, 'multistep.oci-gzip.tar')]);
  await page.waitForFunction(() => /counted once/.test(document.querySelector('#share-problems').textContent), null, { timeout: TIMEOUT });
  assert.equal(await page.textContent('#share-title'), '5 images');
  await page.click('#share-close');
  await page.waitForSelector('#start:not([hidden])');
});

test('the cache-order advice shows in the page', async () => {
  await page.setInputFiles('#folder-input', join(generated, 'reuse.oci-layout'));
  await page.waitForSelector('#image-picker-wrap:not([hidden])', { timeout: TIMEOUT });
  const bad = await page.locator('#image-picker option', { hasText: 'cache-bad' }).getAttribute('value');
  await page.selectOption('#image-picker', bad);
  await page.waitForFunction(() => /cache-bad/.test(document.querySelector('#image-title').textContent), null, { timeout: TIMEOUT });
  await page.waitForFunction(() => /copies application files/.test(document.querySelector('#advice')?.textContent || ''), null, { timeout: TIMEOUT });
  assert.match(await page.textContent('#advice'), /before layer 6 \(apt-get\) installs dependencies/);
  await page.click('#tab-efficiency');
  await page.locator('#advice').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(shots, 'share-02-cache-order.png') });
});

test('the comparison names the first divergent layer and the rebuild cost', async () => {
  await page.click('#close-image');
  await page.setInputFiles('#file-input', join(generated, 'multistep.docker.tar'));
  await page.waitForSelector('#overall-badge', { timeout: TIMEOUT });
  await page.waitForFunction(() => /verified/.test(document.querySelector('#overall-badge').textContent), null, { timeout: TIMEOUT });
  await page.setInputFiles('#compare-input', join(generated, 'opaque.oci-gzip.tar'));
  await page.waitForSelector('#diff-rebuild', { timeout: TIMEOUT });
  const text = await page.textContent('#diff-rebuild');
  assert.match(text, /B diverges from A at layer 1/);
  assert.match(text, /redoes 2 layers from there; 2 of them are not in A: 551 B to push and to pull/);
  assert.deepEqual(errors, [], 'no page errors');
});
