/**
 * From run rows to the numbers a report shows: per benchmark × variant set × runtime profile the
 * distribution of candidates/s, each cell's speed-up over the baseline cell with a 95% bootstrap CI
 * (fixed seed), and per comparison the mean / geomean / min / max across benchmarks.
 */
import { aaVariantOf, beyondFloor, floorOf, modifiedZ, OUTLIER_Z } from './noise.js';
import { bootstrapAcross, bootstrapRatio, describe, median, seedFor, type Describe, type RatioCI } from './stats.js';

/** What analysis needs of a run (from a RunRecord, or from a runs.csv line). */
export interface Row {
  benchmark: string;
  variantSet: string;
  runtimeProfile: string;
  warmup: boolean;
  status: string;
  reason?: string | null;
  key?: string;
  candidatesPerSecond: number;
  wallMs: number;
  /** Iterations per second of the whole child process (start-up, final proof and all): K2's own measure. */
  processRate: number;
  peakRssBytes: number;
  gcMs: number;
  trajectoryDigest: string;
  bestInsnCount: number;
  originalInsnCount: number;
}

export interface Order {
  benchmarks: string[];
  variantSets: string[];
  runtimeProfiles: string[];
}

export interface Cell {
  benchmark: string;
  variantSet: string;
  runtimeProfile: string;
}

export interface SummaryRow extends Cell, Describe {
  failed: number;
  meanWallMs: number;
  meanPeakRssMiB: number;
  meanGcMs: number;
  /** Mean iterations per second of whole child processes (NaN when not recorded). */
  meanProcessRate: number;
  /** Distinct trajectory digests among the cell's runs (1 when every repetition did the same work). */
  digests: number;
  originalInsnCount: number | null;
  bestInsnCount: number | null;
}

export interface SpeedupRow extends Cell, RatioCI {
  baselineVariant: string;
  baselineProfile: string;
  n: number;
  nBaseline: number;
  /** Every run of both cells had the same trajectory digest: the ratio compares identical work. */
  sameTrajectory: boolean;
  /** Significant and farther from 1 than this benchmark's A/A floor (only significance without an A/A pair). */
  meaningful: boolean;
}

/** One benchmark's A/A ratio (the baseline's copy over the baseline) and the floor it implies. */
export interface AaRow extends RatioCI {
  benchmark: string;
  /** |difference| identical code showed (or could have: the CI's far end), as a fraction. */
  floor: number;
}

/** The sweep's noise floor: the baseline set run twice (DESIGN.md §11). */
export interface AaFloor {
  variantSet: string;
  rows: AaRow[];
  /** Geomean of the A/A ratios across benchmarks, joint bootstrap CI, and the floor it implies. */
  overall: RatioCI;
  overallFloor: number;
}

/** A run whose candidates/s lies far from its cell's median (|modified z| > 3.5): reported, kept. */
export interface Outlier extends Cell {
  key: string;
  value: number;
  median: number;
  z: number;
}

export interface Comparison {
  variantSet: string;
  runtimeProfile: string;
  /** "optimized", or "optimized @ semi-space-64" when the profile differs from the baseline's. */
  label: string;
  rows: SpeedupRow[];
  benchmarks: number;
  mean: RatioCI;
  geomean: RatioCI;
  min: { ratio: number; benchmark: string } | null;
  max: { ratio: number; benchmark: string } | null;
}

export interface Analysis {
  order: Order;
  baseline: { variantSet: string; runtimeProfile: string };
  summary: SummaryRow[];
  comparisons: Comparison[];
  /** Null when the sweep has no A/A pair (older folders, or --no-aa). */
  aa: AaFloor | null;
  outliers: Outlier[];
  failures: Row[];
  measured: number;
  warmups: number;
}

export function chooseBaseline(order: Order): { variantSet: string; runtimeProfile: string } {
  return {
    variantSet: order.variantSets.includes('k2-baseline') ? 'k2-baseline' : order.variantSets[0] ?? 'k2-baseline',
    runtimeProfile: order.runtimeProfiles.includes('default') ? 'default' : order.runtimeProfiles[0] ?? 'default',
  };
}

