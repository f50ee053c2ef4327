#!/usr/bin/env node
// The rule database on ../shared/real-world (results/rules/real-world.md): the objects, sorted by
// path, alternate between a learning half (even positions) and an unseen half (odd positions).
//   learn: every learning object optimized for --learn s into one fresh database (--db);
//   cold:  every unseen object for --cold s without rules;
//   warm:  every unseen object for --use s with a copy of the database (so no unseen object
//          teaches another), into WORK/warm-USEs;
//   report: the table (a column per warm budget run). Each run's JSON is kept under --work (not committed).
// Usage: node scripts/rules-real-world.mjs PHASE [--learn 20] [--cold 60] [--use 5 | --iterations N] [--work /tmp/rw] [--db FILE] [--limit N] [--resume]
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, d) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : d; };
const phase = process.argv[2];
const learn = Number(arg('learn', '20')), cold = Number(arg('cold', '60')), use = Number(arg('use', '5'));
const work = resolve(arg('work', '/tmp/k2lab-rules-real-world'));
const db = resolve(arg('db', join(work, 'learn.rules.sqlite')));
const limit = Number(arg('limit', '1000'));
const iterations = arg('iterations', undefined);
const corpus = resolve(root, '..', 'shared', 'real-world');
const objects = [...new Set(readFileSync(join(corpus, 'INDEX.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t')[0]))].sort();
const half = (k) => objects.filter((_, i) => i % 2 === k).slice(0, limit);
const nameOf = (o) => o.replace(/^objs\//, '').replace(/[/+]/g, '_').replace(/\.o$/, '');

function optimize(obj, seconds, rules, tag) {
  const dir = join(work, tag);
  mkdirSync(dir, { recursive: true });
  const json = join(dir, `${nameOf(obj)}.json`);
  if (process.argv.includes('--resume') && existsSync(json)) return; // done by an earlier invocation
  // --iterations N: bounded by N iterations (no time limit), the wall time is recorded beside the JSON.
  const bound = iterations ? ['-n', String(iterations)] : ['--time-limit', String(seconds)];
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [join(root, 'bin', 'k2lab.js'), 'optimize', join(corpus, obj), '-o', join(dir, `${nameOf(obj)}.opt.o`),
    ...bound, '--rules', rules, '--json', json, '--quiet'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  writeFileSync(json.replace(/\.json$/, '.wall'), String(Date.now() - t0));
  if (r.status !== 0) process.stderr.write(`${obj}: optimize exited ${r.status}: ${r.stderr.trim().split('\n').pop()}\n`);
  else process.stderr.write(`${tag} ${obj}: ${summary(obj, tag)?.after}\n`);
}

function summary(obj, tag) {
  const f = join(work, tag, `${nameOf(obj)}.json`);
  if (!existsSync(f)) return undefined;
  const j = JSON.parse(readFileSync(f, 'utf8'));
  const rules = j.reports.flatMap((x) => (x.rules ? [x.rules] : []));
  const sum = (k) => rules.reduce((t, x) => t + (x[k] ?? 0), 0);
  return {
    before: j.sections.reduce((t, s) => t + s.before, 0), after: j.sections.reduce((t, s) => t + s.after, 0), sections: j.sections.length,
    applied: sum('applied'), during: sum('appliedDuringSearch'), learned: sum('learned'), proved: sum('provedRewrites'),
    generalApplied: sum('appliedGeneral'), digests: rules.map((x) => x.digest).join(' '),
    wall: existsSync(f.replace(/\.json$/, '.wall')) ? Math.round(Number(readFileSync(f.replace(/\.json$/, '.wall'), 'utf8')) / 100) / 10 : NaN,
  };
}

const label = (b) => (b.startsWith('n') ? `-n ${b.slice(1)}` : `${b.slice(0, -1)} s`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

if (phase === 'learn') {
  rmSync(db, { force: true });
  for (const o of half(0)) optimize(o, learn, db, 'learn');
} else if (phase === 'cold') {
  for (const o of half(1)) optimize(o, cold, 'none', 'cold');
} else if (phase === 'warm') {
  const copy = join(work, 'warm.rules.sqlite');
  for (const o of half(1)) { copyFileSync(db, copy); rmSync(`${copy}.lock`, { recursive: true, force: true }); optimize(o, use, copy, iterations ? `warm-n${iterations}` : `warm-${use}s`); }
} else if (phase === 'report') {
  const budgets = existsSync(work) ? readdirSync(work).flatMap((d) => { const m = d.match(/^warm-(\d+s|n\d+)$/); return m ? [m[1]] : []; }).sort() : [];
  const rows = half(1).map((o) => ({ o, c: summary(o, 'cold'), w: budgets.map((b) => summary(o, `warm-${b}`)) })).filter((r) => r.c && r.w.some(Boolean));
  const l = half(0).map((o) => summary(o, 'learn')).filter(Boolean);
  const md = [
    `| object (unseen half) | sections | original | ${cold} s, no rules | ${budgets.map((b) => `${label(b)}, learned DB | applied (during search, generalised)`).join(' | ')} |`,
    `|---|---|---|---|${budgets.map(() => '---|---|').join('')}`,
    ...rows.map(({ o, c, w }) => `| ${o.replace(/^objs\//, '')} | ${c.sections} | ${c.before} | ${c.after} | ${w.map((x) => (x ? `${x.after} | ${x.applied} (${x.during}, ${x.generalApplied})` : '– | –')).join(' | ')} |`),
    '',
    `Learning half: ${l.length} objects, ${l.reduce((t, s) => t + s.before, 0)} → ${l.reduce((t, s) => t + s.after, 0)} slots in ${learn} s each; ${l.reduce((t, s) => t + s.proved, 0)} proved window rewrites, ${l.reduce((t, s) => t + s.learned, 0)} rules learned.`,
    `Unseen half: ${rows.length} objects, original ${rows.reduce((t, r) => t + r.c.before, 0)} slots, ${cold} s without rules ${rows.reduce((t, r) => t + r.c.after, 0)}.`,
    ...budgets.map((b, i) => {
      const rs = rows.filter((r) => r.w[i]);
      return `${label(b)} with the database, ${rs.length} objects${b.startsWith('n') ? ` (wall time per object: median ${median(rs.map((r) => r.w[i].wall))} s, max ${Math.max(...rs.map((r) => r.w[i].wall))} s)` : ''}: ${rs.reduce((t, r) => t + r.w[i].after, 0)} slots (${rs.reduce((t, r) => t + r.c.after, 0)} after ${cold} s without rules, ${rs.reduce((t, r) => t + r.c.before, 0)} original); at least the ${cold} s size without it on ${rs.filter((r) => r.w[i].after <= r.c.after).length}, strictly smaller on ${rs.filter((r) => r.w[i].after < r.c.after).length}; rules applied on ${rs.filter((r) => r.w[i].applied > 0).length} objects (${rs.reduce((t, r) => t + r.w[i].applied, 0)} applications, ${rs.reduce((t, r) => t + r.w[i].generalApplied, 0)} of generalised rules).`;
    }),
  ];
  process.stdout.write(md.join('\n') + '\n');
} else {
  process.stderr.write('usage: rules-real-world.mjs learn|cold|warm|report [--learn S] [--cold S] [--use S] [--work DIR] [--db FILE] [--limit N]\n');
  process.exit(2);
}
