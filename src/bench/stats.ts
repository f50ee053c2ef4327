/**
 * Statistics for the benchmark runner: descriptive statistics, Student-t confidence intervals of a
 * mean, and percentile-bootstrap confidence intervals of a ratio of means (and of a geometric mean
 * of such ratios across benchmarks), all deterministic: the bootstrap draws from a fixed seed.
 */
import { Rng } from '../common/rng.js';

export interface Describe {
  n: number;
  mean: number;
  median: number;
  /** Sample standard deviation (n − 1); NaN below two values. */
  stdev: number;
  /** Coefficient of variation stdev / mean; NaN below two values. */
  cv: number;
  min: number;
  max: number;
  /** 95% confidence interval of the mean (Student t, n − 1 degrees of freedom); NaN below two values. */
  ciLow: number;
  ciHigh: number;
}

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function stdev(xs: readonly number[]): number {
  if (xs.length < 2) return NaN;
  const m = mean(xs);
  let ss = 0;
  for (const x of xs) ss += (x - m) * (x - m);
  return Math.sqrt(ss / (xs.length - 1));
}

export function geomean(xs: readonly number[]): number {
  if (xs.length === 0 || xs.some((x) => !(x > 0))) return NaN;
  let s = 0;
  for (const x of xs) s += Math.log(x);
  return Math.exp(s / xs.length);
}

export function describe(xs: readonly number[], level = 0.95): Describe {
  const n = xs.length;
  const m = mean(xs);
  const sd = stdev(xs);
  const half = n >= 2 ? tQuantile(1 - (1 - level) / 2, n - 1) * sd / Math.sqrt(n) : NaN;
  return {
    n, mean: m, median: median(xs), stdev: sd, cv: n >= 2 ? sd / m : NaN,
    min: n ? Math.min(...xs) : NaN, max: n ? Math.max(...xs) : NaN,
    ciLow: m - half, ciHigh: m + half,
  };
}

// Student's t by hand (ln Γ, the incomplete beta, bisection for the quantile): the library that
// does it (@stdlib's t quantile) was measured at 224 packages / 26 MB installed for this one
// function, so it stays out; bench-stats.test.ts checks these against tabulated quantiles.
/** ln Γ(x) for x > 0 (Lanczos approximation, g = 7, 9 terms; ~15 significant digits). */
function lnGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lnGamma(1 - x);
  const z = x - 1;
  let a = c[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - (a + b) * x / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let num = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
    d = 1 + num * d; if (Math.abs(d) < tiny) d = tiny;
    c = 1 + num / c; if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d; h *= d * c;
    num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
    d = 1 + num * d; if (Math.abs(d) < tiny) d = tiny;
    c = 1 + num / c; if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return h;
}

/** The regularized incomplete beta function I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2) ? front * betaContinuedFraction(a, b, x) / a : 1 - front * betaContinuedFraction(b, a, 1 - x) / b;
}

/** P(T ≤ t) for Student's t with df degrees of freedom. */
export function tCdf(t: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The p-quantile of Student's t with df degrees of freedom (bisection on the CDF). */
export function tQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1) || !(df > 0)) return NaN;
  if (p === 0.5) return 0;
  let lo = -1e3, hi = 1e3;
  for (let i = 0; i < 200 && hi - lo > 1e-12; i++) {
    const mid = (lo + hi) / 2;
    if (tCdf(mid, df) < p) lo = mid; else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Percentile of sorted values with linear interpolation between order statistics. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const i = Math.floor(pos);
  const f = pos - i;
  return i + 1 < sorted.length ? sorted[i]! * (1 - f) + sorted[i + 1]! * f : sorted[i]!;
}

/** A ratio (or a geometric mean of ratios) with its 95% bootstrap percentile interval. */
export interface RatioCI {
  ratio: number;
  ciLow: number;
  ciHigh: number;
  /** True when the interval excludes 1 (both ends above or both below). */
  significant: boolean;
}

export interface BootstrapOptions {
  /** Number of resamples (default 10,000). */
  resamples?: number;
  /** Seed of the resampling stream (default 1); results are identical for identical input. */
  seed?: number;
  level?: number;
}

const BOOT_DEFAULTS = { resamples: 10_000, seed: 1, level: 0.95 };

function resampleMean(xs: readonly number[], rng: Rng): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[rng.int(xs.length)]!;
  return s / xs.length;
}

function interval(point: number, draws: number[], level: number): RatioCI {
  if (draws.length === 0 || !Number.isFinite(point)) return { ratio: point, ciLow: NaN, ciHigh: NaN, significant: false };
  draws.sort((a, b) => a - b);
  const lo = percentile(draws, (1 - level) / 2);
  const hi = percentile(draws, 1 - (1 - level) / 2);
  return { ratio: point, ciLow: lo, ciHigh: hi, significant: lo > 1 || hi < 1 };
}

/**
 * mean(treatment) / mean(baseline) with a percentile-bootstrap interval: each resample draws both
 * groups independently with replacement. Below two values in either group the interval is NaN.
 */
export function bootstrapRatio(treatment: readonly number[], baseline: readonly number[], opts: BootstrapOptions = {}): RatioCI {
  const o = { ...BOOT_DEFAULTS, ...opts };
  const point = mean(treatment) / mean(baseline);
  if (treatment.length < 2 || baseline.length < 2) return interval(point, [], o.level);
  const rng = new Rng(o.seed);
  const draws: number[] = [];
  for (let r = 0; r < o.resamples; r++) draws.push(resampleMean(treatment, rng) / resampleMean(baseline, rng));
  return interval(point, draws, o.level);
}

/**
 * Across benchmarks: the geometric mean and the arithmetic mean of per-benchmark ratios, with
 * intervals from one joint bootstrap (every benchmark's groups resampled in each draw).
 */
export function bootstrapAcross(pairs: readonly { treatment: readonly number[]; baseline: readonly number[] }[], opts: BootstrapOptions = {}): { geomean: RatioCI; mean: RatioCI } {
  const o = { ...BOOT_DEFAULTS, ...opts };
  const ratios = pairs.map((p) => mean(p.treatment) / mean(p.baseline));
  const gPoint = geomean(ratios);
  const mPoint = mean(ratios);
  if (pairs.length === 0 || pairs.some((p) => p.treatment.length < 2 || p.baseline.length < 2)) {
    return { geomean: interval(gPoint, [], o.level), mean: interval(mPoint, [], o.level) };
  }
  const rng = new Rng(o.seed);
  const g: number[] = [];
  const m: number[] = [];
  for (let r = 0; r < o.resamples; r++) {
    const rs = pairs.map((p) => resampleMean(p.treatment, rng) / resampleMean(p.baseline, rng));
    g.push(geomean(rs));
    m.push(mean(rs));
  }
  return { geomean: interval(gPoint, g, o.level), mean: interval(mPoint, m, o.level) };
}

/** A stable 32-bit seed from a string (FNV-1a), so each comparison gets its own fixed stream. */
export function seedFor(text: string, base = 1): number {
  let h = 0x811c9dc5 ^ base;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
