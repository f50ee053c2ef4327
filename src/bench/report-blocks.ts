/**
 * The content of report.md and report.html as one list of blocks (headings, text, tables, charts,
 * links), built once from the analysis so the two files always say the same thing: speed-ups across
 * and per benchmark with CIs, candidates/s, the K2 native reference row, failures and the method.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot } from '../common/paths.js';
import type { Analysis } from './analyze.js';
import type { Chart } from './charts.js';
import { NATIVE_LABEL } from './charts.js';
import type { Environment } from './environment.js';
import type { NativeReference } from './native.js';
import { cvWarnings, isAaCopy, loadThreshold, loadWarnings, OUTLIER_Z } from './noise.js';
import type { SweepConfig } from './plan.js';
import { fmtCI, fmtInt, fmtPct, fmtRatio, METHOD } from './tables.js';

export type Block =
  | { kind: 'h'; level: 1 | 2 | 3; text: string }
  | { kind: 'p'; text: string }
  | { kind: 'list'; items: string[] }
  | { kind: 'table'; head: string[]; rows: string[][]; numeric: boolean[] }
  | { kind: 'chart'; name: string; title: string }
  | { kind: 'links'; items: { text: string; href: string }[] };

export interface ReportContext {
  dir: string;
  config: SweepConfig;
  analysis: Analysis;
  native: NativeReference | null;
  env: Environment | null;
  charts: Chart[];
  /** Planned runs with no record yet (an interrupted or partial sweep). */
  missing: number;
}

const table = (head: string[], rows: string[][], numeric: boolean[]): Block => ({ kind: 'table', head, rows, numeric });

/** Profile files of this run id (profiles/<run-id>/<benchmark>/<variant>/…), as links relative to the result folder. */
export function profileLinks(dir: string, runId: string): { text: string; href: string }[] {
  const root = join(repoRoot, 'profiles', runId);
  if (!existsSync(root)) return [];
  const out: { text: string; href: string }[] = [];
  const walk = (d: string, depth: number): void => {
    for (const f of readdirSync(d).sort()) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) { if (depth < 4) walk(p, depth + 1); continue; }
      if (/\.(html|md|csv|cpuprofile|svg)$/.test(f)) out.push({ text: relative(root, p), href: relative(dir, p).split('\\').join('/') });
    }
  };
  walk(root, 0);
  return out;
}

/** The A/A floor, the noise warnings (load, CV, pinning) and the outliers. */
export function noiseBlocks(x: ReportContext): Block[] {
  const { analysis: a } = x;
  const base = a.baseline.variantSet;
  const b: Block[] = [{ kind: 'h', level: 2, text: 'Noise floor (A/A)' }];
  if (a.aa) {
    b.push({ kind: 'p', text: `\`${a.aa.variantSet}\` runs exactly what \`${base}\` runs (same set, same seed, interleaved with the others), so its ratio to \`${base}\` is the difference identical code shows on this machine today. Overall A/A (geomean across benchmarks): ${fmtRatio(a.aa.overall.ratio)} ${fmtCI(a.aa.overall.ciLow, a.aa.overall.ciHigh)}, floor ±${fmtPct(a.aa.overallFloor)}. Speed-ups within a benchmark's floor are marked not meaningful.` });
    b.push(table(['benchmark', 'A/A ratio', '95% CI', 'significant', 'floor'],
      a.aa.rows.map((r) => [r.benchmark, fmtRatio(r.ratio), fmtCI(r.ciLow, r.ciHigh), r.significant ? 'yes (identical code!)' : 'no', `±${fmtPct(r.floor)}`]), [false, true, false, false, true]));
  } else {
    b.push({ kind: 'p', text: `No A/A pair in this sweep (no \`${base}#2\` runs: an older sweep, or \`--no-aa\`): the report cannot say how large a difference identical code shows, so a significant speed-up here may still be noise.` });
  }
  const env = x.env;
  const cores = env?.machine.cores ?? 1;
  const samples = (env?.sessions ?? []).flatMap((s) => [
    { when: `before the session started ${s.startedAt}`, loadAverage: s.loadAverageBefore },
    ...(s.loadAverageAfter ? [{ when: `after the session started ${s.startedAt}`, loadAverage: s.loadAverageAfter }] : []),
  ]);
  const warnings = [...loadWarnings(samples, cores),
    ...cvWarnings(a.summary.map((s) => ({ label: `${s.benchmark} / ${s.variantSet} / ${s.runtimeProfile}`, cv: s.cv })))];
  const pins = [...new Set((env?.sessions ?? []).map((s) => s.pin ?? 'not pinned'))];
  const cpu = env?.sessions[0]?.cpuBefore;
  b.push({ kind: 'list', items: [
    `Pinning: ${pins.length ? pins.map((p) => (p === 'not pinned' ? p : `CPUs ${p} (taskset)`)).join('; ') : 'unknown'}; CPU governor ${cpu?.governor ?? 'not recorded'}, turbo ${cpu?.turbo ?? 'not recorded'} (before and after each session in environment.json).`,
    `Load averages (1/5/15 min): ${samples.length ? samples.map((s) => `${s.loadAverage.join('/')} ${s.when.replace(/ the session started .*/, '')}`).join(', ') : 'not recorded'}; warning above ${loadThreshold(cores).toFixed(1)}.`,
  ] });
  if (warnings.length) b.push({ kind: 'p', text: `WARNING: ${warnings.length} noise warning${warnings.length === 1 ? '' : 's'}:` }, { kind: 'list', items: warnings });
  if (a.outliers.length) {
    b.push({ kind: 'p', text: `Outliers (|modified z| > ${OUTLIER_Z}; reported, kept in every number above and below):` });
    b.push(table(['run', 'candidates/s', 'cell median', 'modified z'], a.outliers.map((o) => [o.key, fmtInt(o.value), fmtInt(o.median), o.z.toFixed(1)]), [false, true, true, true]));
  } else {
    b.push({ kind: 'p', text: `Outliers: none (no run with |modified z| > ${OUTLIER_Z} in its cell).` });
  }
  return b;
}

