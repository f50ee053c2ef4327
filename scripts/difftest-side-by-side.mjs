#!/usr/bin/env node
// Side by side: difftest's time per input for one build on the same programs and inputs (seed 1).
// Usage: node scripts/difftest-side-by-side.mjs DIST N OBJ:SECTION… (OBJ relative to ../shared/real-world/objs).
// Build the other side from an old commit: git archive C | tar -x -C DIR; link node_modules; npx tsc -p DIR.
import { resolve } from 'node:path';
const [distArg, n, ...specs] = process.argv.slice(2);
const dist = resolve(distArg);
const { loadProgram } = await import(`${dist}/src/ebpf/load.js`);
const { difftest } = await import(`${dist}/src/kernel/difftest.js`);
for (const spec of specs) {
  const [file, section] = spec.split(':');
  const prog = loadProgram(`${new URL('../../shared/real-world/objs/', import.meta.url).pathname}${file}`, { section });
  difftest(prog, { inputs: 1, seed: 99 }); // warm-up (JIT, BTF), not timed
  const t0 = performance.now();
  const r = difftest(prog, { inputs: +n, seed: 1, maxExamples: 1 });
  const ms = performance.now() - t0;
  console.log(JSON.stringify({ spec, inputs: r.inputs, mismatches: r.mismatches, env: r.environmentDependent, envMismatches: r.environmentMismatches, msTotal: Math.round(ms), msPerInput: +(ms / +n).toFixed(3) }));
}
