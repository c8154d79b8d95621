// Shared helpers for the browser test scripts: a static server for web/
// (with optional extra folders mounted under a URL prefix) and a headless
// launch of the system Chromium through playwright-core.
import { createServer } from 'node:http';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { extname, join, resolve, sep } from 'node:path';
import { chromium } from 'playwright-core';

/** Content types by file extension. */
export const MIME = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.wasm': 'application/wasm', '.json': 'application/json', '.tar': 'application/x-tar',
  '.png': 'image/png', '.svg': 'image/svg+xml', '.ico': 'image/x-icon', '.txt': 'text/plain; charset=utf-8',
};

/** Flags for headless Chromium in a container (root, no GPU, no network chatter). */
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];

/** The Chromium binary: $LAYERSCOPE_CHROMIUM, $CHROMIUM, else Debian's. */
export function chromiumPath() {
  return process.env.LAYERSCOPE_CHROMIUM || process.env.CHROMIUM || '/usr/bin/chromium';
}

/** Launches headless Chromium with [`CHROMIUM_ARGS`] and any `extraArgs`. */
export function launch(extraArgs = []) {
  return chromium.launch({ executablePath: chromiumPath(), args: [...CHROMIUM_ARGS, ...extraArgs] });
}

/** The file under `dir` that the URL path `rest` names, or null when it escapes `dir`. */
function inside(dir, rest) {
  const path = resolve(dir, `.${rest}`);
  return path === dir || path.startsWith(dir + sep) ? path : null;
}

/**
 * Serves `root` on 127.0.0.1 (a free port), plus each `mounts` entry
 * (URL prefix such as `/corpus/` → absolute folder). Resolves to the
 * listening `http.Server`; its URL is `http://127.0.0.1:${port}/`.
 */
export function serve(root, mounts = {}) {
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    let pathname;
    try {
      pathname = decodeURIComponent(url.pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    const mount = Object.keys(mounts).find((prefix) => pathname.startsWith(prefix));
    let path = mount ? inside(mounts[mount], pathname.slice(mount.length - 1)) : inside(root, pathname);
    if (!path) { res.writeHead(403).end(); return; }
    if (existsSync(path) && statSync(path).isDirectory()) path = join(path, 'index.html');
    if (!existsSync(path)) { res.writeHead(404).end('not found'); return; }
    res.writeHead(200, { 'content-type': MIME[extname(path)] || 'application/octet-stream', 'cache-control': 'no-store' });
    createReadStream(path).pipe(res);
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

/** The base URL of a server started by [`serve`]. */
export function baseUrl(server) {
  return `http://127.0.0.1:${server.address().port}/`;
}
