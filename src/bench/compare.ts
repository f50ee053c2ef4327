/**
 * `k2lab compare A B` (like pyperf's compare_to): for every benchmark × variant set × runtime
 * profile measured in both result folders, B's candidates/s relative to A's with a 95% bootstrap
 * CI and whether the difference is significant and beyond the A/A noise floor of the two sweeps;
 * per variant the geomean across benchmarks; and the regression gate of `--fail-above PCT`.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { InputError, inFile } from '../ebpf/errors.js';
import { analyze, rowOfCsv, type Row } from './analyze.js';
import { beyondFloor } from './noise.js';
import { bootstrapAcross, bootstrapRatio, mean, seedFor, type RatioCI } from './stats.js';
import { csvObjects, fmtCI, fmtInt, fmtPct, fmtRatio, METHOD } from './tables.js';

export interface CompareRow extends RatioCI {
  benchmark: string;
  variantSet: string;
  runtimeProfile: string;
  nA: number;
  meanA: number;
  nB: number;
  meanB: number;
  /** The larger of A's and B's A/A floor for this benchmark (fraction); NaN when neither sweep has an A/A pair. */
  floor: number;
  verdict: 'faster' | 'slower' | 'within the A/A floor' | 'not significant' | 'n/a';
}

export interface CompareSummary {
  variantSet: string;
  runtimeProfile: string;
  benchmarks: number;
  geomean: RatioCI;
}

export interface CompareResult {
  a: string;
  b: string;
  method: string;
  rows: CompareRow[];
  summaries: CompareSummary[];
  notes: string[];
}

export interface Loaded { rows: Row[]; raw: Record<string, string>[] }

/** A result folder's (or a runs.csv file's) runs as analysis rows. */
export function loadRuns(path: string): Loaded {
  const file = existsSync(path) && statSync(path).isDirectory() ? join(path, 'runs.csv') : path;
  if (!existsSync(file)) throw new InputError(`${path}: no runs.csv (not a k2lab result folder)`);
  const raw = inFile(file, () => csvObjects(readFileSync(file, 'utf8')));
  if (raw.length > 0 && !('candidatesPerSecond' in raw[0]! && 'benchmark' in raw[0]!)) throw new InputError(`${file}: not a k2lab runs.csv (no benchmark / candidatesPerSecond columns)`);
  return { rows: raw.map(rowOfCsv), raw };
}

/** Each benchmark's A/A floor in one folder (none when it has no A/A pair). */
export function floors(rows: readonly Row[]): Map<string, number> {
  const uniq = (f: (r: Row) => string): string[] => [...new Set(rows.map(f))];
  const a = analyze(rows, { benchmarks: uniq((r) => r.benchmark), variantSets: uniq((r) => r.variantSet), runtimeProfiles: uniq((r) => r.runtimeProfile) });
  return new Map((a.aa?.rows ?? []).filter((r) => Number.isFinite(r.floor)).map((r) => [r.benchmark, r.floor]));
}

const measured = (rows: Row[], b: string, v: string, p: string): number[] =>
  rows.filter((r) => !r.warmup && r.status === 'ok' && r.benchmark === b && r.variantSet === v && r.runtimeProfile === p && Number.isFinite(r.candidatesPerSecond)).map((r) => r.candidatesPerSecond);

export function compareDirs(a: string, b: string): CompareResult {
  const A = loadRuns(a);
  const B = loadRuns(b);
  const cells: { benchmark: string; variantSet: string; runtimeProfile: string }[] = [];
  const seen = new Set<string>();
  for (const r of A.rows) {
    const k = `${r.benchmark}\u0000${r.variantSet}\u0000${r.runtimeProfile}`;
    if (!r.warmup && !seen.has(k)) { seen.add(k); cells.push({ benchmark: r.benchmark, variantSet: r.variantSet, runtimeProfile: r.runtimeProfile }); }
  }
  const floorA = floors(A.rows);
  const floorB = floors(B.rows);
  const rows: CompareRow[] = [];
  const pairs = new Map<string, { treatment: number[]; baseline: number[] }[]>();
  for (const c of cells) {
    const va = measured(A.rows, c.benchmark, c.variantSet, c.runtimeProfile);
    const vb = measured(B.rows, c.benchmark, c.variantSet, c.runtimeProfile);
    if (va.length === 0 || vb.length === 0) continue;
    const ci = bootstrapRatio(vb, va, { seed: seedFor(`compare/${c.benchmark}/${c.variantSet}/${c.runtimeProfile}`) });
    const fl = [floorA.get(c.benchmark), floorB.get(c.benchmark)].filter((x): x is number => x !== undefined);
    const floor = fl.length ? Math.max(...fl) : NaN;
    const verdict = !Number.isFinite(ci.ciLow) ? 'n/a' : !ci.significant ? 'not significant' : !beyondFloor(ci, floor) ? 'within the A/A floor' : ci.ratio > 1 ? 'faster' : 'slower';
    rows.push({ ...c, nA: va.length, meanA: mean(va), nB: vb.length, meanB: mean(vb), ...ci, floor, verdict });
    const k = `${c.variantSet}\u0000${c.runtimeProfile}`;
    pairs.set(k, [...(pairs.get(k) ?? []), { treatment: vb, baseline: va }]);
  }
  const summaries: CompareSummary[] = [...pairs].map(([k, ps]) => {
    const [variantSet, runtimeProfile] = k.split('\u0000') as [string, string];
    return { variantSet, runtimeProfile, benchmarks: ps.length, geomean: bootstrapAcross(ps, { seed: seedFor(`compare/${k}`) }).geomean };
  });
  const notes: string[] = [];
  const iters = (raw: Record<string, string>[], bench: string): string => [...new Set(raw.filter((r) => r.benchmark === bench).map((r) => r.iterations))].join('/');
  for (const bench of new Set(rows.map((r) => r.benchmark))) {
    const ia = iters(A.raw, bench);
    const ib = iters(B.raw, bench);
    if (ia !== ib) notes.push(`${bench}: A ran ${ia} iterations, B ${ib}: candidates/s of different amounts of work`);
  }
  const commits = (raw: Record<string, string>[]): string => [...new Set(raw.map((r) => (r.gitCommit ?? '').slice(0, 12)).filter(Boolean))].join(', ') || 'unknown';
  notes.push(`A: commit ${commits(A.raw)}; B: commit ${commits(B.raw)}`);
  if (rows.length === 0) notes.push('no benchmark × variant set × profile was measured in both folders');
  if (floorA.size === 0 && floorB.size === 0) notes.push('neither folder has an A/A pair (k2-baseline#2): no noise floor, significance alone decides');
  return { a, b, method: METHOD, rows, summaries, notes };
}

