// A small docker-archive with fake secrets, written by the browser
// agreement test (agree.mjs) at run time, never committed: random values
// of several kinds, one in a file the next layer deletes (still shipped in
// the lower layer's blob), one starting at byte 500 of a file's data so it
// crosses a 512-byte tar block. Returns the archive and the raw values, so
// the test can check no output holds any of them.
import { createHash, randomBytes } from 'node:crypto';
import { buildTar } from './tar.mjs';

const dir = (name) => ({ name, type: '5' });
const file = (name, text) => ({ name, data: Buffer.from(text) });
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `n` random characters of `alphabet`. */
const random = (n, alphabet = ALNUM) => [...randomBytes(n)].map((b) => alphabet[b % alphabet.length]).join('');

/** `{ tar, values }`: the image as a Buffer, and the raw secret values in it. */
export function secretsImage() {
  const v = {
    github: `ghp_${random(36)}`,
    deleted: `glpat-${random(20)}`,
    split: `xoxb-${random(24)}`,
    awsId: `AKIA${random(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}`,
    awsSecret: random(40),
    password: random(16),
    key: random(64),
  };
  const layers = [
    [dir('root/'), dir('root/.ssh/'), file('root/.ssh/id_rsa', `-----BEGIN RSA PRIVATE KEY-----\n${v.key}\n-----END RSA PRIVATE KEY-----\n`),
      dir('root/.aws/'), file('root/.aws/credentials', `[default]\naws_access_key_id = ${v.awsId}\naws_secret_access_key = ${v.awsSecret}\n`)],
    [dir('app/'), file('app/config.yaml', `name: app\ntoken: ${v.github}\n`), file('app/deploy.txt', `${v.deleted}\n`),
      file('app/notify.sh', `${'#'.repeat(499)}\n${v.split}\n`), file('app/.env', `DB_HOST=db\nDB_PASSWORD=${v.password}\n`)],
    [{ name: 'app/.wh.deploy.txt' }],
  ];
  const commands = ['ADD rootfs.tar /', 'COPY . /app', 'RUN rm /app/deploy.txt'];
  const tars = layers.map(buildTar);
  const diffIds = tars.map((t) => `sha256:${createHash('sha256').update(t).digest('hex')}`);
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', created: '2024-01-02T03:04:05Z', config: { Cmd: ['sh'], User: 'app' },
    rootfs: { type: 'layers', diff_ids: diffIds }, history: commands.map((c) => ({ created: '2024-01-02T03:04:05Z', created_by: c })),
  }));
  const names = tars.map((_, i) => `l${i}/layer.tar`);
  const manifest = Buffer.from(JSON.stringify([{ Config: 'config.json', RepoTags: ['secrets:test'], Layers: names }]));
  const tar = buildTar([file('manifest.json', manifest), { name: 'config.json', data: config }, ...tars.map((data, i) => ({ name: names[i], data }))]);
  return { tar, values: Object.values(v) };
}
