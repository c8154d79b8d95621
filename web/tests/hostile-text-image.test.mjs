// Unit test of the e2e fixture builder (node --test): the archive is a
// well-formed tar whose members and layer carry the hostile strings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostileTextImage, HOSTILE } from './hostile-text-image.mjs';

/** Names of a tar's members, checking every header's checksum. */
function members(bytes) {
  const dec = new TextDecoder();
  const out = [];
  for (let at = 0; at + 512 <= bytes.length;) {
    const h = bytes.subarray(at, at + 512);
    if (h.every((b) => b === 0)) break;
    const field = (o, n) => dec.decode(h.subarray(o, o + n)).replace(/\0.*$/s, '');
    const stored = parseInt(field(148, 8).trim(), 8);
    const sum = h.reduce((a, b, i) => a + (i >= 148 && i < 156 ? 32 : b), 0);
    assert.equal(sum, stored, `checksum of ${field(0, 100)}`);
    const size = parseInt(field(124, 12), 8);
    out.push({ name: field(0, 100), link: field(157, 100), data: bytes.subarray(at + 512, at + 512 + size) });
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

test('the fixture is a docker-oci-archive whose layer holds every hostile name', () => {
  const { bytes, expect } = hostileTextImage();
  assert.deepEqual(hostileTextImage().bytes, bytes, 'deterministic');
  const outer = members(bytes);
  for (const name of ['index.json', 'manifest.json', 'oci-layout']) {
    assert.ok(outer.some((m) => m.name === name), name);
  }
  const manifest = JSON.parse(new TextDecoder().decode(outer.find((m) => m.name === 'manifest.json').data));
  assert.deepEqual(manifest[0].RepoTags, HOSTILE.tags);
  const layer = outer.find((m) => m.name === manifest[0].Layers[0]);
  const inner = members(layer.data);
  for (const name of expect.names) assert.ok(inner.some((m) => m.name === name), JSON.stringify(name));
  assert.equal(inner.find((m) => m.name === 'link').link, HOSTILE.symlink.target);
});
