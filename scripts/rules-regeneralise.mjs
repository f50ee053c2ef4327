#!/usr/bin/env node
// Every concrete rule of a database learned again from its witness with the current generalisation
// (learn.ts: re-proved with Z3 before it is kept) into OUT: how many generalise; every `registers`
// rule without immediate parameters or stack shift is widened where that proves (learn.ts `widened`).
// Rules that still do not generalise are copied as they are; provenance and fire counts are kept.
// Usage: node scripts/rules-regeneralise.mjs IN.sqlite OUT.sqlite
import { rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { RuleStore } = await import(join(root, 'dist/src/rules/store.js'));
const { learnRules, widened } = await import(join(root, 'dist/src/rules/learn.js'));
const { witnessOf } = await import(join(root, 'dist/src/rules/prove.js'));
const { createZ3Impl } = await import(join(root, 'dist/variants/z3/index.js'));
const [inPath, outPath] = process.argv.slice(2);
if (!inPath || !outPath) { process.stderr.write('usage: rules-regeneralise.mjs IN.sqlite OUT.sqlite\n'); process.exit(2); }
const input = RuleStore.open(resolve(inPath), { mustExist: true });
rmSync(resolve(outPath), { force: true });
const out = RuleStore.open(resolve(outPath));
const impl = await createZ3Impl('native-process');
let generalised = 0, already = 0, concrete = 0, widenedNow = 0;
for (const rule of input.all()) {
  if (rule.generality !== 'concrete') {
    already++;
    const w = rule.imms || rule.stackShift ? rule : widened(rule, { impl });
    if (w.id !== rule.id) widenedNow++;
    out.add([w]);
    continue;
  }
  const { program, start, rewritten } = witnessOf(rule);
  const { provenance } = rule;
  const l = learnRules([{ start, s: rule.witness.s, e: rule.witness.e, rewritten, ms: rule.msToFind, msInWindow: 0 }], { program, impl, provenance });
  const g = l.rules.find((r) => r.generality !== 'concrete');
  if (g) { generalised++; out.add([{ ...g, fires: rule.fires, provenance }]); } else { concrete++; out.add([rule]); }
}
impl.dispose();
input.close(); out.close();
process.stdout.write(`${generalised + already + concrete} rules: ${already} already generalised (${widenedNow} of them widened now over immediates or stack shifts), ${generalised} generalised now, ${concrete} stay concrete\n`);
