/**
 * K2's sampling formulas (k2-spec.md §7), on our seeded Rng: integers in a closed range, the same
 * with the old value excluded by redrawing, uniform choice with a sorted exclusion list, and the
 * immediate/offset pools that extend the small range [-10, 10] with values seen in the program.
 */
import type { Rng } from '../common/rng.js';

/** v = a + ⌊u·(b+1−a)⌋, redrawn if it lands on b+1. */
export function sampleInt(rng: Rng, a: number, b: number): number {
  for (;;) {
    const v = a + Math.floor(rng.float() * (b + 1 - a));
    if (v !== b + 1 || b < a) return v;
  }
}

/** Draws until the value differs from `old`; a single-value range is accepted even when equal. */
export function sampleIntExcept(rng: Rng, a: number, b: number, old: number): number {
  for (;;) {
    const v = sampleInt(rng, a, b);
    if (a === b || v !== old) return v;
  }
}

/** Uniform over [0, total) minus `excluded` (ascending, distinct). */
export function sampleExcluding(rng: Rng, total: number, excluded: readonly number[]): number {
  let v = sampleInt(rng, 0, total - 1 - excluded.length);
  for (const e of excluded) if (e <= v) v++;
  return v;
}

/** Distinct values below -10 and above 10, sorted ascending. */
export interface Pool {
  neg: number[];
  pos: number[];
}

export function makePool(values: Iterable<number>): Pool {
  const neg = new Set<number>(), pos = new Set<number>();
  for (const v of values) {
    if (v < -10) neg.add(v);
    else if (v > 10) pos.add(v);
  }
  const asc = (a: number, b: number): number => a - b;
  return { neg: [...neg].sort(asc), pos: [...pos].sort(asc) };
}

/** A value from [-10 - |neg|, 10 + |pos|], mapped through the pool; the old value is excluded by index (K2's quirk). */
export function samplePooled(rng: Rng, pool: Pool, old: number): number {
  const nn = pool.neg.length, np = pool.pos.length;
  const v = sampleIntExcept(rng, -10 - nn, 10 + np, old);
  if (v < -10) return pool.neg[v + 10 + nn]!;
  if (v > 10) return pool.pos[v - 11]!;
  return v;
}