export function compareMarkdown(r: CompareResult): string {
  const out = [`# ${r.b} vs ${r.a}`, '', `Ratio = mean candidates/s in B ÷ mean in A (> 1: B is faster); 95% CI: ${r.method}; significant when the CI excludes 1; a difference counts when it is also farther from 1 than the A/A floor (the larger of A's and B's for that benchmark).`, ''];
  out.push('| benchmark | variant set | profile | A c/s (n) | B c/s (n) | B/A | 95% CI | A/A floor | difference |', '|---|---|---|---:|---:|---:|---|---:|---|');
  for (const x of r.rows) {
    out.push(`| ${x.benchmark} | ${x.variantSet} | ${x.runtimeProfile} | ${fmtInt(x.meanA)} (${x.nA}) | ${fmtInt(x.meanB)} (${x.nB}) | ${fmtRatio(x.ratio)} | ${fmtCI(x.ciLow, x.ciHigh)} | ${Number.isFinite(x.floor) ? `±${fmtPct(x.floor)}` : '–'} | ${x.verdict} |`);
  }
  out.push('', '| variant set | profile | benchmarks | geomean B/A | 95% CI |', '|---|---|---:|---:|---|');
  for (const s of r.summaries) out.push(`| ${s.variantSet} | ${s.runtimeProfile} | ${s.benchmarks} | ${fmtRatio(s.geomean.ratio)} | ${fmtCI(s.geomean.ciLow, s.geomean.ciHigh)} |`);
  out.push('', ...r.notes.map((n) => `- ${n}`), '');
  return out.join('\n');
}

export function compareCsv(r: CompareResult): string {
  const head = ['benchmark', 'variantSet', 'runtimeProfile', 'nA', 'meanA', 'nB', 'meanB', 'ratio', 'ciLow', 'ciHigh', 'significant', 'aaFloor', 'verdict'];
  const num = (x: number, d: number): number | string => (Number.isFinite(x) ? Number(x.toFixed(d)) : '');
  return stringify([head, ...r.rows.map((x) => [x.benchmark, x.variantSet, x.runtimeProfile, x.nA, num(x.meanA, 2), x.nB, num(x.meanB, 2),
    num(x.ratio, 4), num(x.ciLow, 4), num(x.ciHigh, 4), String(x.significant), num(x.floor, 4), x.verdict])]);
}

export function compareJson(r: CompareResult): string {
  const clean = (x: number): number | null => (Number.isFinite(x) ? x : null);
  return JSON.stringify({
    ...r,
    rows: r.rows.map((x) => ({ ...x, ratio: clean(x.ratio), ciLow: clean(x.ciLow), ciHigh: clean(x.ciHigh), floor: clean(x.floor) })),
    summaries: r.summaries.map((s) => ({ ...s, geomean: { ...s.geomean, ratio: clean(s.geomean.ratio), ciLow: clean(s.geomean.ciLow), ciHigh: clean(s.geomean.ciHigh) } })),
  }, null, 2) + '\n';
}

/**
 * The regression gate (`--fail-above PCT`): rows where B is significantly slower than A by more than
 * PCT percent beyond the A/A floor, i.e. 1 − B/A > floor + PCT/100 (floor 0 without an A/A pair).
 */
export function regressions(r: CompareResult, pct: number): CompareRow[] {
  return r.rows.filter((x) => x.significant && x.ratio < 1 && 1 - x.ratio > (Number.isFinite(x.floor) ? x.floor : 0) + pct / 100);
}

export function regressionLine(x: CompareRow, pct: number): string {
  return `${x.benchmark} / ${x.variantSet} / ${x.runtimeProfile}: B is ${fmtPct(1 - x.ratio)} slower (B/A ${fmtRatio(x.ratio)} ${fmtCI(x.ciLow, x.ciHigh)}), more than ${pct}% beyond the A/A floor ${Number.isFinite(x.floor) ? `±${fmtPct(x.floor)}` : '(none)'}`;
}