export function reportBlocks(x: ReportContext): Block[] {
  const { config: c, analysis: a } = x;
  const base = a.baseline.variantSet;
  const b: Block[] = [];
  b.push({ kind: 'h', level: 1, text: `k2lab benchmark report: ${c.runId}` });
  const m = x.env?.machine;
  b.push({ kind: 'list', items: [
    `Suite: ${c.suite} (${c.benchmarks.length} benchmark${c.benchmarks.length === 1 ? '' : 's'}${c.fast ? ', fast mode' : ''})`,
    `Variant sets: ${c.variantSets.join(', ')}; runtime profiles: ${c.runtimeProfiles.map((p) => `${p.name}${p.nodeFlags.length ? ` (${p.nodeFlags.join(' ')})` : ''}`).join(', ')}`,
    ...(c.optimizeArgs?.length ? [`Extra optimize arguments: \`${c.optimizeArgs.join(' ')}\``] : []),
    `Repetitions: ${c.reps} measured + ${c.warmup} warm-up (discarded) per benchmark × variant × profile, each its own process, interleaved; seed ${c.seed}; iterations = ${c.iterationsFrom === 'k2-native' ? "K2's -n from k2-native.md" : 'iterations_timing'} × ${c.iterationsScale}`,
    `Runs: ${a.measured} measured, ${a.failures.length} failed, ${a.warmups} warm-up${x.missing ? `; ${x.missing} planned run(s) missing (interrupted or partial sweep: \`k2lab bench --resume\` completes it)` : ''}`,
    ...(m ? [`Machine: ${m.cpuModel}, ${m.cores} cores, ${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB, ${m.os}; Node ${x.env?.node} (V8 ${x.env?.v8})`] : []),
    `Git commit: ${x.env?.gitCommit ?? c.gitCommit ?? 'unknown'}${x.env?.gitDirty ? ' (with uncommitted changes)' : ''}`,
  ] });

  b.push(...noiseBlocks(x));

  b.push({ kind: 'h', level: 2, text: `Speed-up over ${base} across benchmarks` });
  if (a.comparisons.length === 0) {
    b.push({ kind: 'p', text: `No comparison: the sweep needs ${base} and at least one other variant set or runtime profile with successful runs.` });
  } else {
    b.push(table(['comparison', 'benchmarks', 'mean', 'mean 95% CI', 'geomean', 'geomean 95% CI', 'min', 'max'],
      a.comparisons.map((k) => [k.label, String(k.benchmarks), fmtRatio(k.mean.ratio), fmtCI(k.mean.ciLow, k.mean.ciHigh), fmtRatio(k.geomean.ratio),
        fmtCI(k.geomean.ciLow, k.geomean.ciHigh), k.min ? `${fmtRatio(k.min.ratio)} (${k.min.benchmark})` : '–', k.max ? `${fmtRatio(k.max.ratio)} (${k.max.benchmark})` : '–']),
      [false, true, true, false, true, false, false, false]));
    b.push({ kind: 'p', text: `Speed-up = mean candidates/s of the variant ÷ mean candidates/s of ${base} (${a.baseline.runtimeProfile} profile) on the same benchmark: identical work when the trajectory digests agree (determinism contract). Confidence intervals: ${METHOD}; across benchmarks one joint bootstrap over every benchmark's runs.` });
    const summary = x.charts.find((ch) => ch.name === 'summary');
    if (summary) b.push({ kind: 'chart', name: summary.name, title: summary.title });
  }

  for (const k of a.comparisons) {
    b.push({ kind: 'h', level: 3, text: `${k.label} vs ${base}` });
    const aaPair = isAaCopy(k.variantSet) && k.runtimeProfile === a.baseline.runtimeProfile;
    b.push(table(['benchmark', `${base} c/s`, `${k.label} c/s`, 'speed-up', '95% CI', 'significant', 'beyond the A/A floor', 'same trajectory'],
      k.rows.map((r) => {
        const sb = a.summary.find((s) => s.benchmark === r.benchmark && s.variantSet === r.baselineVariant && s.runtimeProfile === r.baselineProfile);
        const st = a.summary.find((s) => s.benchmark === r.benchmark && s.variantSet === r.variantSet && s.runtimeProfile === r.runtimeProfile);
        const floor = a.aa?.rows.find((f) => f.benchmark === r.benchmark)?.floor;
        const meaningful = aaPair ? '– (the A/A pair)' : r.meaningful ? 'yes' : !r.significant ? 'no' : `no: within ±${fmtPct(floor ?? NaN)}`;
        return [r.benchmark, fmtInt(sb?.mean), fmtInt(st?.mean), fmtRatio(r.ratio), fmtCI(r.ciLow, r.ciHigh), r.significant ? 'yes' : 'no', meaningful, r.sameTrajectory ? 'yes' : 'NO: different work'];
      }), [false, true, true, true, false, false, false, false]));
    const ch = x.charts.find((cc) => cc.title === `${k.label} vs ${base}`);
    if (ch) b.push({ kind: 'chart', name: ch.name, title: ch.title });
  }

  b.push({ kind: 'h', level: 2, text: 'Candidates per second' });
  b.push(table(['benchmark', 'variant set', 'profile', 'n', 'mean', 'median', 'stdev', 'CV', '95% CI of the mean', 'failed', 'insns (best)'],
    a.summary.map((s) => [s.benchmark, s.variantSet, s.runtimeProfile, String(s.n), fmtInt(s.mean), fmtInt(s.median), fmtInt(s.stdev), fmtPct(s.cv),
      Number.isFinite(s.ciLow) ? `[${fmtInt(s.ciLow)}, ${fmtInt(s.ciHigh)}]` : 'n/a (n < 2)', String(s.failed),
      s.originalInsnCount !== null && Number.isFinite(s.originalInsnCount) ? `${s.originalInsnCount} → ${s.bestInsnCount}` : '–']),
    [false, false, false, true, true, true, true, true, false, true, false]));
  const tp = x.charts.find((ch) => ch.name === 'throughput');
  if (tp) b.push({ kind: 'chart', name: tp.name, title: tp.title });

  if (x.native) {
    b.push({ kind: 'h', level: 2, text: NATIVE_LABEL });
    // K2 beside the baseline and the optimized set (all sets when there are at most three).
    const own = c.variantSets.filter((v) => !isAaCopy(v));
    const vs = own.length <= 3 ? own : own.filter((v) => v === a.baseline.variantSet || v === 'optimized');
    b.push(table(['benchmark', 'K2 -n', 'K2 native iterations/s (wall)', 'K2 search-CPU iterations/s', ...vs.flatMap((v) => [`${v} c/s`, `${v} ÷ K2`, `${v} whole process it/s`, `÷ K2`])],
      x.native.rows.map((n) => {
        const ours = vs.map((v) => a.summary.find((s) => s.benchmark === n.benchmark && s.variantSet === v && s.runtimeProfile === a.baseline.runtimeProfile));
        return [n.benchmark, fmtInt(n.iterations), `${fmtInt(n.wallMean)} (${n.wallPerSecond.map(fmtInt).join(' / ')})`, fmtInt(n.searchCpuMean),
          ...ours.flatMap((o) => [fmtInt(o?.mean ?? NaN), fmtRatio((o?.mean ?? NaN) / n.wallMean), fmtInt(o?.meanProcessRate ?? NaN), fmtRatio((o?.meanProcessRate ?? NaN) / n.wallMean)])];
      }), [false, true, true, true, ...vs.flatMap(() => [true, true, true, true])]));
    b.push({ kind: 'p', text: `K2 itself (C++, -O3), measured separately on a machine of the same kind, from ${x.native.file}: iterations/s of wall time of whole K2 runs (mean of its runs). Ours: mean candidates/s of the search (one candidate per iteration), and iterations/s of the whole child process (start-up, final proof and kernel check included: K2's measure), in the ${a.baseline.runtimeProfile} profile${c.iterationsFrom === 'k2-native' && c.iterationsScale === 1 ? " with K2's own -n per benchmark (the same number of iterations as K2's measured runs)." : ` with ${c.iterationsFrom === 'k2-native' ? "K2's -n" : "the suite's iteration counts"}${c.iterationsScale === 1 ? '' : ` × ${c.iterationsScale}`}; K2's -n differs, so read the ratio as a speed comparison, not identical work.`}` });
  }

  if (a.failures.length) {
    b.push({ kind: 'h', level: 2, text: 'Failed runs' });
    b.push(table(['run', 'reason'], a.failures.map((f) => [f.key ?? `${f.benchmark}/${f.variantSet}/${f.runtimeProfile}`, f.reason ?? f.status]), [false, false]));
  }

  b.push({ kind: 'h', level: 2, text: 'Files and profiles' });
  b.push({ kind: 'links', items: [
    { text: 'runs.csv (one row per run)', href: 'runs.csv' }, { text: 'summary.csv', href: 'summary.csv' }, { text: 'speedups.csv', href: 'speedups.csv' },
    { text: 'environment.json', href: 'environment.json' }, { text: 'sweep.json (the plan; --resume reads it)', href: 'sweep.json' },
    ...x.charts.map((ch) => ({ text: `charts/${ch.name}.svg`, href: `charts/${ch.name}.svg` })),
  ] });
  const profiles = profileLinks(x.dir, c.runId);
  if (profiles.length) b.push({ kind: 'links', items: profiles });
  else b.push({ kind: 'p', text: `No profiles recorded for this run: k2lab profile writes them to profiles/${c.runId}/<benchmark>/<variant>/ (flamegraphs, top functions), and they are linked here.` });

  b.push({ kind: 'h', level: 2, text: 'Method' });
  b.push({ kind: 'list', items: [
    'Each (benchmark, variant set, runtime profile, repetition) is one child process (`k2lab optimize … --json -`); its RunReport\'s candidatesPerSecond is the measurement (search time only, start-up excluded).',
    'Order: warm-up rounds first (discarded), then repetition rounds; inside a round each benchmark runs every variant × profile back to back, rotated by one per round, so drift hits every variant alike.',
    'Per cell: n, mean, median, sample stdev, CV and the 95% CI of the mean from Student\'s t with n − 1 degrees of freedom.',
    `Speed-ups: ratio of means with a 95% ${METHOD} (both groups resampled independently); significant when the interval excludes 1. Across benchmarks: mean and geometric mean of the per-benchmark ratios, with intervals from a joint bootstrap; min and max name their benchmark.`,
    `Noise floor: the baseline set runs twice (\`${base}\` and its copy \`${base}#2\`, the same code, interleaved like every other set); a benchmark's floor is the farthest from 1 that the A/A ratio or its 95% CI reaches. A speed-up is meaningful when it is significant and farther from 1 than its benchmark's floor.`,
    `Outliers: modified z-score M = 0.6745 (x − median) / MAD per cell (mean absolute deviation × 1.2533 when the MAD is 0); |M| > ${OUTLIER_Z} is listed, and no run is dropped.`,
  ] });
  return b;
}
