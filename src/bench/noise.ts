/**
 * How much of a measured difference is noise (DESIGN.md §11): the A/A floor (the baseline set run
 * twice in one sweep, so its ratio shows what identical code does on this machine today), which
 * speed-ups clear it, outliers by the modified z-score (reported, never dropped), and the warnings
 * for a busy machine or a noisy cell. Plain functions on numbers: the analysis does the wiring.
 */
import { median } from './stats.js';

/** The second copy of the baseline set in a sweep: `k2-baseline#2` runs exactly what `k2-baseline` runs. */
export const AA_SUFFIX = '#2';

export const aaVariantOf = (set: string): string => `${set}${AA_SUFFIX}`;

/** The variant set a child process runs: `k2-baseline#2` → `k2-baseline`. */
export const baseVariantSet = (name: string): string => name.replace(/#\d+$/, '');

export const isAaCopy = (name: string): boolean => /#\d+$/.test(name);

/** A ratio with its confidence interval (the shape of stats.ts' RatioCI). */
export interface Interval {
  ratio: number;
  ciLow: number;
  ciHigh: number;
}

/**
 * The noise floor an A/A ratio implies, as a fraction: the farthest from 1 that the ratio or its 95%
 * interval reaches (identical code differed by that much, or could have). NaN without a ratio.
 */
export function floorOf(aa: Interval): number {
  if (!Number.isFinite(aa.ratio)) return NaN;
  const ends = [aa.ratio, aa.ciLow, aa.ciHigh].filter(Number.isFinite);
  return Math.max(...ends.map((x) => Math.abs(x - 1)));
}

/**
 * Whether a ratio is a meaningful difference: significant (its CI excludes 1) and farther from 1
 * than the A/A floor. Without a floor (NaN) only significance counts.
 */
export function beyondFloor(r: Interval & { significant: boolean }, floor: number): boolean {
  return r.significant && !(Math.abs(r.ratio - 1) <= floor);
}

/** Iglewicz and Hoaglin's cut-off: |M| > 3.5 is a potential outlier. */
export const OUTLIER_Z = 3.5;

/**
 * Modified z-scores M = 0.6745 (x − median) / MAD; when the MAD is 0 (over half the values equal),
 * the mean absolute deviation stands in: M = (x − median) / (1.253314 · meanAD). All 0 when every
 * value is the same, NaN below five values (with three or four, one small deviation makes the MAD tiny and any other value "extreme").
 */
export function modifiedZ(xs: readonly number[]): number[] {
  if (xs.length < 5) return xs.map(() => NaN);
  const med = median(xs);
  const dev = xs.map((x) => Math.abs(x - med));
  const mad = median(dev);
  if (mad > 0) return xs.map((x) => (0.6745 * (x - med)) / mad);
  const meanAd = dev.reduce((s, d) => s + d, 0) / dev.length;
  return meanAd > 0 ? xs.map((x) => (x - med) / (1.253314 * meanAd)) : xs.map(() => 0);
}

/** A cell whose coefficient of variation exceeds this gets a warning in the report. */
export const CV_WARN = 0.10;
/** Load above this share of the cores (plus the one run of ours) is a busy machine. */
export const LOAD_WARN_PER_CORE = 0.5;

export interface LoadSample {
  when: string;
  /** 1-, 5- and 15-minute load averages. */
  loadAverage: readonly number[];
}

export function loadThreshold(cores: number): number {
  return LOAD_WARN_PER_CORE * cores + 1;
}

/** One warning per sample whose 1-minute load average exceeds the threshold. */
export function loadWarnings(samples: readonly LoadSample[], cores: number): string[] {
  const limit = loadThreshold(cores);
  return samples.filter((s) => (s.loadAverage[0] ?? 0) > limit)
    .map((s) => `load average ${s.loadAverage[0]!.toFixed(2)} ${s.when} (above ${limit.toFixed(1)} = ${LOAD_WARN_PER_CORE} × ${cores} cores + 1): other work competed for the CPUs`);
}

/** One warning per cell whose CV exceeds CV_WARN. */
export function cvWarnings(cells: readonly { label: string; cv: number }[]): string[] {
  return cells.filter((c) => c.cv > CV_WARN)
    .map((c) => `${c.label}: CV ${(c.cv * 100).toFixed(1)}% (above ${(CV_WARN * 100).toFixed(0)}%): its runs vary a lot, read its ratios with care`);
}
