/**
 * Tables as files: summary.csv and speedups.csv (written with csv-stringify), runs.csv read back
 * with csv-parse (what `compare` reads), and the number formats every table and chart shares.
 */
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { InputError } from '../ebpf/errors.js';
import type { Analysis } from './analyze.js';

export const METHOD = 'percentile bootstrap, 10,000 resamples, fixed seed';

/** RFC 4180 records of strings (csv-parse, csv-stringify's sibling); malformed CSV is an InputError. */
export function parseCsv(text: string): string[][] {
  try {
    return parse(text, { relax_column_count: true }) as string[][];
  } catch (e) {
    throw new InputError(`not valid CSV (${(e as Error).message})`);
  }
}

/** CSV text with a header line → one object per line. */
export function csvObjects(text: string): Record<string, string>[] {
  const [head, ...rows] = parseCsv(text);
  if (!head) return [];
  return rows.filter((r) => r.length > 1 || r[0] !== '').map((r) => Object.fromEntries(head.map((h, i) => [h, r[i] ?? ''])));
}

const round = (x: number, digits: number): number | string => (Number.isFinite(x) ? Number(x.toFixed(digits)) : '');

export function summaryCsv(a: Analysis): string {
  const head = ['benchmark', 'variantSet', 'runtimeProfile', 'n', 'failed', 'mean', 'median', 'stdev', 'cv', 'ciLow', 'ciHigh', 'min', 'max',
    'meanWallMs', 'meanPeakRssMiB', 'meanGcMs', 'meanProcessRate', 'trajectoryDigests', 'originalInsnCount', 'bestInsnCount'];
  const rows = a.summary.map((s) => [s.benchmark, s.variantSet, s.runtimeProfile, s.n, s.failed, round(s.mean, 2), round(s.median, 2), round(s.stdev, 2),
    round(s.cv, 5), round(s.ciLow, 2), round(s.ciHigh, 2), round(s.min, 2), round(s.max, 2), round(s.meanWallMs, 1), round(s.meanPeakRssMiB, 1),
    round(s.meanGcMs, 1), round(s.meanProcessRate, 2), s.digests, s.originalInsnCount ?? '', s.bestInsnCount ?? '']);
  return stringify([head, ...rows]);
}

export function speedupsCsv(a: Analysis): string {
  const head = ['comparison', 'variantSet', 'runtimeProfile', 'baselineVariant', 'baselineProfile', 'kind', 'benchmark', 'n', 'nBaseline',
    'speedup', 'ciLow', 'ciHigh', 'significant', 'sameTrajectory', 'ciMethod', 'meaningful'];
  const rows: unknown[][] = [];
  for (const c of a.comparisons) {
    const pre = [c.label, c.variantSet, c.runtimeProfile, a.baseline.variantSet, a.baseline.runtimeProfile];
    for (const r of c.rows) {
      rows.push([...pre, 'benchmark', r.benchmark, r.n, r.nBaseline, round(r.ratio, 4), round(r.ciLow, 4), round(r.ciHigh, 4), String(r.significant), String(r.sameTrajectory), METHOD, String(r.meaningful)]);
    }
    rows.push([...pre, 'mean', '', '', '', round(c.mean.ratio, 4), round(c.mean.ciLow, 4), round(c.mean.ciHigh, 4), String(c.mean.significant), '', `${METHOD} (joint over benchmarks)`]);
    rows.push([...pre, 'geomean', '', '', '', round(c.geomean.ratio, 4), round(c.geomean.ciLow, 4), round(c.geomean.ciHigh, 4), String(c.geomean.significant), '', `${METHOD} (joint over benchmarks)`]);
    if (c.min) rows.push([...pre, 'min', c.min.benchmark, '', '', round(c.min.ratio, 4), '', '', '', '', '']);
    if (c.max) rows.push([...pre, 'max', c.max.benchmark, '', '', round(c.max.ratio, 4), '', '', '', '', '']);
  }
  return stringify([head, ...rows]);
}

export function fmtRatio(x: number): string {
  return Number.isFinite(x) ? `${x.toFixed(3)}×` : '–';
}

export function fmtCI(lo: number, hi: number, digits = 3): string {
  return Number.isFinite(lo) && Number.isFinite(hi) ? `[${lo.toFixed(digits)}, ${hi.toFixed(digits)}]` : 'n/a (n < 2)';
}

export function fmtInt(x: number | null | undefined): string {
  return x !== null && x !== undefined && Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '–';
}

export function fmtPct(x: number): string {
  return Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : '–';
}
