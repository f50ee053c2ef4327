/**
 * Every implementation per axis and the named variant sets (DESIGN.md §4): `k2-baseline` (K2's
 * choices), `optimized` (the best per axis), and one single-axis change of the baseline per
 * implementation, for ablations. One set per process, chosen at start, so call sites stay monomorphic.
 */
import { InputError } from '../src/ebpf/errors.js';
import { AXES, type Axis, type AllocationImpl, type DispatchImpl, type VariantSet, type Z3Choice } from '../src/search/variants.js';
import type { ErrorStrategy } from '../src/ebpf/violations.js';
import type { SafetyStateImpl } from '../src/safety/state.js';
import { fresh } from './allocation/fresh.js';
import { pooled } from './allocation/pooled.js';
import { compiledDispatch } from './dispatch/compiled.js';
import { switchDispatch } from './dispatch/switch.js';
import { exceptions } from './errors/exceptions.js';
import { resultCodes } from './errors/result-codes.js';
import { bitset } from './safety-state/bitset.js';
import { booleanArray } from './safety-state/boolean-array.js';
import { uint8Array } from './safety-state/uint8array.js';

interface Implementations {
  'safety-state': Record<string, SafetyStateImpl>;
  allocation: Record<string, AllocationImpl>;
  errors: Record<string, () => ErrorStrategy>;
  dispatch: Record<string, DispatchImpl>;
  z3: Record<string, Z3Choice>;
}

const z3Choices = (): Record<string, Z3Choice> => {
  const out: Record<string, Z3Choice> = {};
  for (const impl of ['fresh-solver', 'reused-solver', 'native-process'] as const) {
    out[impl] = { name: impl, impl, cache: false };
    out[`${impl}+cache`] = { name: `${impl}+cache`, impl, cache: true };
  }
  return out;
};

export const IMPLEMENTATIONS: Implementations = {
  'safety-state': { 'boolean-array': booleanArray, uint8array: uint8Array, bitset },
  allocation: { fresh, pooled },
  errors: { exceptions, 'result-codes': resultCodes },
  dispatch: { switch: switchDispatch, compiled: compiledDispatch },
  z3: z3Choices(),
};

export type SetSpec = Record<Axis, string>;

// z3: K2's default is a fresh solver per query with its program-equivalence cache on.
export const BASELINE: SetSpec = { 'safety-state': 'boolean-array', allocation: 'fresh', errors: 'exceptions', dispatch: 'switch', z3: 'fresh-solver+cache' };
// Chosen from measurements on this machine (k2lab microbench, optimize side by side): bitset beats uint8array (microbench
// 1.45×, end to end ~1.08×); compiled dispatch loses in the microbench (0.74×) and is neutral end to end.
export const OPTIMIZED: SetSpec = { 'safety-state': 'bitset', allocation: 'pooled', errors: 'result-codes', dispatch: 'switch', z3: 'native-process+cache' };

function ablations(): Record<string, SetSpec> {
  const out: Record<string, SetSpec> = {};
  for (const axis of AXES) {
    for (const impl of Object.keys(IMPLEMENTATIONS[axis])) {
      if (impl !== BASELINE[axis]) out[`baseline+${axis}=${impl}`] = { ...BASELINE, [axis]: impl };
    }
  }
  return out;
}

export const SETS: Readonly<Record<string, SetSpec>> = { 'k2-baseline': BASELINE, optimized: OPTIMIZED, ...ablations() };

/** `--variants NAME` (default k2-baseline) with `--variant axis=impl` overrides on top. */
export function resolveVariants(setName = 'k2-baseline', overrides: readonly string[] = []): VariantSet {
  const base = SETS[setName];
  if (!base) throw new InputError(`--variants: unknown set '${setName}' (sets: ${Object.keys(SETS).join(', ')})`);
  const spec: SetSpec = { ...base };
  for (const o of overrides) {
    const m = /^([a-z0-9-]+)=([a-z0-9+-]+)$/.exec(o);
    if (!m) throw new InputError(`--variant: expected axis=impl, got '${o}'`);
    const axis = m[1] as Axis;
    if (!AXES.includes(axis)) throw new InputError(`--variant: unknown axis '${m[1]}' (axes: ${AXES.join(', ')})`);
    if (!(m[2]! in IMPLEMENTATIONS[axis])) throw new InputError(`--variant: axis ${axis} has no implementation '${m[2]}' (has: ${Object.keys(IMPLEMENTATIONS[axis]).join(', ')})`);
    spec[axis] = m[2]!;
  }
  const name = overrides.length === 0 ? setName : Object.entries(SETS).find(([, s]) => AXES.every((a) => s[a] === spec[a]))?.[0] ?? 'custom';
  return variantSetOf(name, spec);
}

/**
 * A resolved set rebuilt from its plain description (axis → implementation, as describeVariants
 * gives it): how a worker thread gets the set its parent resolved, without resolving names again.
 */
export function variantSetOf(name: string, spec: SetSpec): VariantSet {
  return {
    name,
    safetyState: IMPLEMENTATIONS['safety-state'][spec['safety-state']]!,
    allocation: IMPLEMENTATIONS.allocation[spec.allocation]!,
    errors: IMPLEMENTATIONS.errors[spec.errors]!(),
    dispatch: IMPLEMENTATIONS.dispatch[spec.dispatch]!,
    z3: IMPLEMENTATIONS.z3[spec.z3]!,
  };
}
