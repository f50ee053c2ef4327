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

export function createZ3Impl(impl: Z3Choice['impl']): Promise<Z3Impl> {
  switch (impl) {
    case 'fresh-solver': return freshSolver();
    case 'reused-solver': return reusedSolver();
    case 'native-process': return nativeProcess();
  }
}

export async function createChecker(program: Program, choice: Z3Choice, rlimit?: number): Promise<Z3Checker> {
  return createZ3Checker(program, { impl: await createZ3Impl(choice.impl), cache: choice.cache, ...(rlimit !== undefined ? { rlimit } : {}) });
}

/** Whether the native implementation can run here. */
export function nativeAvailable(): boolean {
  return nativeZ3Version() !== undefined;
}
