#!/usr/bin/env node
// The cost of the general proofs of immediates and stack shifts (learn.ts `widened`, prove.ts) over
// a database's rules: per `registers` rule, the plain general proof, the general proof of what the
// rule holds in the database (parameters and shift included), and — for rules stored without
// parameters or shift — the widening attempt now (how many would widen). One Z3 (native process).
// Usage: node scripts/rules-widen.mjs DB.sqlite [--json]
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { RuleStore } = await import(join(root, 'dist/src/rules/store.js'));
const { widened } = await import(join(root, 'dist/src/rules/learn.js'));
const { proveGeneral } = await import(join(root, 'dist/src/rules/prove.js'));
const { generalityLabel } = await import(join(root, 'dist/src/rules/rule.js'));
const { createZ3Impl, nativeAvailable } = await import(join(root, 'dist/variants/z3/index.js'));
const path = process.argv[2];
if (!path) { process.stderr.write('usage: rules-widen.mjs DB.sqlite [--json]\n'); process.exit(2); }
const store = RuleStore.open(resolve(path), { mustExist: true, readOnly: true });
const rules = store.all();
store.close();
const impl = await createZ3Impl(nativeAvailable() ? 'native-process' : 'fresh-solver');
const timed = (f) => { const t0 = performance.now(); const v = f(); return [v, performance.now() - t0]; };
const rows = [];
for (const r of rules.filter((x) => x.generality === 'registers')) {
  const plain = { ...r, imms: undefined, stackShift: undefined };
  const [p, plainMs] = timed(() => proveGeneral(plain, impl));
  const [g, storedMs] = timed(() => proveGeneral(r, impl));
  const [w, widenMs] = timed(() => widened(plain, { impl }));
  rows.push({ id: r.id, stored: generalityLabel(r), plainOk: p.ok, storedOk: g.ok, widenedNow: generalityLabel(w), shifts: r.stackShift ? (r.stackShift.max - r.stackShift.min) / r.stackShift.stride + 1 : 0, plainMs: Math.round(plainMs), storedMs: Math.round(storedMs), widenMs: Math.round(widenMs) });
}
impl.dispose();
const by = (k) => rows.reduce((m, x) => ({ ...m, [x[k]]: (m[x[k]] ?? 0) + 1 }), {});
const sum = (k) => rows.reduce((t, x) => t + x[k], 0);
const summary = { rules: rules.length, registersRules: rows.length, stored: by('stored'), widenedNow: by('widenedNow'), msPlainPerRule: Math.round(sum('plainMs') / Math.max(rows.length, 1)), msWidenPerRule: Math.round(sum('widenMs') / Math.max(rows.length, 1)) };
if (process.argv.includes('--json')) process.stdout.write(JSON.stringify({ summary, rows }, null, 2) + '\n');
else {
  for (const x of rows) process.stdout.write(`${x.id} ${x.stored}${x.storedOk ? '' : ' (FAILS)'}: plain ${x.plainMs} ms, as stored ${x.storedMs} ms${x.shifts ? ` (${x.shifts} shifts)` : ''}; widened now ${x.widenedNow} in ${x.widenMs} ms\n`);
  process.stdout.write(JSON.stringify(summary) + '\n');
}
