#!/usr/bin/env node
// Windows of the real-world objects a database's rules match (registers, parameters and shift bound
// by general.ts; before preconditions and proof), with the rules as stored and with their
// parameters and shift removed: what abstracting immediates and stack offsets adds to matching.
// --apply: also apply them (one pass, as before a search: preconditions, safety, window proof) and
// count the applications.
// Usage: node scripts/rules-matches.mjs DB.sqlite [OBJS_DIR=../shared/real-world/objs] [--apply]
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { RuleStore } = await import(join(root, 'dist/src/rules/store.js'));
const { bindAt } = await import(join(root, 'dist/src/rules/general.js'));
const { listElfPrograms, loadElfProgram } = await import(join(root, 'dist/src/ebpf/elf.js'));
const { applyRules } = await import(join(root, 'dist/src/rules/apply.js'));
const { snapshotOf } = await import(join(root, 'dist/src/rules/snapshot.js'));
const { safetyPredicate } = await import(join(root, 'dist/src/rules/run.js'));
const { createZ3Checker } = await import(join(root, 'dist/src/verify/checker.js'));
const { resolveVariants } = await import(join(root, 'dist/variants/index.js'));
const { createZ3Impl, nativeAvailable } = await import(join(root, 'dist/variants/z3/index.js'));
const doApply = process.argv.includes('--apply');
const [dbPath, objsArg] = process.argv.slice(2).filter((a) => a !== '--apply');
const impl = doApply ? await createZ3Impl(nativeAvailable() ? 'native-process' : 'fresh-solver') : undefined;
const variants = resolveVariants('optimized');
const applied = { stored: 0, stripped: 0, rejected: 0, ms: 0 };
if (!dbPath) { process.stderr.write('usage: rules-matches.mjs DB.sqlite [OBJS_DIR]\n'); process.exit(2); }
const objs = resolve(objsArg ?? join(root, '..', 'shared', 'real-world', 'objs'));
const store = RuleStore.open(resolve(dbPath), { mustExist: true, readOnly: true });
const rules = store.all().filter((r) => r.generality === 'registers');
store.close();
const stripped = rules.map((r) => ({ ...r, imms: undefined, stackShift: undefined }));
let sections = 0, failed = 0;
const count = { stored: 0, stripped: 0 }, programs = { stored: new Set(), stripped: new Set() };
for (const dir of readdirSync(objs).sort()) for (const f of readdirSync(join(objs, dir)).filter((x) => x.endsWith('.o')).sort()) {
  const bytes = readFileSync(join(objs, dir, f));
  for (const p of listElfPrograms(bytes)) {
    let prog;
    try { prog = loadElfProgram(bytes, join(dir, f), p.name); } catch (e) { failed++; if (failed <= 3) process.stderr.write(`${dir}/${f}:${p.name}: ${e.message}\n`); continue; }
    sections++;
    for (const [kind, set] of [['stored', rules], ['stripped', stripped]]) {
      let any = false;
      for (const r of set) for (let i = 0; i < prog.insns.length; i++) if (bindAt(r, prog.insns, i)) { count[kind]++; any = true; programs[kind].add(`${dir}/${f}:${p.name}`); }
      if (!doApply || !any) continue;
      const t0 = performance.now();
      const o = applyRules(prog, prog.insns, snapshotOf(set), { safe: safetyPredicate(prog, variants), checker: createZ3Checker(prog, { impl, cache: false }) });
      applied[kind] += o.applied.length;
      if (kind === 'stored') { applied.rejected += o.rejected; applied.ms += performance.now() - t0; }
    }
  }
}
process.stdout.write(JSON.stringify({ database: dbPath, registersRules: rules.length, sections, unloadable: failed, matches: count, sectionsMatched: { stored: programs.stored.size, stripped: programs.stripped.size }, ...(doApply ? { applied: { ...applied, ms: Math.round(applied.ms) } } : {}) }) + '\n');
impl?.dispose();
