// The ustar header block the browser tests and benchmarks build their
// layers from (e2e.mjs, bench.mjs, packages-image.mjs), and the tar of them.

/**
 * A 512-byte ustar header: numbers in octal, owner 0:0, mode 0755 for a
 * directory (type '5') and 0644 otherwise, checksum filled in.
 */
export function tarHeader(name, size, type = '0') {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'latin1');
  h.write(`${(type === '5' ? 0o755 : 0o644).toString(8).padStart(7, '0')}\0`, 100, 'latin1');
  h.write('0000000\0', 108, 'latin1');
  h.write('0000000\0', 116, 'latin1');
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  h.write('14500000000\0', 136, 'latin1');
  h.write('        ', 148, 'latin1');
  h.write(type, 156, 'latin1');
  h.write('ustar\0', 257, 'latin1');
  h.write('00', 263, 'latin1');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return h;
}

/** A tar of members `{name, data?, type?}` (data padded to 512 bytes, two zero blocks at the end). */
export function buildTar(members) {
  const parts = [];
  for (const m of members) {
    const data = m.data || Buffer.alloc(0);
    parts.push(tarHeader(m.name, data.length, m.type || '0'), data);
    if (data.length % 512) parts.push(Buffer.alloc(512 - (data.length % 512)));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}
