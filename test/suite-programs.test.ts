/**
 * The 11 K2 benchmark programs (third-party data in ../shared, never copied here): they load by
 * path prefix with their maps and program type, round-trip byte for byte, and run on 30 seeded
 * random inputs without an execution error (each was accepted by the Linux verifier).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomInputs } from '../src/bench/microbench-interp.js';
import { encodeProgram } from '../src/ebpf/insn.js';
import { loadProgram } from '../src/ebpf/load.js';
import { Session, toRunnable } from '../src/interp/run.js';
import { sharedAvailable, sharedDir } from './paths.js';

const dir = join(sharedDir, 'k2-suite', 'programs');
const skip = sharedAvailable ? false : `K2 suite not found at ${dir} (third-party data lives outside the repo)`;
const names = sharedAvailable ? readdirSync(dir).filter((f) => f.endsWith('.insns')).map((f) => f.slice(0, -6)).sort() : [];

test('the K2 suite has its 11 programs', { skip }, () => {
  assert.equal(names.length, 11);
});

for (const name of names) {
  test(`${name}: loads by prefix, round-trips, runs 30 random inputs without errors`, () => {
    const p = loadProgram(join(dir, name));
    const bytes = readFileSync(join(dir, `${name}.insns`));
    assert.ok(Buffer.from(encodeProgram(p.insns)).equals(bytes), 'byte-exact round trip');
    assert.ok(p.progType, 'program type from suite.json');
    assert.ok(p.maps.length > 0 && p.maxPktSize !== undefined);
    const s = new Session(toRunnable(p));
    for (const input of randomInputs(p, 30, 7)) {
      assert.ok(s.run(input), `execution error: ${JSON.stringify(s.error)}`);
    }
    assert.ok(s.machine.insnCount > 0);
  });
}
