/**
 * The report files of a result folder built in-process from synthetic run records (3 benchmarks,
 * 3 variant sets, 2 runtime profiles, a failed run, a K2-native table beside the suite): every file
 * is written, and report.html and each chart SVG load in headless Chromium with bars and no error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { recordSession, startSession, finishSession } from '../src/bench/environment.js';
import { writeOutputs } from '../src/bench/result-files.js';
import { fullPlan, type SweepConfig } from '../src/bench/plan.js';
import { newRecord, writeConfig, writeRecord, type ChildReport } from '../src/bench/store.js';
import { Rng } from '../src/common/rng.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROME_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

async function loadPlaywright(): Promise<typeof import('playwright-core') | string> {
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (apt-get install chromium)`;
  try {
    return await import('playwright-core');
  } catch (e) {
    return `playwright-core not installed (${(e as Error).message})`;
  }
}

async function syntheticFolder(): Promise<{ dir: string; config: SweepConfig }> {
  const root = mkdtempSync(join(tmpdir(), 'k2lab-report-'));
  mkdirSync(join(root, 'suite'));
  writeFileSync(join(root, 'k2-native.md'), [
    '# K2 native', '', '| benchmark | insns | -n | iterations/s wall (run 1 / run 2) | search-CPU iterations/s |', '|---|---|---|---|---|',
    '| alpha | 20 | 1M | 9,000 / 11,000 | 20,000 / 22,000 |', '| beta | 30 | 500k | 4,000 / 4,400 | 9,000 / 9,500 |', '| gamma | 99 | 1M | 1,000 / 1,000 | 2,000 / 2,000 |', '',
  ].join('\n'));
  const dir = join(root, 'results', 'synthetic');
  const config: SweepConfig = {
    format: 'k2lab-sweep/1', runId: 'synthetic', suite: join(root, 'suite', 'suite.json'),
    benchmarks: [{ name: 'alpha', program: '/alpha', iterations: 1000, instructions: 20 }, { name: 'beta', program: '/beta', iterations: 2000, instructions: 30 },
      { name: 'gamma', program: '/gamma', iterations: 500, instructions: 40 }],
    variantSets: ['k2-baseline', 'k2-baseline#2', 'optimized', 'baseline+errors=result-codes'],
    runtimeProfiles: [{ name: 'default', nodeFlags: [] }, { name: 'semi-space-64', nodeFlags: ['--max-semi-space-size=64'] }],
    reps: 4, warmup: 1, iterationsScale: 0.5, seed: 1, fast: false, shard: null, timeLimitPerRunS: 60, createdAt: new Date().toISOString(), gitCommit: null,
  };
  writeConfig(dir, config);
  const session = startSession(config);
  const rng = new Rng(5);
  // The A/A copy runs the same code: any difference is noise. result-codes is 1.3× on alpha but only 1.01× on beta (within beta's floor).
  const speed: Record<string, number> = { 'k2-baseline': 1, 'k2-baseline#2': 1, optimized: 2.1, 'baseline+errors=result-codes': 1.3 };
  const base: Record<string, number> = { alpha: 8000, beta: 3000, gamma: 12000 };
  for (const s of fullPlan(config)) {
    const sp = s.variantSet === 'baseline+errors=result-codes' && s.benchmark === 'beta' ? 1.01 : speed[s.variantSet]!;
    const cps = base[s.benchmark]! * sp * (s.runtimeProfile === 'default' ? 1 : 1.1) * (0.95 + 0.1 * rng.float());
    const failed = s.benchmark === 'gamma' && s.variantSet === 'optimized' && s.rep === 3 && !s.warmup && s.runtimeProfile === 'default';
    const report: ChildReport = { candidatesPerSecond: cps, wallMs: (s.iterations / cps) * 1000, iterations: s.iterations, trajectoryDigest: `digest-${s.benchmark}`,
      peakRssBytes: 80e6, gcMs: 12, originalInsnCount: 20, bestInsnCount: 18, counts: { proposals: s.iterations, safetyRejects: 3 }, variants: { errors: 'x' } };
    writeRecord(dir, newRecord(s, config, failed
      ? { status: 'failed', reason: 'timeout: killed after 60 s (--time-limit-per-run)', startedAt: new Date().toISOString(), processMs: 60000, report: null }
      : { status: 'ok', reason: null, startedAt: new Date().toISOString(), processMs: 500, report }));
  }
  recordSession(dir, config, finishSession(session, 1));
  return { dir, config };
}

test('report.html and every chart load in headless Chromium: SVG bars, no console error', async (t) => {
  const { dir, config } = await syntheticFolder();
  const out = await writeOutputs(dir, config);
  for (const f of out.files) assert.ok(existsSync(join(dir, f)), `${f} missing`);
  const charts = readdirSync(join(dir, 'charts')).filter((f) => f.endsWith('.svg')).sort();
  // summary, throughput, and one per comparison: 2 variant sets × 2 profiles + k2-baseline on the other profile.
  assert.deepEqual(charts, ['speedup-baseline+errors=result-codes.svg', 'speedup-baseline+errors=result-codes@semi-space-64.svg', 'speedup-k2-baseline@semi-space-64.svg',
    'speedup-k2-baseline_2.svg', 'speedup-k2-baseline_2@semi-space-64.svg',
    'speedup-optimized.svg', 'speedup-optimized@semi-space-64.svg', 'summary.svg', 'throughput.svg']);
  const md = readFileSync(join(dir, 'report.md'), 'utf8');
  assert.match(md, /## K2 native, measured separately/);
  assert.match(md, /\| alpha \| 1,000,000 \| 10,000 \(9,000 \/ 11,000\) \| 21,000 \|/);
  assert.doesNotMatch(md, /\| gamma \| 1,000,000/, 'a K2 row whose instruction count differs is not this benchmark');
  assert.match(md, /## Failed runs[\s\S]*gamma\/optimized\/default\/r3 \| timeout: killed after 60 s/);
  assert.match(md, /\| optimized \| 3 \| 2\.\d{3}× \|/);
  // The A/A floor, in both files; a speed-up inside it is not meaningful, one beyond it is.
  assert.match(md, /## Noise floor \(A\/A\)[\s\S]*Overall A\/A \(geomean across benchmarks\): (0\.9\d\d|1\.0\d\d)× \[[\d., ]+\], floor ±\d+\.\d%/);
  assert.match(md, /\| alpha \| (0\.9\d\d|1\.0\d\d)× \| \[[\d., ]+\] \| no \| ±\d+\.\d% \|/);
  assert.match(md, /### baseline\+errors=result-codes vs k2-baseline[\s\S]*?\| alpha \|[^\n]*\| yes \| yes \| yes \|\n[\s\S]*?\| beta \|[^\n]*\| no(: within ±[\d.]+%)? \| yes \|/);
  assert.match(md, /### k2-baseline#2 vs k2-baseline\n\n\| benchmark [^\n]*\n[^\n]*\n\| alpha \|[^\n]*\| – \(the A\/A pair\) \|/);
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  assert.match(html, /<h2>Noise floor \(A\/A\)<\/h2>[\s\S]*floor ±\d+\.\d%/);
  assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3\.org)/, 'self-contained: no script, nothing fetched from a network');

  const pw = await loadPlaywright();
  if (typeof pw === 'string') { t.skip(pw); return; }
  const browser = await pw.chromium.launch({ executablePath: CHROMIUM, args: CHROME_ARGS, headless: true });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
    await page.goto(pathToFileURL(join(dir, 'report.html')).href, { waitUntil: 'load' });
    const figures = await page.$$eval('figure.chart', (fs) => fs.map((f) => {
      const svg = f.querySelector('svg');
      const box = svg?.getBoundingClientRect();
      return { id: f.id, svg: svg !== null, bars: f.querySelectorAll('g.mark-rect path, g.mark-rect rect').length, width: box?.width ?? 0, height: box?.height ?? 0 };
    }));
    assert.equal(figures.length, charts.length, 'every chart is on the page');
    for (const f of figures) {
      assert.ok(f.svg && f.width > 100 && f.height > 40, `${f.id}: SVG rendered (${f.width}×${f.height})`);
      assert.ok(f.bars > 0, `${f.id}: has bars`);
    }
    assert.ok(await page.locator('table').count() >= 5);
    for (const c of charts) {
      await page.goto(pathToFileURL(join(dir, 'charts', c)).href, { waitUntil: 'load' });
      const bars = await page.$$eval('g.mark-rect path, g.mark-rect rect', (els) => els.length);
      assert.ok(bars > 0, `${c} opened alone has bars`);
    }
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
