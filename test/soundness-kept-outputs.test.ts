/**
 * The soundness harness's kept original outputs leave out maps the original cannot write; a program
 * that may write one of them is not compared against those outputs (it falls back to running both
 * programs afresh), and a difference in a map both may write is still found.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../src/ebpf/asm.js';
import type { MapDef, Program } from '../src/ebpf/program.js';
import { Rng } from '../src/common/rng.js';
import { agreementInputs } from '../src/soundness/agree.js';
import { disagreementWithOriginal, originalOutputs } from '../src/soundness/original-outputs.js';
import { UNCOMPARED } from '../src/search/output-error.js';

const maps: MapDef[] = [
  { name: 'counts', type: 2, keySize: 4, valueSize: 8, maxEntries: 4, fd: 0, flags: 0 },
  { name: 'config', type: 2, keySize: 4, valueSize: 8, maxEntries: 4, fd: 1, flags: 0 },
];
// Adds 1 to counts[0]; reads config[0] into r0's low bits.
const body = (mapFd: number, add: number): string =>
  `r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nld_pseudo r1, 1, ${mapFd}\ncall 1\nif r0 == 0 goto +2\nr1 = ${add}\nlock *(u64 *)(r0 + 0) += r1\n`;
const read = 'r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nld_pseudo r1, 1, 1\ncall 1\nif r0 == 0 goto +1\nr0 = *(u32 *)(r0 + 0)\nr0 &= 1\nexit\n';
const program = (text: string): Program => ({ name: 'kept', source: 'test', insns: assemble(text), maps, progType: 'xdp', license: 'GPL' });

test('kept outputs skip read-only maps and still catch a different write', () => {
  const a = program(body(0, 1) + read);
  const inputs = agreementInputs(a, new Rng(3), 200);
  const o = originalOutputs(a, inputs, 1 << 30)!;
  assert.deepEqual([...o.readOnly], [1], 'config is read-only, counts is written');
  assert.ok(o.expected.some((e) => e && e.maps[1] === UNCOMPARED && e.maps[0] !== UNCOMPARED));
  assert.equal(disagreementWithOriginal(a, a.insns, o), undefined, 'the original agrees with itself');
  const adds2 = program(body(0, 2) + read);
  const d = disagreementWithOriginal(a, adds2.insns, o);
  assert.ok(d && d !== 'not comparable' && d.where === 'interpreter', 'a different value written to counts is found');
  const writesConfig = program(body(1, 1) + read);
  assert.equal(disagreementWithOriginal(a, writesConfig.insns, o), 'not comparable', 'a write to config is not judged on outputs that left it out');
});
