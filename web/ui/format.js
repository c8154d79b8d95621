// Formatting of numbers, sizes, digests, commands and modes for display.
// Pure functions (no DOM), shared by every view.

/** A wasm number (u64 arrives as a BigInt when it is large) as a JS number. */
export const num = (v) => (typeof v === 'bigint' ? Number(v) : (v ?? 0));

/** Bytes in binary units: `512 B`, `1.5 KiB`, `230 MiB`. */
export function formatBytes(n) {
  n = num(n);
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let u = -1;
  do { n /= 1024; u++; } while (n >= 1024 && u < units.length - 1);
  return `${n < 100 ? n.toFixed(1) : Math.round(n)} ${units[u]}`;
}

/** A count with thousands separators. */
export const count = (v) => num(v).toLocaleString('en');

/** A fraction as a percentage with one decimal. */
export const pct = (x) => `${(x * 100).toFixed(1)}%`;

/** The first 12 hex digits of a digest (`sha256:abc…` → `abc…`), or `—`. */
export function short(digest) {
  if (!digest) return '—';
  const [, hex = digest] = String(digest).split(':');
  return hex.slice(0, 12);
}

/** A history `created_by` without the shell wrapper Docker adds. */
export function cleanCommand(cmd) {
  if (!cmd) return '';
  return cmd.replace(/^\/bin\/sh -c #\(nop\)\s*/, '').replace(/^\/bin\/sh -c /, 'RUN ').replace(/\s+#\s*buildkit$/, '');
}

/** The archive format the core reports, in words. */
export function formatName(f) {
  return {
    'docker-archive': 'docker-archive', 'docker-oci-archive': 'docker-archive with OCI layout',
    'oci-archive': 'OCI archive', 'oci-layout': 'OCI layout directory',
  }[f] || f;
}

/** `drwxr-xr-x (0755)` for a mode and the core's kind word. */
export function modeString(mode, kind) {
  const t = { dir: 'd', symlink: 'l', 'char-device': 'c', 'block-device': 'b', fifo: 'p' }[kind] || '-';
  let s = t;
  for (let shift = 6; shift >= 0; shift -= 3) {
    const bits = (num(mode) >> shift) & 7;
    s += (bits & 4 ? 'r' : '-') + (bits & 2 ? 'w' : '-') + (bits & 1 ? 'x' : '-');
  }
  return `${s} (${(num(mode) & 0o7777).toString(8).padStart(4, '0')})`;
}

/** Seconds since the epoch as an ISO time without milliseconds. */
export function isoTime(seconds) {
  const d = new Date(num(seconds) * 1000);
  return Number.isNaN(d.getTime()) ? String(seconds) : d.toISOString().replace('.000Z', 'Z');
}

/** `1 layer`, `3 layers`. */
export const plural = (n, word, many = `${word}s`) => `${count(n)} ${num(n) === 1 ? word : many}`;
