// Treemap layout (squarified, Bruls, Huizing and van Wijk 2000): pure
// functions, no DOM, so the node unit tests cover them
// (web/tests/treemap.test.mjs) and the Sizes panel only draws.

/**
 * Lays out `values` (positive numbers, sorted largest first) in the
 * rectangle {x, y, w, h}, areas proportional to the values, rows chosen so
 * that blocks stay close to square. Returns one {x, y, w, h} per value, in
 * the same order.
 */
export function squarify(values, rect) {
  const out = new Array(values.length);
  let total = 0;
  for (const v of values) total += v;
  if (!values.length || total <= 0 || rect.w <= 0 || rect.h <= 0) {
    for (let i = 0; i < values.length; i++) out[i] = { x: rect.x, y: rect.y, w: 0, h: 0 };
    return out;
  }
  const scale = (rect.w * rect.h) / total;
  let { x, y, w, h } = rect;
  let i = 0;
  while (i < values.length) {
    const side = Math.min(w, h);
    // Grow the row while the worst aspect ratio improves.
    let sum = values[i] * scale;
    let min = sum;
    let max = sum;
    let worst = ratio(sum, min, max, side);
    let j = i + 1;
    for (; j < values.length; j++) {
      const a = values[j] * scale;
      const s = sum + a;
      const nextWorst = ratio(s, Math.min(min, a), Math.max(max, a), side);
      if (nextWorst > worst) break;
      sum = s;
      min = Math.min(min, a);
      max = Math.max(max, a);
      worst = nextWorst;
    }
    // Lay the row along the shorter side.
    const thick = side > 0 ? sum / side : 0;
    let at = 0;
    for (let k = i; k < j; k++) {
      const len = thick > 0 ? (values[k] * scale) / thick : 0;
      out[k] = w >= h
        ? { x, y: y + at, w: thick, h: len }
        : { x: x + at, y, w: len, h: thick };
      at += len;
    }
    if (w >= h) { x += thick; w -= thick; } else { y += thick; h -= thick; }
    i = j;
  }
  return out;
}

/** The worst aspect ratio of a row of total area `sum` laid along `side`. */
function ratio(sum, min, max, side) {
  const s2 = side * side;
  const r2 = sum * sum;
  return Math.max((s2 * max) / r2, r2 / (s2 * min));
}

/**
 * The blocks of a treemap of `node` in `rect`: `children(id)` lists a
 * node's children (`-1` is the root), `size(id)` its bytes (a directory's
 * total). Directories whose block is at least `minFrame` px on both sides
 * get a frame with a `header` px title strip and are laid out inside, down
 * to `depth` levels; blocks under `minBlock` px on a side are merged into
 * one `rest` block per directory. At most `budget` blocks.
 * Returns [{id, x, y, w, h, depth, frame, rest?: {count, bytes}}].
 */
export function layout(root, rect, { children, size, depth = 3, minBlock = 3, minFrame = 48, header = 15, budget = 2500 }) {
  const blocks = [];
  const visit = (id, r, level) => {
    const kids = (children(id) || []).filter((k) => size(k) > 0).sort((a, b) => size(b) - size(a));
    if (!kids.length || r.w < 1 || r.h < 1) return;
    const rects = squarify(kids.map(size), r);
    let restCount = 0;
    let restBytes = 0;
    let restRect = null;
    for (let i = 0; i < kids.length; i++) {
      const b = rects[i];
      if (b.w < minBlock || b.h < minBlock || blocks.length >= budget) {
        // Everything from here on is at most this small: one block for the rest.
        for (let k = i; k < kids.length; k++) { restCount++; restBytes += size(kids[k]); }
        restRect = rects.slice(i).reduce((u, q) => union(u, q), null);
        break;
      }
      const id2 = kids[i];
      const sub = children(id2);
      const frame = level < depth && sub && sub.length > 0 && b.w >= minFrame && b.h >= minFrame;
      blocks.push({ id: id2, ...b, depth: level, frame });
      if (frame) visit(id2, { x: b.x + 2, y: b.y + header, w: b.w - 4, h: b.h - header - 2 }, level + 1);
    }
    if (restCount && restRect && restRect.w >= 1 && restRect.h >= 1) {
      blocks.push({ id: null, parent: id, ...restRect, depth: level, frame: false, rest: { count: restCount, bytes: restBytes } });
    }
  };
  visit(root, rect, 0);
  return blocks;
}

function union(a, b) {
  if (!a) return { ...b };
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return { x, y, w: Math.max(a.x + a.w, b.x + b.w) - x, h: Math.max(a.y + a.h, b.y + b.h) - y };
}
