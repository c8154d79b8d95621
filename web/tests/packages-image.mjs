// A small docker-archive with package databases in several ecosystems,
// written by the browser tests (agree.mjs, e2e.mjs): no committed fixture
// has packages. Layer 0 is a Debian-like base (os-release, a dpkg status
// of `count` packages), layer 1 upgrades one, removes one and adds an apk
// database, layer 2 adds a Python distribution and a Node package, layer
// 3 deletes the Python distribution (a whiteout) and upgrades the Node
// package. One Node package's name and version carry markup, a bidi
// override and an escape sequence (shown as text with visible markers). Deterministic: the same `count` gives the same bytes.
import { createHash } from 'node:crypto';
import { buildTar } from './tar.mjs';

const dir = (name) => ({ name, type: '5' });
const file = (name, text) => ({ name, data: Buffer.from(text) });

/** One dpkg status stanza, installed. */
const stanza = (name, version) => `Package: ${name}\nStatus: install ok installed\nPriority: optional\nArchitecture: amd64\nVersion: ${version}\nDescription: ${name} for tests\n`;

/** The dpkg status of `pkgs` ([name, version] pairs). */
const status = (pkgs) => pkgs.map(([n, v]) => stanza(n, v)).join('\n');

/**
 * The image as a Buffer. `count` dpkg packages in the base (at least 3):
 * `libtest0..`; `libtest1` is upgraded in layer 1 and `libtest2` removed.
 */
export function packagesImage(count = 3) {
  const base = Array.from({ length: Math.max(3, count) }, (_, i) => [`libtest${i}`, `1.${i}-1`]);
  const upgraded = base.filter(([n]) => n !== 'libtest2').map(([n, v]) => [n, n === 'libtest1' ? '2.0-1' : v]);
  const layers = [
    [dir('etc/'), file('etc/os-release', 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n'),
      dir('var/'), dir('var/lib/'), dir('var/lib/dpkg/'), file('var/lib/dpkg/status', status(base))],
    [file('var/lib/dpkg/status', status(upgraded)), dir('lib/'), dir('lib/apk/'), dir('lib/apk/db/'),
      file('lib/apk/db/installed', 'P:musl\nV:1.2.4-r2\nA:x86_64\nL:MIT\no:musl\n\nP:busybox\nV:1.36.1-r5\nA:x86_64\nL:GPL-2.0-only\n\n')],
    [dir('usr/'), dir('usr/lib/'), dir('usr/lib/python3/'), dir('usr/lib/python3/site-packages/'),
      dir('usr/lib/python3/site-packages/requests-2.31.0.dist-info/'),
      file('usr/lib/python3/site-packages/requests-2.31.0.dist-info/METADATA', 'Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\nLicense: Apache 2.0\n\nHTTP for Humans.\n'),
      dir('app/'), dir('app/node_modules/'), dir('app/node_modules/left-pad/'),
      file('app/node_modules/left-pad/package.json', JSON.stringify({ name: 'left-pad', version: '1.3.0', license: 'WTFPL' })),
      // Untrusted text: markup and a bidi override in a name and a version.
      dir('app/node_modules/evil/'),
      file('app/node_modules/evil/package.json', JSON.stringify({ name: 'evil<b>x</b>\u202etxt.exe', version: '1.0.0\u001b[31m' }))],
    [{ name: 'usr/lib/python3/site-packages/.wh.requests-2.31.0.dist-info' },
      file('app/node_modules/left-pad/package.json', JSON.stringify({ name: 'left-pad', version: '1.3.1', license: 'WTFPL' }))],
  ];
  const commands = ['ADD rootfs.tar /', 'RUN apt-get install --only-upgrade libtest1 && apt-get remove libtest2 && apk add musl busybox',
    'RUN pip install requests && npm install left-pad', 'RUN pip uninstall -y requests && npm update left-pad'];
  const tars = layers.map(buildTar);
  const diffIds = tars.map((t) => `sha256:${createHash('sha256').update(t).digest('hex')}`);
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', created: '2024-01-02T03:04:05Z', config: { Cmd: ['sh'] },
    rootfs: { type: 'layers', diff_ids: diffIds }, history: commands.map((c) => ({ created: '2024-01-02T03:04:05Z', created_by: c })),
  }));
  const names = tars.map((_, i) => `l${i}/layer.tar`);
  const manifest = Buffer.from(JSON.stringify([{ Config: 'config.json', RepoTags: ['packages:test'], Layers: names }]));
  return buildTar([file('manifest.json', manifest), { name: 'config.json', data: config }, ...tars.map((data, i) => ({ name: names[i], data }))]);
}
