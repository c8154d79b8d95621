// Unit tests of the treemap layout (web/ui/treemap.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { squarify, layout } from '../ui/treemap.js';

const area = (r) => r.w * r.h;
const inside = (r, o) => r.x >= o.x - 1e-6 && r.y >= o.y - 1e-6 && r.x + r.w <= o.x + o.w + 1e-6 && r.y + r.h <= o.y + o.h + 1e-6;
const overlap = (a, b) => Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x) > 1e-6 && Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y) > 1e-6;

test('squarify: areas proportional to values, inside the rectangle, no overlap', () => {
  const rect = { x: 10, y: 20, w: 600, h: 400 };
  const values = [6, 6, 4, 3, 2, 2, 1];
  const rects = squarify(values, rect);
  const total = values.reduce((a, b) => a + b, 0);
  rects.forEach((r, i) => {
    assert.ok(Math.abs(area(r) - (values[i] / total) * area(rect)) < 1e-6, `block ${i}`);
    assert.ok(inside(r, rect), `block ${i} inside`);
  });
  for (let i = 0; i < rects.length; i++) for (let j = i + 1; j < rects.length; j++) assert.ok(!overlap(rects[i], rects[j]), `${i} and ${j} overlap`);
  // Squarified: the worst aspect ratio stays small for this classic input.
  const worst = Math.max(...rects.map((r) => Math.max(r.w / r.h, r.h / r.w)));
  assert.ok(worst < 3, `worst aspect ratio ${worst}`);
});

test('squarify: empty, zero total and degenerate rectangles give empty blocks', () => {
  assert.deepEqual(squarify([], { x: 0, y: 0, w: 10, h: 10 }), []);
  assert.deepEqual(squarify([0, 0], { x: 1, y: 2, w: 10, h: 10 }).map(area), [0, 0]);
  assert.deepEqual(squarify([1], { x: 0, y: 0, w: 0, h: 10 }).map(area), [0]);
});

test('layout: directories framed and laid out inside, tiny blocks merged, budget kept', () => {
  // root → a (dir: 100 files of 1) , b (file 100), c … (1,000 files of 0.001)
  const kids = new Map();
  const sizes = new Map();
  kids.set(-1, ['a', 'b', ...Array.from({ length: 1000 }, (_, i) => `c${i}`)]);
  kids.set('a', Array.from({ length: 100 }, (_, i) => `a/${i}`));
  sizes.set('b', 100);
  for (let i = 0; i < 100; i++) sizes.set(`a/${i}`, 1);
  sizes.set('a', 100);
  for (let i = 0; i < 1000; i++) sizes.set(`c${i}`, 0.001);
  const rect = { x: 0, y: 0, w: 400, h: 300 };
  const blocks = layout(-1, rect, { children: (id) => kids.get(id), size: (id) => sizes.get(id) || 0 });
  const a = blocks.find((b) => b.id === 'a');
  assert.ok(a.frame, 'a is a frame');
  const inA = blocks.filter((b) => typeof b.id === 'string' && b.id.startsWith('a/'));
  assert.ok(inA.length > 50, `a's files drawn inside it (${inA.length})`);
  for (const b of inA) assert.ok(inside(b, a), 'inside a');
  const rest = blocks.find((b) => b.rest && b.parent === -1);
  assert.ok(rest && rest.rest.count === 1000, 'the 1,000 tiny files are one block');
  for (const b of blocks) assert.ok(inside(b, rect));
  const few = layout(-1, rect, { children: (id) => kids.get(id), size: (id) => sizes.get(id) || 0, budget: 10 });
  assert.ok(few.filter((b) => !b.rest).length <= 10);
});
