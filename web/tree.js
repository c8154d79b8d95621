// Virtualized file tree: a flat list of visible rows with a fixed row
// height; only the rows inside the viewport (plus a small margin) exist in
// the DOM, so layers with 100,000+ entries scroll smoothly.
//
// Data comes from Session.layerTable(): newline-joined paths plus kind,
// flag and size columns. Parents always come before their children.

import { formatBytes } from './ui/format.js';
import { setVisible, visibleText } from './text.js';

export const KIND = { FILE: 0, DIR: 1, SYMLINK: 2, HARDLINK: 3, CHAR: 4, BLOCK: 5, FIFO: 6, DELETED: 7 };
export const FLAG = { OPAQUE: 1, IMPLICIT: 2, ADDED: 4, MODIFIED: 8, WASTED: 16, UNCHANGED: 32, DELETED: 64 };
// Merged-view flags (same bits, other meaning).
export const MFLAG = { IMPLICIT: 2, MODIFIED_LATER: 4, HARDLINK_NAME: 8 };
const KIND_NAMES = ['file', 'dir', 'symlink', 'hardlink', 'char device', 'block device', 'fifo', 'deleted'];
const OVERSCAN = 12;

export class FileTree {
  constructor(container, spacer, { onSelect, onActivate, onChange } = {}) {
    this.container = container;
    this.spacer = spacer;
    this.onSelect = onSelect || (() => {});
    this.onActivate = onActivate || (() => {});
    this.onChange = onChange || (() => {});
    this.rowHeight = 24;
    this.pool = [];
    this.count = 0;
    this.rows = new Int32Array(0);
    this.depths = new Uint16Array(0);
    this.selected = -1;
    this.sortMode = 'name';
    this.filter = null;
    this.extra = null;
    this.merged = false;
    this.frame = 0;
    container.addEventListener('scroll', () => this.schedule());
    container.addEventListener('keydown', (e) => this.onKey(e));
    container.addEventListener('click', (e) => this.onClick(e));
    container.addEventListener('dblclick', (e) => this.onDoubleClick(e));
    new ResizeObserver(() => this.schedule()).observe(container);
  }

  clear(message) {
    this.count = 0;
    this.rows = new Int32Array(0);
    this.depths = new Uint16Array(0);
    this.selected = -1;
    this.message = message;
    this.render();
  }

