#!/usr/bin/env node
// Time-to-size with and without a warm rule database on K2's 11 programs (results/rules/):
// 1. learn: every program optimized for LEARN s into one fresh database (K2's flags from suite.json);
// 2. per program, USE s without rules (--rules none) and USE s with the warm database.
// Usage: node scripts/rules-measure.mjs [--learn 30] [--use 5] [--out results/rules] [--suite ../shared/k2-suite/suite.json] [--only a,b]
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, d) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : d; };
const learn = Number(arg('learn', '30')), use = Number(arg('use', '5'));
const out = resolve(arg('out', join(root, 'results', 'rules')));
const suite = resolve(arg('suite', join(root, '..', 'shared', 'k2-suite', 'suite.json')));
const only = arg('only', '')?.split(',').filter(Boolean) ?? [];
const benches = JSON.parse(readFileSync(suite, 'utf8')).benchmarks.map((b) => b.name).filter((n) => only.length === 0 || only.includes(n));
mkdirSync(out, { recursive: true });
const db = join(out, 'k2-suite.rules.sqlite');
rmSync(db, { force: true });

function optimize(bench, seconds, rules) {
  const prog = join(dirname(suite), 'programs', bench);
  const r = spawnSync(process.execPath, [join(root, 'bin', 'k2lab.js'), 'optimize', prog, '--params-from', suite, '--bench', bench,
    '--time-limit', String(seconds), '--rules', rules, '--json', '-', '--quiet'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${bench}: optimize exited ${r.status}: ${r.stderr.trim().split('\n').pop()}`);
  const j = JSON.parse(r.stdout);
  return { insns: j.bestInsnCount, original: j.originalInsnCount, msToBest: j.msToBest, rules: j.rules ?? null, digest: j.trajectoryDigest };
}

const rows = [];
for (const b of benches) {
  const l = optimize(b, learn, db);
  process.stderr.write(`${b}: learned ${l.rules.learned} rule(s), ${l.original} -> ${l.insns} in ${learn} s\n`);
  rows.push({ bench: b, original: l.original, learnInsns: l.insns, learnMsToBest: l.msToBest, learned: l.rules.learned });
}
for (const row of rows) {
  const cold = optimize(row.bench, use, 'none');
  const warm = optimize(row.bench, use, db);
  Object.assign(row, { coldInsns: cold.insns, coldMsToBest: cold.msToBest, warmInsns: warm.insns, warmMsToBest: warm.msToBest, applied: warm.rules.applied, rulesDigest: warm.rules.digest });
  process.stderr.write(`${row.bench}: ${use} s cold ${cold.insns}, warm ${warm.insns} (${warm.rules.applied} rules applied)\n`);
}
const cols = ['bench', 'original', 'learnInsns', 'learnMsToBest', 'learned', 'coldInsns', 'coldMsToBest', 'warmInsns', 'warmMsToBest', 'applied', 'rulesDigest'];
writeFileSync(join(out, 'k2-suite-time-to-size.csv'), [cols.join(','), ...rows.map((r) => cols.map((c) => r[c]).join(','))].join('\n') + '\n');
const md = [
  `# Time to size with and without a warm rule database (K2's 11 programs)`,
  ``,
  `\`node scripts/rules-measure.mjs --learn ${learn} --use ${use}\`: each program optimized for ${learn} s into one fresh database (K2's flags from suite.json, seed 1), then ${use} s without rules and ${use} s with the warm database. Instructions are real instruction counts; ms to best is the search time to the best program (0: the rules already gave it). Taken on a loaded 2-core machine shared with other jobs: times are indicative.`,
  ``,
  `| program | original | ${learn} s learning run | ms to best | rules learned | ${use} s, no rules | ms to best | ${use} s, warm DB | ms to best | rules applied |`,
  `|---|---|---|---|---|---|---|---|---|---|`,
  ...rows.map((r) => `| ${r.bench} | ${r.original} | ${r.learnInsns} | ${r.learnMsToBest} | ${r.learned} | ${r.coldInsns} | ${r.coldMsToBest} | ${r.warmInsns} | ${r.warmMsToBest} | ${r.applied} |`),
  ``,
  `Warm reaches the learning run's size on ${rows.filter((r) => r.warmInsns <= r.learnInsns).length} of ${rows.length}; without rules ${use} s reaches it on ${rows.filter((r) => r.coldInsns <= r.learnInsns).length} of ${rows.length}.`,
];
writeFileSync(join(out, 'k2-suite-time-to-size.md'), md.join('\n') + '\n');
process.stdout.write(md.join('\n') + '\n');
