// Unit test of web/ui/share-model.js (node --test web/tests/share-model.test.mjs):
// the share report (shape of `layerscope share --json`) laid out as the
// multi-image view shows it: matrix, stacked bars, labels, problems, totals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bars, imageLabel, matrix, problems, totals } from '../ui/share-model.js';

const d = (c) => `sha256:${c.repeat(64)}`;

/** Three images: a and b share a two-layer base; c (in the same file as b) shares one layer. */
const report = {
  inputs: [
    { name: 'a.tar', status: 'analysed', sameAs: null, images: [0], errors: [] },
    { name: 'bc.tar', status: 'analysed', sameAs: null, images: [1, 2], errors: [] },
    { name: 'a.tar', status: 'duplicate', sameAs: 0, images: [], errors: [] },
    { name: 'bad\u001b.tar', status: 'unreadable', sameAs: null, images: [], errors: [{ listingIndex: null, kind: 'NotAnImageError', message: 'not a container image' }] },
  ],
  images: [
    { input: 0, name: 'a.tar', listingIndex: 0, tags: ['a:1'], layers: [d('1'), d('2'), d('3')], uncompressedSize: 700, aboveBaseUncompressed: 100, exclusiveUncompressed: 100 },
    { input: 1, name: 'bc.tar', listingIndex: 0, tags: [], layers: [d('1'), d('2'), d('4')], uncompressedSize: 850, aboveBaseUncompressed: 250, exclusiveUncompressed: 50 },
    { input: 1, name: 'bc.tar', listingIndex: 1, tags: ['c:1'], layers: [d('1'), d('2'), d('4')], uncompressedSize: 10n, aboveBaseUncompressed: 0, exclusiveUncompressed: 0 },
  ],
  layers: [
    { diffId: d('1'), images: [0, 1, 2], uncompressedSize: 500, sizeSource: 'stored-uncompressed', createdBy: 'ADD rootfs /', inBase: true },
    { diffId: d('2'), images: [0, 1, 2], uncompressedSize: 100, sizeSource: 'inflated', createdBy: 'RUN apt-get install x', inBase: true },
    { diffId: d('3'), images: [0], uncompressedSize: 100, sizeSource: 'inflated', createdBy: 'COPY . /a', inBase: false },
    { diffId: null, images: [1], uncompressedSize: null, sizeSource: null, sizeError: 'no input holds its blob', createdBy: null, inBase: false },
  ],
  bytes: { sumUncompressed: 1560, uniqueUncompressed: 700, savedUncompressed: 860, unsizedLayers: 1, sumStored: 900, uniqueStored: null, savedStored: null, storedComparable: false },
  commonBase: { layers: 2, diffIds: [d('1'), d('2')], uncompressedSize: 600, history: [], annotations: [] },
  verified: null,
  warnings: [],
};

test('labels name the tag and the file, with #N in a multi-image file', () => {
  assert.deepEqual(imageLabel(report, 0), { tag: 'a:1', source: 'a.tar' });
  assert.deepEqual(imageLabel(report, 1), { tag: 'untagged', source: 'bc.tar #0' });
  assert.deepEqual(imageLabel(report, 2), { tag: 'c:1', source: 'bc.tar #1' });
});

test('the matrix has a row per distinct layer and a cell per image', () => {
  const rows = matrix(report);
  assert.equal(rows.length, 4);
  assert.deepEqual(rows.map((r) => r.cells), [
    [true, true, true], [true, true, true], [true, false, false], [false, true, false],
  ]);
  assert.deepEqual(rows.map((r) => r.inBase), [true, true, false, false]);
  assert.equal(rows[0].short, '111111111111');
  assert.equal(rows[3].short, '—');
  assert.equal(rows[3].size, null, 'unknown size stays unknown');
  assert.equal(rows[3].sizeError, 'no input holds its blob');
});

test('bars stack base, shared above the base, and own bytes', () => {
  const b = bars(report);
  assert.deepEqual(b[0].parts, { base: 600, shared: 0, own: 100 });
  assert.deepEqual(b[1].parts, { base: 600, shared: 200, own: 50 });
  assert.equal(b[1].fraction, 1, 'the largest image is the full width');
  assert.equal(b[2].total, 10, 'BigInt sizes become numbers');
  assert.ok(b[0].fraction < 1);
});

test('problems list duplicates and unreadable inputs by name', () => {
  const p = problems(report);
  assert.deepEqual(p.map((x) => [x.name, x.kind]), [['a.tar', 'duplicate'], ['bad\u001b.tar', 'NotAnImageError']]);
  assert.match(p[0].message, /counted once/);
});

test('totals keep not-comparable stored sums as null', () => {
  const t = totals(report);
  assert.equal(t.savedUncompressed, 860);
  assert.equal(t.uniqueStored, null);
  assert.equal(t.storedComparable, false);
});
