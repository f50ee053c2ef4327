/**
 * The conformance goal: all 313 bpf_conformance vectors and every ubpf vector pass, except the
 * listed vectors that test uBPF itself or are stale against ISA v4 (skipped with their reason).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { findConformanceFiles } from '../src/conformance/parse.js';
import { runConformance } from '../src/conformance/run.js';
import { sharedAvailable, sharedDir } from './paths.js';

const dir = join(sharedDir, 'conformance');
const skip = sharedAvailable ? false : `conformance vectors not found at ${dir} (third-party data lives outside the repo)`;

test('bpf_conformance: 313/313 pass', { skip }, () => {
  const r = runConformance(findConformanceFiles([join(dir, 'bpf_conformance')]));
  assert.deepEqual(r.results.filter((x) => x.status !== 'pass'), []);
  assert.equal(r.passed, 313);
});

test('ubpf: every vector passes except the four that test uBPF itself', { skip }, () => {
  const r = runConformance(findConformanceFiles([join(dir, 'ubpf')]), dir);
  assert.deepEqual(r.results.filter((x) => x.status === 'fail'), []);
  assert.deepEqual(r.results.filter((x) => x.status === 'skip').map((x) => x.file).sort(), [
    'ubpf/errors/err-too-many-instructions.data', 'ubpf/errors/err-unknown-opcode.data', 'ubpf/reload.data', 'ubpf/unload_reload.data',
  ]);
  assert.equal(r.passed, 79);
});