const cellKey = (c: Cell): string => `${c.benchmark}\u0000${c.variantSet}\u0000${c.runtimeProfile}`;

function group(rows: readonly Row[]): Map<string, Row[]> {
  const m = new Map<string, Row[]>();
  for (const r of rows) {
    if (r.warmup) continue;
    const k = cellKey(r);
    const g = m.get(k);
    if (g) g.push(r); else m.set(k, [r]);
  }
  return m;
}

const okValues = (rs: readonly Row[] | undefined): number[] => (rs ?? []).filter((r) => r.status === 'ok' && Number.isFinite(r.candidatesPerSecond)).map((r) => r.candidatesPerSecond);
const avg = (xs: number[]): number => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : NaN);

export function comparisonLabel(variantSet: string, runtimeProfile: string, baselineProfile: string): string {
  return runtimeProfile === baselineProfile ? variantSet : `${variantSet} @ ${runtimeProfile}`;
}

export function analyze(rows: readonly Row[], order: Order): Analysis {
  const groups = group(rows);
  const baseline = chooseBaseline(order);
  const cells: Cell[] = [];
  for (const benchmark of order.benchmarks) {
    for (const variantSet of order.variantSets) {
      for (const runtimeProfile of order.runtimeProfiles) cells.push({ benchmark, variantSet, runtimeProfile });
    }
  }
  const summary: SummaryRow[] = [];
  const outliers: Outlier[] = [];
  for (const c of cells) {
    const rs = groups.get(cellKey(c));
    if (!rs) continue;
    const ok = rs.filter((r) => r.status === 'ok');
    outliers.push(...cellOutliers(c, ok));
    summary.push({
      ...c, ...describe(okValues(rs)), failed: rs.length - ok.length,
      meanWallMs: avg(ok.map((r) => r.wallMs)), meanPeakRssMiB: avg(ok.map((r) => r.peakRssBytes / 1048576)), meanGcMs: avg(ok.map((r) => r.gcMs)),
      meanProcessRate: avg(ok.map((r) => r.processRate)),
      digests: new Set(ok.map((r) => r.trajectoryDigest)).size,
      originalInsnCount: ok[0]?.originalInsnCount ?? null, bestInsnCount: ok.length ? Math.min(...ok.map((r) => r.bestInsnCount)) : null,
    });
  }
  const comparisons: Comparison[] = [];
  for (const variantSet of order.variantSets) {
    for (const runtimeProfile of order.runtimeProfiles) {
      if (variantSet === baseline.variantSet && runtimeProfile === baseline.runtimeProfile) continue;
      const label = comparisonLabel(variantSet, runtimeProfile, baseline.runtimeProfile);
      const speedRows: SpeedupRow[] = [];
      const pairs: { treatment: number[]; baseline: number[]; benchmark: string }[] = [];
      for (const benchmark of order.benchmarks) {
        const t = groups.get(cellKey({ benchmark, variantSet, runtimeProfile }));
        const b = groups.get(cellKey({ benchmark, ...baseline }));
        const tv = okValues(t);
        const bv = okValues(b);
        if (tv.length === 0 || bv.length === 0) continue;
        const ci = bootstrapRatio(tv, bv, { seed: seedFor(`${benchmark}/${variantSet}/${runtimeProfile}`) });
        const digests = new Set([...(t ?? []), ...(b ?? [])].filter((r) => r.status === 'ok').map((r) => r.trajectoryDigest));
        speedRows.push({
          benchmark, variantSet, runtimeProfile, baselineVariant: baseline.variantSet, baselineProfile: baseline.runtimeProfile,
          n: tv.length, nBaseline: bv.length, ...ci, sameTrajectory: digests.size === 1, meaningful: ci.significant,
        });
        pairs.push({ treatment: tv, baseline: bv, benchmark });
      }
      if (speedRows.length === 0) continue;
      const across = bootstrapAcross(pairs, { seed: seedFor(`across/${variantSet}/${runtimeProfile}`) });
      const byRatio = [...speedRows].sort((x, y) => x.ratio - y.ratio);
      comparisons.push({
        variantSet, runtimeProfile, label, rows: speedRows, benchmarks: speedRows.length, mean: across.mean, geomean: across.geomean,
        min: { ratio: byRatio[0]!.ratio, benchmark: byRatio[0]!.benchmark },
        max: { ratio: byRatio[byRatio.length - 1]!.ratio, benchmark: byRatio[byRatio.length - 1]!.benchmark },
      });
    }
  }
  const aa = aaFloor(comparisons, baseline);
  if (aa) {
    const floors = new Map(aa.rows.map((r) => [r.benchmark, r.floor]));
    for (const k of comparisons) for (const r of k.rows) r.meaningful = beyondFloor(r, floors.get(r.benchmark) ?? NaN);
  }
  return {
    order, baseline, summary, comparisons, aa, outliers,
    failures: rows.filter((r) => r.status !== 'ok'),
    measured: rows.filter((r) => !r.warmup && r.status === 'ok').length,
    warmups: rows.filter((r) => r.warmup).length,
  };
}