  setData(table) {
    const paths = table.count ? table.paths.split('\n') : [];
    const n = paths.length;
    this.count = n;
    this.paths = paths;
    this.kinds = table.kinds;
    this.flags = table.flags;
    this.layers = table.layers || null;
    // The core's change word of each path (an index into changeNames; 255: none yet).
    this.changes = table.changes || null;
    this.changeNames = table.changeNames || [];
    this.merged = !!table.layers;
    this.rootOpaque = table.rootOpaque;
    const sizes = new Float64Array(n);
    for (let i = 0; i < n; i++) sizes[i] = Number(table.sizes[i]);
    this.sizes = sizes;
    this.names = new Array(n);
    this.parent = new Int32Array(n);
    const ids = new Map();
    for (let i = 0; i < n; i++) {
      const p = paths[i];
      ids.set(p, i);
      const slash = p.lastIndexOf('/');
      this.names[i] = slash < 0 ? p : p.slice(slash + 1);
      this.parent[i] = slash < 0 ? -1 : (ids.get(p.slice(0, slash)) ?? -1);
    }
    this.ids = ids;
    // Directory totals: children come after parents, so one reverse pass.
    const total = Float64Array.from(sizes);
    for (let i = n - 1; i >= 0; i--) if (this.parent[i] >= 0) total[this.parent[i]] += total[i];
    this.total = total;
    // Children lists.
    const counts = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) counts[this.parent[i] + 1]++;
    this.children = new Array(n + 1);
    for (let i = 0; i <= n; i++) this.children[i] = counts[i] ? [] : null;
    for (let i = 0; i < n; i++) this.children[this.parent[i] + 1].push(i);
    this.expanded = new Uint8Array(n);
    if (n <= 300) this.expanded.fill(1);
    this.selected = -1;
    this.message = n ? '' : 'This layer has no entries.';
    this.sortChildren();
    this.rebuild();
  }

  kindName(id) { return KIND_NAMES[this.kinds[id]] || 'entry'; }
  isDir(id) { return this.kinds[id] === KIND.DIR; }
  childList(id) { return this.children[id + 1]; }

  sortChildren() {
    if (!this.count) return;
    const { names, total, kinds } = this;
    const byName = (a, b) => {
      const da = kinds[a] === KIND.DIR, db = kinds[b] === KIND.DIR;
      if (da !== db) return da ? -1 : 1;
      return names[a] < names[b] ? -1 : names[a] > names[b] ? 1 : 0;
    };
    const bySize = (a, b) => total[b] - total[a] || byName(a, b);
    const cmp = this.sortMode === 'size' ? bySize : byName;
    for (const list of this.children) if (list && list.length > 1) list.sort(cmp);
  }

  setSort(mode) {
    this.sortMode = mode === 'size' ? 'size' : 'name';
    this.sortChildren();
    this.rebuild();
  }

  /** Sets the filter; returns an error message for an invalid regex. */
  setFilter(text, regex) {
    text = (text || '').trim();
    let test = null;
    if (text) {
      const slashed = /^\/(.+)\/([a-z]*)$/.exec(text);
      if (regex || slashed) {
        try {
          const re = slashed ? new RegExp(slashed[1], slashed[2].replace(/[gy]/g, '')) : new RegExp(text, 'i');
          test = (p) => re.test(p);
        } catch (e) {
          return `Invalid regular expression: ${e.message}`;
        }
      } else {
        const needle = text.toLowerCase();
        test = (p) => p.toLowerCase().includes(needle);
      }
    }
    this.filter = test;
    this.rebuild();
    return null;
  }

  /** An extra row predicate (id → bool), e.g. "only changes"; null for none. */
  setExtraFilter(predicate) {
    this.extra = predicate;
    this.rebuild();
  }

  rebuild() {
    const n = this.count;
    if (!n) { this.rows = new Int32Array(0); this.render(); this.onChange(); return; }
    let include = null;
    this.matches = 0;
    if (this.filter || this.extra) {
      include = new Uint8Array(n);
      const text = this.filter;
      const extra = this.extra;
      // Children come after parents: one reverse pass marks matches (2)
      // and their ancestors (1).
      for (let i = n - 1; i >= 0; i--) {
        if ((!text || text(this.paths[i])) && (!extra || extra(i))) { include[i] = 2; this.matches++; }
        const p = this.parent[i];
        if (include[i] && p >= 0 && !include[p]) include[p] = 1;
      }
    }
    this.include = include;
    const rows = [];
    const depths = [];
    const stack = [];
    const root = this.childList(-1) || [];
    for (let i = root.length - 1; i >= 0; i--) stack.push(root[i], 0);
    while (stack.length) {
      const depth = stack.pop();
      const id = stack.pop();
      if (include && !include[id]) continue;
      rows.push(id);
      depths.push(depth);
      const open = include ? true : this.expanded[id];
      const kids = open && this.childList(id);
      if (kids) for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i], depth + 1);
    }
    this.rows = Int32Array.from(rows);
    this.depths = Uint16Array.from(depths);
    this.spacer.style.height = `${rows.length * this.rowHeight}px`;
    this.render();
    this.onChange();
  }

  visibleCount() { return this.rows.length; }

  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => { this.frame = 0; this.render(); });
  }

  render() {
    const { container, rowHeight } = this;
    const total = this.rows.length;
    this.spacer.style.height = `${Math.max(total * rowHeight, 1)}px`;
    const top = container.scrollTop;
    const height = container.clientHeight || 400;
    const first = Math.max(0, Math.floor(top / rowHeight) - OVERSCAN);
    const last = Math.min(total, Math.ceil((top + height) / rowHeight) + OVERSCAN);
    const needed = Math.max(0, last - first);
    if (this.selectedRow() < first || this.selectedRow() >= last) this.container.removeAttribute('aria-activedescendant');
    while (this.pool.length < needed) {
      const div = document.createElement('div');
      div.className = 'row';
      div.setAttribute('role', 'treeitem');
      this.spacer.appendChild(div);
      this.pool.push(div);
    }
    for (let k = 0; k < this.pool.length; k++) {
      const div = this.pool[k];
      const r = first + k;
      if (k >= needed) {
        // A spare row says nothing: stale paths would match selectors.
        if (!div.hidden) {
          div.hidden = true;
          delete div.dataset.path;
          delete div.dataset.change;
          delete div.dataset.row;
          div.removeAttribute('aria-selected');
          div.className = 'row';
        }
        continue;
      }
      div.hidden = false;
      this.fillRow(div, r, k);
    }
  }

  /** The core's change word for row id `id` (`added`, `modified`, `deleted`, `unchanged`), or null. */
  changeWord(id) {
    return this.changes ? (this.changeNames[this.changes[id]] ?? null) : null;
  }

  fillRow(div, r, k) {
    const id = this.rows[r];
    const depth = this.depths[r];
    const kind = this.kinds[id];
    const flags = this.flags[id];
    const dir = kind === KIND.DIR;
    const kids = this.childList(id);
    const open = this.include ? true : !!this.expanded[id];
    const selected = r === this.selectedRow();
    const change = this.changeWord(id);
    div.id = `tree-row-${k}`;
    div.style.transform = `translateY(${r * this.rowHeight}px)`;
    div.style.paddingLeft = `${6 + depth * 16}px`;
    div.dataset.row = String(r);
    div.dataset.path = this.paths[id];
    if (change) div.dataset.change = change;
    else delete div.dataset.change;
    div.className = `row ${KIND_NAMES[kind].replace(' ', '-')}${flags & FLAG.IMPLICIT ? ' implicit' : ''}${selected ? ' selected' : ''}`;
    div.setAttribute('aria-level', String(depth + 1));
    div.setAttribute('aria-selected', selected ? 'true' : 'false');
    if (selected) this.container.setAttribute('aria-activedescendant', div.id);
    if (dir && kids) div.setAttribute('aria-expanded', open ? 'true' : 'false');
    else div.removeAttribute('aria-expanded');
    div.replaceChildren();
    const twisty = document.createElement('span');
    twisty.className = 'twisty';
    twisty.setAttribute('aria-hidden', 'true');
    twisty.textContent = dir && kids ? (open ? '▾' : '▸') : '';
    const name = document.createElement('span');
    name.className = 'name';
    setVisible(name, this.names[id] + (dir ? '/' : ''));
    name.title = visibleText(this.paths[id]);
    div.append(twisty, name);
    if (this.merged) {
      if (flags & MFLAG.MODIFIED_LATER) div.append(badge('modified', 'modified', 'Changed by a layer above the one that added it'));
      if (flags & MFLAG.HARDLINK_NAME) div.append(badge('pending', 'hard link', 'Another name of a hard-linked file'));
    } else {
      if (kind === KIND.DELETED) div.append(badge('deleted', 'deleted', 'A whiteout: this layer deletes the path'));
      if (flags & FLAG.OPAQUE) div.append(badge('opaque', 'opaque', 'Opaque directory: hides everything lower layers put here'));
      if (change === 'added') div.classList.add('added');
      if (change === 'modified') { div.classList.add('modified'); div.append(badge('modified', 'modified', 'Existed below; this layer changes it')); }
      if (flags & FLAG.WASTED) div.append(badge('wasted', 'wasted', 'These bytes are invisible in the final image (deleted or overwritten later)'));
    }
    if (kind === KIND.SYMLINK || kind === KIND.HARDLINK) {
      const meta = document.createElement('span');
      meta.className = 'meta';
      meta.textContent = kind === KIND.SYMLINK ? 'symlink' : 'hard link';
      div.append(meta);
    }
    if (this.layers) {
      const l = document.createElement('span');
      l.className = 'prov';
      l.textContent = this.layers[id] >= 0 ? `L${this.layers[id]}` : '';
      l.title = this.layers[id] >= 0 ? `Provided by layer ${this.layers[id]}` : '';
      div.append(l);
    }
    const size = document.createElement('span');
    size.className = 'size';
    size.textContent = kind === KIND.DELETED ? '' : (dir ? (kids ? formatBytes(this.total[id]) : '') : formatBytes(this.sizes[id]));
    div.append(size);
  }

  selectedRow() {
    if (this.selected < 0) return -1;
    if (this._selRowCache?.id === this.selected && this._selRowCache.rows === this.rows) return this._selRowCache.row;
    const row = this.rows.indexOf(this.selected);
    this._selRowCache = { id: this.selected, rows: this.rows, row };
    return row;
  }

  /**
   * Selects visible row `r`; `activate` also calls `onActivate(info, how)`
   * with `how` = `click`, `enter` or `move` (arrow keys).
   */
  selectRow(r, { activate = false, scroll = true, how = 'move' } = {}) {
    if (r < 0 || r >= this.rows.length) return;
    this.selected = this.rows[r];
    if (scroll) this.scrollToRow(r);
    this.render();
    this.onSelect(this.info(this.selected));
    if (activate) this.onActivate(this.info(this.selected), how);
  }

  info(id) {
    return {
      path: this.paths[id], name: this.names[id], kind: this.kindName(id), kindCode: this.kinds[id],
      size: this.sizes[id], total: this.total[id], opaque: !!(this.flags[id] & FLAG.OPAQUE),
      implicit: !!(this.flags[id] & FLAG.IMPLICIT), children: this.childList(id)?.length || 0,
      flags: this.flags[id], layer: this.layers ? this.layers[id] : null,
    };
  }

  scrollToRow(r) {
    const { container, rowHeight } = this;
    const top = r * rowHeight;
    if (top < container.scrollTop) container.scrollTop = top;
    else if (top + rowHeight > container.scrollTop + container.clientHeight) {
      container.scrollTop = top + rowHeight - container.clientHeight;
    }
  }

  /** Expands the ancestors of `path` and selects it; false when absent. */
  reveal(path) {
    const id = this.ids?.get(path.replace(/^\/+|\/+$/g, ''));
    if (id === undefined) return false;
    for (let p = this.parent[id]; p >= 0; p = this.parent[p]) this.expanded[p] = 1;
    this.rebuild();
    const r = this.rows.indexOf(id);
    if (r < 0) return false;
    this.selectRow(r);
    const { container, rowHeight } = this;
    container.scrollTop = Math.max(0, r * rowHeight - container.clientHeight / 3);
    this.render();
    return true;
  }

  toggle(id, open = !this.expanded[id]) {
    if (!this.childList(id) || this.include) return;
    this.expanded[id] = open ? 1 : 0;
    this.rebuild();
  }

  expandAll(open = true) {
    if (!this.count) return;
    this.expanded.fill(open ? 1 : 0);
    this.rebuild();
  }

  onClick(e) {
    const row = e.target.closest('.row');
    if (!row) return;
    const r = Number(row.dataset.row);
    const id = this.rows[r];
    if (e.target.classList.contains('twisty')) { this.toggle(id); this.selectRow(this.rows.indexOf(id), { scroll: false }); return; }
    this.selectRow(r, { activate: true, scroll: false, how: 'click' });
    this.container.focus({ preventScroll: true });
  }

  onDoubleClick(e) {
    const row = e.target.closest('.row');
    if (!row) return;
    const id = this.rows[Number(row.dataset.row)];
    if (this.isDir(id)) { this.toggle(id); this.selectRow(this.rows.indexOf(id), { scroll: false }); }
  }

  onKey(e) {
    if (!this.rows.length) return;
    let r = this.selectedRow();
    const page = Math.max(1, Math.floor(this.container.clientHeight / this.rowHeight) - 1);
    const id = r >= 0 ? this.rows[r] : -1;
    switch (e.key) {
      case 'ArrowDown': r = Math.min(this.rows.length - 1, r + 1); break;
      case 'ArrowUp': r = Math.max(0, r - 1); break;
      case 'PageDown': r = Math.min(this.rows.length - 1, r + page); break;
      case 'PageUp': r = Math.max(0, r - page); break;
      case 'Home': r = 0; break;
      case 'End': r = this.rows.length - 1; break;
      case 'ArrowRight':
        if (id >= 0 && this.childList(id)) {
          if (!this.expanded[id] && !this.include) { this.toggle(id, true); r = this.rows.indexOf(id); }
          else r = Math.min(this.rows.length - 1, r + 1);
        }
        break;
      case 'ArrowLeft':
        if (id >= 0 && this.childList(id) && this.expanded[id] && !this.include) { this.toggle(id, false); r = this.rows.indexOf(id); }
        else if (id >= 0 && this.parent[id] >= 0) r = this.rows.indexOf(this.parent[id]);
        break;
      case 'Enter': case ' ':
        if (id >= 0) {
          if (this.isDir(id)) this.toggle(id);
          this.selectRow(this.rows.indexOf(id), { activate: true, how: 'enter' });
        }
        e.preventDefault();
        return;
      default: return;
    }
    e.preventDefault();
    this.selectRow(Math.max(0, r), { activate: true });
  }
}

function badge(cls, text, title) {
  const b = document.createElement('span');
  b.className = `badge ${cls}`;
  b.textContent = text;
  b.title = title;
  return b;
}
