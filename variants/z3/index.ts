/**
 * The `z3` axis: creates the chosen implementation (asynchronously: the WebAssembly module loads
 * asynchronously) and the checker on top of it, with or without the equivalence cache.
 */
import type { Program } from '../../src/ebpf/program.js';
import type { Z3Choice } from '../../src/search/variants.js';
import { createZ3Checker, type Z3Checker, type Z3Impl } from '../../src/verify/checker.js';
import { nativeZ3Version } from '../../src/verify/native.js';
import { freshSolver } from './fresh-solver.js';
import { nativeProcess } from './native-process.js';
import { reusedSolver } from './reused-solver.js';
import { withDeadline, type Deadline } from './deadline.js';

export type { Deadline } from './deadline.js';

export function createZ3Impl(impl: Z3Choice['impl']): Promise<Z3Impl> {
  switch (impl) {
    case 'fresh-solver': return freshSolver();
    case 'reused-solver': return reusedSolver();
    case 'native-process': return nativeProcess();
  }
}

/** A checker on the chosen implementation; with `deadline`, queries stop at that wall-clock time (deadline.ts). */
export async function createChecker(program: Program, choice: Z3Choice, rlimit?: number, deadline?: Deadline): Promise<Z3Checker> {
  const impl = await createZ3Impl(choice.impl);
  return createZ3Checker(program, { impl: deadline ? withDeadline(impl, deadline) : impl, cache: choice.cache, ...(rlimit !== undefined ? { rlimit } : {}) });
}

/**
 * The one default policy for which z3 runs (optimize and verify): the native binary when it is
 * installed, else the WebAssembly build with a fresh solver per query.
 */
export function defaultZ3Impl(): Z3Choice['impl'] {
  return nativeAvailable() ? 'native-process' : 'fresh-solver';
}

/** A set's z3 choice where it can run: native-process falls back to the default when the binary is missing. */
export function runnableZ3(choice: Z3Choice): Z3Choice {
  if (choice.impl !== 'native-process' || nativeAvailable()) return choice;
  const impl = defaultZ3Impl();
  return { name: choice.name.replace('native-process', impl), impl, cache: choice.cache };
}

/** Whether the native implementation can run here. */
export function nativeAvailable(): boolean {
  return nativeZ3Version() !== undefined;
}