function cellOutliers(c: Cell, ok: readonly Row[]): Outlier[] {
  const rs = ok.filter((r) => Number.isFinite(r.candidatesPerSecond));
  const values = rs.map((r) => r.candidatesPerSecond);
  const z = modifiedZ(values);
  const med = median(values);
  return rs.flatMap((r, i) => (Math.abs(z[i]!) > OUTLIER_Z ? [{ ...c, key: r.key ?? '', value: r.candidatesPerSecond, median: med, z: z[i]! }] : []));
}

/** The A/A comparison (the baseline's copy in the baseline's profile) as the sweep's noise floor. */
function aaFloor(comparisons: readonly Comparison[], baseline: { variantSet: string; runtimeProfile: string }): AaFloor | null {
  const copy = aaVariantOf(baseline.variantSet);
  const k = comparisons.find((c) => c.variantSet === copy && c.runtimeProfile === baseline.runtimeProfile);
  if (!k) return null;
  return {
    variantSet: copy, rows: k.rows.map((r) => ({ benchmark: r.benchmark, ratio: r.ratio, ciLow: r.ciLow, ciHigh: r.ciHigh, significant: r.significant, floor: floorOf(r) })),
    overall: k.geomean, overallFloor: floorOf(k.geomean),
  };
}

/** A run record (with its RunReport) as an analysis row. */
export function rowOfRecord(r: { benchmark: string; variantSet: string; runtimeProfile: string; warmup: boolean; status: string; reason: string | null; key: string; processMs: number; report: Record<string, unknown> | null }): Row {
  const rep = r.report ?? {};
  const num = (k: string): number => (typeof rep[k] === 'number' ? (rep[k] as number) : NaN);
  return {
    benchmark: r.benchmark, variantSet: r.variantSet, runtimeProfile: r.runtimeProfile, warmup: r.warmup, status: r.status, reason: r.reason, key: r.key,
    candidatesPerSecond: num('candidatesPerSecond'), wallMs: num('wallMs'), processRate: num('iterations') / (r.processMs / 1000), peakRssBytes: num('peakRssBytes'), gcMs: num('gcMs'),
    trajectoryDigest: typeof rep.trajectoryDigest === 'string' ? rep.trajectoryDigest : '', bestInsnCount: num('bestInsnCount'), originalInsnCount: num('originalInsnCount'),
  };
}

/** A runs.csv line (header → value) as an analysis row. */
export function rowOfCsv(o: Record<string, string>): Row {
  const num = (k: string): number => (o[k] === undefined || o[k] === '' ? NaN : Number(o[k]));
  return {
    benchmark: o.benchmark ?? '', variantSet: o.variantSet ?? '', runtimeProfile: o.runtimeProfile ?? '', warmup: o.warmup === 'true',
    status: o.status ?? '', reason: o.reason || null, key: o.key ?? '', candidatesPerSecond: num('candidatesPerSecond'), wallMs: num('wallMs'),
    processRate: num('iterations') / (num('processMs') / 1000), peakRssBytes: num('peakRssBytes'), gcMs: num('gcMs'), trajectoryDigest: o.trajectoryDigest ?? '', bestInsnCount: num('bestInsnCount'), originalInsnCount: num('originalInsnCount'),
  };
}
