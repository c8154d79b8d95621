// Builds a small Docker 25+ style image archive (docker-oci-archive: both
// manifest.json and index.json) whose every displayed field carries HTML,
// `<script>`, terminal control and bidi characters: entry names, a symlink
// target, env, labels, cmd, entrypoint, user, working dir, history, tags
// (RepoTags and the ref.name annotation) and annotations. For the page's
// end-to-end check that untrusted text is inserted as text and shown
// visibly (web/text.js); no image file is committed.
//
//   import { hostileTextImage } from './hostile-text-image.mjs';
//   const { bytes, expect } = hostileTextImage();   // bytes: Uint8Array
//
//   node web/tests/hostile-text-image.mjs OUT.tar    (writes the archive)
//
// `expect` lists what the page should show for each field (the raw
// strings; text.js's visibleText() gives their visible form).
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const enc = new TextEncoder();
const BLOCK = 512;

/** A 512-byte ustar header; `name` and `link` are UTF-8, at most 100 bytes. */
function header(name, { size = 0, type = '0', link = '', mode = 0o644 } = {}) {
  const h = new Uint8Array(BLOCK);
  const put = (offset, len, bytes) => {
    if (bytes.length > len) throw new Error(`field too long: ${bytes.length} > ${len}`);
    h.set(bytes, offset);
  };
  const octal = (offset, len, value) => put(offset, len, enc.encode(value.toString(8).padStart(len - 1, '0') + '\0'));
  put(0, 100, enc.encode(name));
  octal(100, 8, mode);
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, size);
  octal(136, 12, 0);
  h.set(enc.encode(type), 156);
  put(157, 100, enc.encode(link));
  h.set(enc.encode('ustar\u000000'), 257);
  put(265, 32, enc.encode('root'));
  put(297, 32, enc.encode('root'));
  h.fill(0x20, 148, 156);
  const sum = h.reduce((a, b) => a + b, 0);
  h.set(enc.encode(sum.toString(8).padStart(6, '0') + '\0 '), 148);
  return h;
}

/** A tar of members `{ name, data?, type?, link?, mode? }`. */
function tar(members) {
  const parts = [];
  for (const m of members) {
    const data = typeof m.data === 'string' ? enc.encode(m.data) : (m.data || new Uint8Array());
    parts.push(header(m.name, { size: data.length, type: m.type, link: m.link, mode: m.mode }));
    parts.push(data, new Uint8Array((BLOCK - (data.length % BLOCK)) % BLOCK));
  }
  parts.push(new Uint8Array(2 * BLOCK));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
const json = (value) => enc.encode(JSON.stringify(value));

/** The hostile strings, by field. */
export const HOSTILE = {
  // Full paths of files (no `/` inside the HTML: it would split the name).
  names: [
    'etc/<b>bold<b>.conf',
    '<script>alert(1)',
    'evil\x1b[31mRED\x1b[0m\x1b]0;pwned\x07',
    '\u202eexe.txt',
    'img<img src=x onerror=alert(1)>',
    'a&amp;b/c\u2066d',
  ],
  symlink: { name: 'link', target: '<script>t</script>\x1b[2J' },
  env: ['A=\x1b[2J', 'HTML=<script>alert(1)</script>', 'B=\u202eevil', 'C=\u009b1m'],
  labels: { '<b>k</b>': '<script>v</script>', bidi: '\u202eabc', 'esc\x1b[1m': '\x1b]0;title\x07' },
  cmd: ['/bin/sh', '-c', 'echo <script>alert(1)</script> \x1b[31m'],
  entrypoint: ['<img src=x onerror=alert(1)>'],
  user: '<i>root</i>\x1b[8m',
  workingDir: '/w<b>\u202e',
  history: ['RUN <script>alert(1)</script> \x1b[31mred \u202eevil', 'LABEL <b>x</b>=\x1b]0;t\x07'],
  tags: ['<script>tag</script>:1', 'esc\x1b[31m:2'],
  refName: '<img src=x onerror=alert(2)>\u202e',
  annotations: { 'org.example.note': '\u202e<b>x</b>\x1b[2J', '<script>k</script>': 'v' },
};

/** The archive and what each field should show. */
export function hostileTextImage() {
  const h = HOSTILE;
  const layer = tar([
    { name: 'etc/', type: '5', mode: 0o755 },
    { name: 'a&amp;b/', type: '5', mode: 0o755 },
    ...h.names.map((name) => ({ name, data: `${name}\n` })),
    { name: h.symlink.name, type: '2', link: h.symlink.target, mode: 0o777 },
  ]);
  const diffId = `sha256:${sha256(layer)}`;
  const config = json({
    architecture: 'amd64',
    os: 'linux',
    created: '2024-01-01T00:00:00Z',
    author: '<b>author</b>\x1b[5m',
    config: {
      Env: h.env,
      Labels: h.labels,
      Cmd: h.cmd,
      Entrypoint: h.entrypoint,
      User: h.user,
      WorkingDir: h.workingDir,
    },
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [
      { created_by: h.history[0] },
      { created_by: h.history[1], empty_layer: true },
    ],
  });
  const layerDigest = sha256(layer);
  const configDigest = sha256(config);
  const manifest = json({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${configDigest}`, size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: `sha256:${layerDigest}`, size: layer.length }],
    annotations: h.annotations,
  });
  const manifestDigest = sha256(manifest);
  const index = json({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: `sha256:${manifestDigest}`,
      size: manifest.length,
      annotations: { 'org.opencontainers.image.ref.name': h.refName, ...h.annotations },
    }],
  });
  const dockerManifest = json([{
    Config: `blobs/sha256/${configDigest}`,
    RepoTags: h.tags,
    Layers: [`blobs/sha256/${layerDigest}`],
  }]);
  const bytes = tar([
    { name: 'blobs/', type: '5', mode: 0o755 },
    { name: 'blobs/sha256/', type: '5', mode: 0o755 },
    { name: `blobs/sha256/${configDigest}`, data: config },
    { name: `blobs/sha256/${layerDigest}`, data: layer },
    { name: `blobs/sha256/${manifestDigest}`, data: manifest },
    { name: 'index.json', data: index },
    { name: 'manifest.json', data: dockerManifest },
    { name: 'oci-layout', data: '{"imageLayoutVersion":"1.0.0"}' },
  ]);
  return { bytes, expect: { ...h } };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = process.argv[2];
  if (!out) {
    console.error('usage: node web/tests/hostile-text-image.mjs OUT.tar');
    process.exit(2);
  }
  writeFileSync(out, hostileTextImage().bytes);
}
