// The hostile-input corpus (tests/hostile/) through the wasm build in
// headless Chromium: every case of expected.json with a committed file is
// fetched by web/tests/hostile.html (the generated ones, up to 8 GiB of
// zeros, are rebuilt there as Blobs that cost no memory) and run through web/worker.js the way
// the page runs an image (open, scan every layer in scan workers, report,
// merged view, layer tables, flatten), with the case's limits. Checks the
// outcome against expected.json like tests/tests/hostile.rs does natively:
// the error kind (`Error.name`), the warnings, the present/absent entries,
// every path relative and free of `..`, no wasm trap, each case within a
// budget. Prints one line per case and a summary; exits 1 on any mismatch.
//
//   node web/tests/hostile.mjs                 (needs web/pkg: cargo xtask wasm; serves web/ itself)
//   HOSTILE_CASE=gzip_bomb node web/tests/hostile.mjs
//   LAYERSCOPE_URL=http://127.0.0.1:PORT/ node web/tests/hostile.mjs
//                                              (a server with the corpus under /hostile-corpus/,
//                                              as `cargo xtask test` starts)
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { baseUrl, launch, serve } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const webRoot = resolve(here, '..');
/** The corpus folder (expected.json + cases/); HOSTILE_DIR overrides it. */
const corpus = resolve(process.env.HOSTILE_DIR || resolve(here, '../../tests/hostile'));

/** Longest one case may take (fetch to flatten), as natively. */
const BUDGET_MS = Number(process.env.HOSTILE_BUDGET_MS || 20_000);
/** Longest the whole run may take. */
const TOTAL_MS = Number(process.env.HOSTILE_TOTAL_MS || 120_000);
/** Where the corpus is mounted on the test server. */
const CORPUS_URL = '/hostile-corpus/';

/**
 * Cases built at test time as sparse files (tests/tests/hostile.rs,
 * `generate`) are rebuilt by the page as Blobs whose holes refer to one
 * shared zero Blob; a generator the page does not know is skipped.
 */
const UNKNOWN_GENERATOR = 'its generator has no twin in web/tests/hostile-page.js (GENERATORS): add one to run it in the browser';

function fail(message) {
  console.error(`hostile-wasm: ${message}`);
  process.exit(1);
}

/** What went wrong with one case, compared with expected.json. */
function mismatches(c, r) {
  const problems = [...r.problems];
  const error = r.openError || r.layerErrors.find(Boolean) || null;
  if (c.expect === 'ok' && error) problems.push(`expected ok, got ${error.name}: ${error.message}`);
  if (c.expect === 'error') {
    if (!error) problems.push(`expected ${c.errorKind}, got ok`);
    else if (error.name !== c.errorKind) problems.push(`expected ${c.errorKind}, got ${error.name}: ${error.message}`);
  }
  const warnings = new Set(r.warnings);
  for (const code of c.warnings || []) {
    if (!warnings.has(code)) problems.push(`missing warning ${code}; got [${r.warnings.join(', ')}]`);
  }
  for (const [path, seen] of Object.entries(r.present)) if (!seen) problems.push(`entry ${JSON.stringify(path)} missing`);
  for (const [path, seen] of Object.entries(r.absent)) if (seen) problems.push(`entry ${JSON.stringify(path)} must not be listed`);
  if (c.secrets && JSON.stringify(c.secrets) !== JSON.stringify(r.secrets)) {
    problems.push(`secret findings ${JSON.stringify(r.secrets)}, expected ${JSON.stringify(c.secrets)}`);
  }
  return { error, problems };
}

async function main() {
  if (!existsSync(join(webRoot, 'pkg/layerscope_wasm.js'))) fail('web/pkg is missing: run `cargo xtask wasm` first');
  const all = JSON.parse(readFileSync(join(corpus, 'expected.json'), 'utf8'));
  const only = process.env.HOSTILE_CASE;
  const cases = all.filter((c) => !only || c.case === only);
  if (!cases.length) fail(`no case named ${only}`);

  const server = process.env.LAYERSCOPE_URL ? null : await serve(webRoot, { [CORPUS_URL]: corpus });
  const base = server ? baseUrl(server) : new URL(process.env.LAYERSCOPE_URL).href;
  const browser = await launch();
  const started = Date.now();
  const failures = [];
  const skipped = [];
  let passed = 0;
  try {
    const page = await browser.newPage();
    const consoleErrors = [];
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    await page.goto(new URL('tests/hostile.html', base).href);
    await page.waitForFunction(() => typeof window.runHostileCase === 'function');
    await page.evaluate(() => window.hostileReady());
    const generators = await page.evaluate(() => window.hostileGenerators());
    const ready = Date.now() - started;
    console.log(`hostile-wasm: ${cases.length} cases, budget ${BUDGET_MS} ms each (page and workers ready in ${ready} ms)`);
    for (const c of cases) {
      if (!c.file && !generators.includes(c.generator)) {
        skipped.push(c.case);
        console.log(`${c.case.padEnd(30)} skipped: ${UNKNOWN_GENERATOR}`);
        continue;
      }
      if (Date.now() - started > TOTAL_MS) {
        failures.push(`${c.case}: not run, the whole run passed ${TOTAL_MS} ms`);
        continue;
      }
      consoleErrors.length = 0;
      const spec = {
        url: c.file ? CORPUS_URL + c.file : null,
        generator: c.file ? null : c.generator,
        limits: c.limits || null,
        skipOverlay: !!c.skipOverlay,
        present: c.present || [],
        absent: c.absent || [],
        budgetMs: BUDGET_MS,
      };
      const t0 = Date.now();
      const r = await page.evaluate((s) => window.runHostileCase(s), spec);
      const ms = Date.now() - t0;
      const { error, problems } = mismatches(c, r);
      const panics = consoleErrors.filter((t) => /panicked|RuntimeError|unreachable/.test(t));
      for (const p of panics) problems.push(`console: ${p.split('\n')[0]}`);
      const outcome = r.timedOut ? 'TIMEOUT' : (error ? error.name : 'ok');
      const status = problems.length ? 'FAIL' : 'pass';
      console.log(`${c.case.padEnd(30)} ${status} ${outcome.padEnd(18)} ${String(ms).padStart(6)} ms  (${r.layers} layers, ${r.entries} entries; ${r.steps})`);
      if (problems.length) {
        for (const p of problems) console.log(`    ${p}`);
        failures.push(`${c.case}: ${problems.join('; ')}`);
      } else {
        passed += 1;
      }
    }
  } finally {
    await browser.close();
    server?.close();
  }
  const total = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`hostile-wasm: ${passed} passed, ${failures.length} failed, ${skipped.length} skipped (${skipped.join(', ') || 'none'}) in ${total} s`);
  if (failures.length) {
    console.log(failures.map((f) => `FAILED ${f}`).join('\n'));
    process.exit(1);
  }
}

main().catch((e) => fail(e?.stack || String(e)));
