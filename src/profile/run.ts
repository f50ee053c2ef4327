/**
 * `k2lab profile`: for each (benchmark, variant set) one profiled optimizer run per tool, written to
 * profiles/<run-id>/<benchmark>/<variant>/ with the reports made from the CPU profile; then per
 * benchmark the diff of the first variant against each other one, and an index of the run.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { InputError } from '../ebpf/errors.js';
import { repoRoot } from '../common/paths.js';
import { makeDirs, writeFileAtomic } from '../common/atomic-write.js';
import { analyze, bySelf, pct, type Analysis } from './analyze.js';
import { readThreads } from './cpuprofile.js';
import { diffMd, functionChanges } from './diff.js';
import { diffFlameSvg, flameSvg } from './flame.js';
import { CATEGORIES, FrameResolver } from './frames.js';
import { categoryShares, topFunctionsCsv, topFunctionsMd, whereTimeGoesMd } from './top-functions.js';
import { scaledIterations, type ProfileBenchmark } from './suite.js';
import { run0x, runClinic, runCpuProf, type OptimizerCommand, type Tool } from './tools.js';

export interface ProfileOptions {
  benchmarks: ProfileBenchmark[];
  variants: string[];
  runtimeProfile: string;
  nodeFlags: readonly string[];
  tools: Tool[];
  iterationsScale: number;
  /** Explicit iterations (overrides the scale). */
  iterations: number | undefined;
  seed: number;
  intervalUs: number;
  outDir: string;
  keepRaw: boolean;
  topN: number;
  /** More arguments for `k2lab optimize` (e.g. --checker tests-only). */
  optimizerArgs: readonly string[];
  /** Progress lines (stderr). */
  log: (line: string) => void;
}

/** profiles/<UTC date-time>, with -2, -3 … when that folder exists. */
export function newRunDir(base = join(repoRoot, 'profiles')): string {
  const stamp = new Date().toISOString().replace(/\.\d+Z$/, '').replace(/:/g, '-');
  for (let i = 1; ; i++) {
    const dir = join(base, i === 1 ? stamp : `${stamp}-${i}`);
    if (!existsSync(dir)) return dir;
  }
}

/** A path as the user should see it: relative to the current directory when below it. */
export function shown(p: string): string {
  const r = relative(process.cwd(), p);
  return r === '' ? '.' : r.startsWith('..') ? p : r;
}

interface Done {
  bench: string;
  variant: string;
  dir: string;
  analysis: Analysis;
}

export function runProfiles(o: ProfileOptions): void {
  makeDirs(o.outDir);
  const done: Done[] = [];
  const resolver = new FrameResolver();
  for (const b of o.benchmarks) {
    const n = o.iterations ?? scaledIterations(b, o.iterationsScale);
    for (const variant of o.variants) {
      const dir = join(o.outDir, b.name, variant);
      makeDirs(dir);
      const cmd: OptimizerCommand = {
        nodeFlags: o.nodeFlags,
        env: { K2LAB_RULES: process.env['K2LAB_RULES'] ?? 'none', K2LAB_RUNTIME_PROFILE: o.runtimeProfile },
        label: `${b.name} / ${variant}`,
        args: [join(repoRoot, 'bin', 'k2lab.js'), 'optimize', b.program, '--params-from', b.suite, '--bench', b.name,
          '-n', String(n), '--seed', String(o.seed), '--variants', variant, '--json', join(dir, 'run-report.json'), '--quiet', ...o.optimizerArgs],
      };
      o.log(`profiling ${cmd.label}: ${n} iterations, ${['cpuprof', ...o.tools].join(' + ')}…`);
      const cpu = runCpuProf(cmd, dir, o.intervalUs);
      writeFileAtomic(join(dir, 'optimize.txt'), cpu.stdout);
      const files = [...cpu.files, 'run-report.json', 'optimize.txt'];
      for (const t of o.tools) {
        if (t === '0x') files.push(...run0x(cmd, dir, o.keepRaw).files);
        else if (t === 'clinic-flame') files.push(...runClinic('flame', cmd, dir, o.keepRaw).files);
        else if (t === 'clinic-doctor') files.push(...runClinic('doctor', cmd, dir, o.keepRaw).files);
      }
      const a = analyze(readThreads(join(dir, 'optimizer.cpuprofile')), resolver);
      const report = readReport(join(dir, 'run-report.json'));
      const title = `${b.name} / ${variant}${o.runtimeProfile !== 'default' ? ` / runtime profile ${o.runtimeProfile}` : ''}`;
      files.push(...writeReports(dir, a, title, runNotes(report, n, o), o.topN));
      writeFileAtomic(join(dir, 'summary.json'), JSON.stringify(summaryJson(b.name, variant, o, n, a, report, files), null, 2) + '\n');
      files.push('summary.json');
      process.stdout.write(summaryLine(b.name, variant, n, a, dir, files) + '\n');
      done.push({ bench: b.name, variant, dir, analysis: a });
    }
    const mine = done.filter((d) => d.bench === b.name);
    const base = mine[0];
    for (const other of mine.slice(1)) {
      if (!base) break;
      const stem = join(o.outDir, b.name, `diff-${base.variant}-vs-${other.variant}`);
      writeDiff(base.analysis, other.analysis, stem, { labelA: `${b.name} / ${base.variant}`, labelB: `${b.name} / ${other.variant}`, pathA: shown(base.dir), pathB: shown(other.dir) });
      process.stdout.write(diffLine(`${b.name} ${base.variant} → ${other.variant}`, base.analysis, other.analysis, stem) + '\n');
    }
  }
  writeFileAtomic(join(o.outDir, 'index.md'), indexMd(o, done));
}

