#!/usr/bin/env node
// Unseen siblings (results/rules/real-world.md): for every section of the real-world learning half
// that taught the database a rule (scripts/rules-real-world.mjs learn), a modified variant — one
// immediate of a `mov`/conditional-jump instruction changed by one, in a slot at least 3 slots away
// from every learned window of that section name, the last such slot whose variant the Linux
// verifier accepts — optimized for --use s with a copy of the
// database and --cold s without rules. Variants and run JSON under --work (not committed).
// Usage: node scripts/rules-siblings.mjs [--cold 60] [--use 5 | --iterations N] [--work /tmp/rw] [--db FILE]
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, d) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : d; };
const cold = Number(arg('cold', '60')), use = Number(arg('use', '5'));
// --iterations N: the run with the database bounded by N iterations instead (its wall time is shown).
const iterations = arg('iterations', undefined);
const useTag = iterations ? `n${iterations}` : `${use}s`;
const work = resolve(arg('work', '/tmp/k2lab-rules-real-world'));
const db = resolve(arg('db', join(work, 'learn.rules.sqlite')));
const corpus = resolve(root, '..', 'shared', 'real-world');
const objects = [...new Set(readFileSync(join(corpus, 'INDEX.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t')[0]))].sort();
const nameOf = (o) => o.replace(/^objs\//, '').replace(/[/+]/g, '_').replace(/\.o$/, '');
const k2lab = (args) => spawnSync(process.execPath, [join(root, 'bin', 'k2lab.js'), ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });

const rules = k2lab(['rules', 'export', '--rules', db]).stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
const windows = (section) => rules.filter((r) => r.provenance.section === section).map((r) => [r.witness.s, r.witness.e]);

/** File offset and size of a section, from readelf. */
function sectionRange(file, section) {
  const out = execFileSync('readelf', ['-S', '-W', file], { encoding: 'utf8' });
  for (const line of out.split('\n')) {
    const m = line.match(/\]\s+(\S+)\s+\S+\s+[0-9a-f]+\s+([0-9a-f]+)\s+([0-9a-f]+)/);
    if (m && m[1] === section) return { off: parseInt(m[2], 16), size: parseInt(m[3], 16) };
  }
  throw new Error(`${file}: no section ${section}`);
}

const MOV_OR_JUMP_IMM = new Set([0xb7, 0xb4, 0x15, 0x55, 0x25, 0x35, 0xa5, 0xb5, 0x16, 0x56]);
/** The variant is a real program only when the Linux verifier takes it (a changed immediate can make it unsafe). */
const kernelAccepts = (file, section) => k2lab(['kernel-check', file, '--section', section]).status === 0;
function makeVariant(obj, section, out) {
  const original = readFileSync(join(corpus, obj));
  const { off, size } = sectionRange(join(corpus, obj), section);
  const avoid = windows(section);
  for (let i = size / 8 - 1; i >= 0; i--) {
    const at = off + 8 * i;
    if (!MOV_OR_JUMP_IMM.has(original[at])) continue;
    if (avoid.some(([s, e]) => i >= s - 3 && i <= e + 3)) continue;
    const bytes = Buffer.from(original);
    const imm = bytes.readInt32LE(at + 4);
    bytes.writeInt32LE(imm + 1, at + 4);
    writeFileSync(out, bytes);
    if (!kernelAccepts(out, section)) { process.stderr.write(`${obj} ${section}: slot ${i} imm ${imm}→${imm + 1}: the verifier rejects it, next slot\n`); continue; }
    return { slot: i, op: bytes[at], imm };
  }
  return undefined;
}

function optimize(file, section, seconds, rulesDb, json, bound = ['--time-limit', String(seconds)]) {
  const t0 = Date.now();
  const r = k2lab(['optimize', file, '--section', section, '-o', json.replace(/\.json$/, '.opt.o'), ...bound, '--rules', rulesDb, '--json', json, '--quiet']);
  if (r.status !== 0) { process.stderr.write(`${file} ${section}: exit ${r.status}: ${r.stderr.trim().split('\n').pop()}\n`); return undefined; }
  return { ...readJson(json, section), wall: Math.round((Date.now() - t0) / 100) / 10 };
}

function readJson(json, section) {
  const j = JSON.parse(readFileSync(json, 'utf8'));
  const s = j.sections.find((x) => x.section === section);
  const rep = j.reports[0]?.rules;
  return { before: s.before, after: s.after, applied: rep?.applied ?? 0, general: rep?.appliedGeneral ?? 0 };
}

const dir = join(work, 'siblings');
mkdirSync(dir, { recursive: true });
const rows = [];
for (const obj of objects) {
  const f = join(work, 'learn', `${nameOf(obj)}.json`);
  if (!existsSync(f)) continue;
  const j = JSON.parse(readFileSync(f, 'utf8'));
  const taught = j.reports.filter((r) => (r.rules?.learned ?? 0) > 0);
  for (const r of taught) {
    const section = j.sections.find((s) => s.section === r.benchmark || r.benchmark.endsWith(s.section))?.section ?? r.benchmark;
    // A function of a section (SECTION:FUNCTION) is not located by this script: skipped.
    if (section.includes(':')) { process.stderr.write(`${obj} ${section}: a function inside a section, skipped\n`); continue; }
    const variant = join(dir, `${nameOf(obj)}.${section.replace(/\W/g, '_')}.variant.o`);
    const v = makeVariant(obj, section, variant);
    if (!v) { process.stderr.write(`${obj} ${section}: no immediate to change away from the learned windows\n`); continue; }
    const copy = join(dir, 'warm.rules.sqlite');
    copyFileSync(db, copy); rmSync(`${copy}.lock`, { recursive: true, force: true });
    const warm = optimize(variant, section, use, copy, variant.replace(/\.o$/, `.warm-${useTag}.json`), iterations ? ['-n', iterations] : undefined);
    // The run without rules depends on the variant only: kept from an earlier invocation.
    const coldJson = variant.replace(/\.o$/, `.slot${v.slot}.cold-${cold}s.json`); // per variant: the slot chosen may change
    const coldRun = existsSync(coldJson) ? readJson(coldJson, section) : optimize(variant, section, cold, 'none', coldJson);
    if (!warm || !coldRun) continue;
    rows.push({ obj, section, ...v, warm, cold: coldRun });
    process.stderr.write(`${obj} ${section}: slot ${v.slot} imm ${v.imm}→${v.imm + 1}: ${coldRun.before} → ${cold} s no rules ${coldRun.after}, ${useTag} with DB ${warm.after} in ${warm.wall} s (${warm.applied} applied)\n`);
  }
}
const md = [
  `| learned object | section | changed slot (imm) | original | ${cold} s, no rules | ${iterations ? `-n ${iterations}` : `${use} s`}, learned DB | wall s | rules applied (generalised) |`,
  '|---|---|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.obj.replace(/^objs\//, '')} | ${r.section} | ${r.slot} (${r.imm} → ${r.imm + 1}) | ${r.cold.before} | ${r.cold.after} | ${r.warm.after} | ${r.warm.wall} | ${r.warm.applied} (${r.warm.general}) |`),
  '',
  `${iterations ? `-n ${iterations}` : `${use} s`} with the database reaches at least the ${cold} s size without it on ${rows.filter((r) => r.warm.after <= r.cold.after).length} of ${rows.length} variants; strictly smaller on ${rows.filter((r) => r.warm.after < r.cold.after).length}.`,
];
writeFileSync(join(dir, `table-${useTag}.md`), md.join('\n') + '\n');
process.stdout.write(md.join('\n') + '\n');
