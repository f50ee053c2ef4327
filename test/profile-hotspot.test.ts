/**
 * The "Top N functions" view on a real V8 profile: a script that spends its time in a function named
 * hotSpotForTest, run under `node --cpu-prof`, must come out with that function first, mapped back
 * through the source map to its line in test/fixtures/hot-spot.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyze, bySelf, pct } from '../src/profile/analyze.js';
import { readThreads } from '../src/profile/cpuprofile.js';
import { topFunctionsCsv, topFunctionsMd } from '../src/profile/top-functions.js';
import { repoRoot } from './paths.js';

test('a deliberately hot function comes first in the top-functions table, with its .ts line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'k2lab-hotspot-'));
  try {
    const script = join(repoRoot, 'dist', 'test', 'fixtures', 'hot-spot.js');
    const r = spawnSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=250', script, '--run-hot-spot', '400'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
    assert.equal(files.length, 1);
    const a = analyze(readThreads(join(dir, files[0]!)));
    const top = bySelf(a)[0]!;
    assert.equal(top.info.name, 'hotSpotForTest');
    assert.ok(pct(top.selfMs, a.busyMs) > 50, `hotSpotForTest has ${pct(top.selfMs, a.busyMs).toFixed(1)}% self`);
    const tsLine = readFileSync(join(repoRoot, 'test', 'fixtures', 'hot-spot.ts'), 'utf8').split('\n').findIndex((l) => l.includes('function hotSpotForTest')) + 1;
    assert.equal(top.info.location, `test/fixtures/hot-spot.ts:${tsLine}`);
    const md = topFunctionsMd(a, { title: 'hot spot' });
    const firstRow = md.split('\n').find((l) => l.startsWith('| 1 |'));
    assert.match(firstRow ?? '', /^\| 1 \| `hotSpotForTest` \| test\/fixtures\/hot-spot\.ts:\d+ \|/);
    assert.match(topFunctionsCsv(a).split('\n')[1] ?? '', /^1,hotSpotForTest,test\/fixtures\/hot-spot\.ts:\d+,/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
