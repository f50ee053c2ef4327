/**
 * `fresh-solver` (baseline, K2-like): z3-solver (WebAssembly), a new Z3 context per query; the
 * query's SMT-LIB2 text is parsed into it and the context is deleted afterwards.
 */
import type { Z3Impl } from '../../src/verify/checker.js';
import { loadZ3Wasm, WasmContext } from '../../src/verify/wasm.js';

export async function freshSolver(): Promise<Z3Impl> {
  const z = await loadZ3Wasm();
  return {
    name: 'fresh-solver',
    open: () => new WasmContext(z),
    release: (s) => (s as WasmContext).close(),
    isolated: () => new WasmContext(z),
    dispose: () => undefined,
  };
}