function readReport(file: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function runNotes(r: Record<string, unknown> | undefined, n: number, o: ProfileOptions): string[] {
  const flags = o.nodeFlags.length > 0 ? ` (${o.nodeFlags.join(' ')})` : '';
  const lines = [`Optimizer run: ${n} iterations, seed ${o.seed}, runtime profile ${o.runtimeProfile}${flags}, sampled every ${o.intervalUs} µs.`];
  if (r && typeof r.wallMs === 'number') {
    const rate = typeof r.candidatesPerSecond === 'number' ? `, ${r.candidatesPerSecond.toFixed(0)} candidates/s` : '';
    const insns = typeof r.originalInsnCount === 'number' ? `, ${r.originalInsnCount} → ${String(r.bestInsnCount)} instructions` : '';
    lines.push(`RunReport: search ${(r.wallMs / 1000).toFixed(2)} s${rate}${insns}, trajectory digest ${String(r.trajectoryDigest)} (profiler overhead included).`);
  }
  return lines;
}

/** top-functions.md/.csv, where-time-goes.md and flamegraph.svg; returns their names. */
export function writeReports(dir: string, a: Analysis, title: string, notes: string[], topN: number): string[] {
  writeFileAtomic(join(dir, 'top-functions.md'), topFunctionsMd(a, { title, notes }, topN));
  writeFileAtomic(join(dir, 'top-functions.csv'), topFunctionsCsv(a));
  writeFileAtomic(join(dir, 'where-time-goes.md'), `# Where the time goes — ${title}\n\n${whereTimeGoesMd(a, '').trimStart()}`);
  writeFileAtomic(join(dir, 'flamegraph.svg'), flameSvg(a, `${title} — CPU profile`));
  return ['top-functions.md', 'top-functions.csv', 'where-time-goes.md', 'flamegraph.svg'];
}

export function writeDiff(A: Analysis, B: Analysis, stem: string, ctx: Parameters<typeof diffMd>[2]): void {
  writeFileAtomic(`${stem}.md`, diffMd(A, B, ctx));
  writeFileAtomic(`${stem}.svg`, diffFlameSvg(A, B, { a: ctx.labelA, b: ctx.labelB, title: `Differential flamegraph — A: ${ctx.labelA} → B: ${ctx.labelB}` }));
}

const SHORT: Record<string, string> = { z3: 'Z3', gc: 'GC', interpreter: 'interp', safety: 'safety', proposals: 'proposals', cost: 'cost', other: 'other' };

function summaryLine(bench: string, variant: string, n: number, a: Analysis, dir: string, files: string[]): string {
  const top = bySelf(a).find((s) => !s.info.special);
  const cats = CATEGORIES.map((c) => `${SHORT[c]} ${pct(a.categories[c], a.busyMs).toFixed(1)}%`).join(' ');
  const topText = top ? `top ${top.info.name} ${pct(top.selfMs, a.busyMs).toFixed(1)}% (${top.info.location})` : 'no samples';
  return `${bench} ${variant}: ${n} iterations, ${(a.busyMs / 1000).toFixed(2)} s sampled; ${topText}; ${cats} → ${shown(dir)}/{${files.join(',')}}`;
}

export function diffLine(label: string, A: Analysis, B: Analysis, stem: string): string {
  const ch = functionChanges(A, B);
  const up = ch[0];
  const down = ch[ch.length - 1];
  const fmt = (c: typeof up): string => (c ? `${c.info.name} ${c.delta >= 0 ? '+' : '−'}${Math.abs(c.delta).toFixed(1)} pts` : '—');
  return `diff ${label}: largest gain ${fmt(up)}, largest loss ${fmt(down)}; sampled ${(A.busyMs / 1000).toFixed(2)} s → ${(B.busyMs / 1000).toFixed(2)} s → ${shown(stem)}.{md,svg}`;
}

function summaryJson(bench: string, variant: string, o: ProfileOptions, n: number, a: Analysis, report: Record<string, unknown> | undefined, files: string[]) {
  return {
    benchmark: bench, variantSet: variant, runtimeProfile: o.runtimeProfile, nodeFlags: o.nodeFlags, iterations: n, seed: o.seed,
    tools: ['cpuprof', ...o.tools], sampleIntervalUs: o.intervalUs, busyMs: Number(a.busyMs.toFixed(2)), idleMs: Number(a.idleMs.toFixed(2)),
    threads: a.threads.map((t) => ({ label: t.label, busyMs: Number(t.busyMs.toFixed(2)), idleMs: Number(t.idleMs.toFixed(2)) })),
    categories: categoryShares(a),
    top: bySelf(a).slice(0, 10).map((s) => ({ function: s.info.name, source: s.info.location, selfPct: Number(pct(s.selfMs, a.busyMs).toFixed(2)), inclusivePct: Number(pct(s.totalMs, a.busyMs).toFixed(2)) })),
    candidatesPerSecond: report?.candidatesPerSecond ?? null, trajectoryDigest: report?.trajectoryDigest ?? null,
    files,
  };
}

function indexMd(o: ProfileOptions, done: Done[]): string {
  const lines = [
    `# Profile run ${resolve(o.outDir).split('/').pop()}`, '',
    `Variant sets ${o.variants.join(', ')}; runtime profile ${o.runtimeProfile}; tools cpuprof${o.tools.map((t) => ` + ${t}`).join('')}; seed ${o.seed}.`, '',
    '## Where the time goes (share of sampled time, %)', '',
    `| benchmark | variant | ${CATEGORIES.join(' | ')} | sampled ms |`, `|---|---|${CATEGORIES.map(() => '---:|').join('')}---:|`,
    ...done.map((d) => `| ${d.bench} | [${d.variant}](${d.bench}/${d.variant}/top-functions.md) | ${CATEGORIES.map((c) => pct(d.analysis.categories[c], d.analysis.busyMs).toFixed(1)).join(' | ')} | ${d.analysis.busyMs.toFixed(0)} |`),
    '',
  ];
  const benches = [...new Set(done.map((d) => d.bench))];
  const diffs = benches.flatMap((b) => {
    const v = done.filter((d) => d.bench === b);
    return v.slice(1).map((x) => `- ${b}: [${v[0]!.variant} → ${x.variant}](${b}/diff-${v[0]!.variant}-vs-${x.variant}.md) ([flamegraph](${b}/diff-${v[0]!.variant}-vs-${x.variant}.svg))`);
  });
  if (diffs.length > 0) lines.push('## Diffs', '', ...diffs, '');
  return lines.join('\n');
}

/** `--diff A B` on its own: reads both profiles, writes OUT/diff.md and OUT/diff.svg. */
export function runDiff(pathA: string, pathB: string, outDir: string): void {
  const resolver = new FrameResolver();
  const A = analyze(readThreads(pathA), resolver);
  const B = analyze(readThreads(pathB), resolver);
  if (A.busyMs <= 0 || B.busyMs <= 0) throw new InputError(`${A.busyMs <= 0 ? pathA : pathB}: the profile has no samples`);
  makeDirs(outDir);
  const stem = join(outDir, 'diff');
  writeDiff(A, B, stem, { labelA: shown(pathA), labelB: shown(pathB), pathA: shown(pathA), pathB: shown(pathB) });
  process.stdout.write(diffLine(`${shown(pathA)} → ${shown(pathB)}`, A, B, stem) + '\n');
}
