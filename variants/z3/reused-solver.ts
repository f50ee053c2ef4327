/**
 * `reused-solver`: z3-solver (WebAssembly), one Z3 context for the whole run; each query runs in
 * its own push/pop scope (declarations included), so nothing leaks from one query to the next.
 */
import type { Z3Impl } from '../../src/verify/checker.js';
import { loadZ3Wasm, WasmContext } from '../../src/verify/wasm.js';

export async function reusedSolver(): Promise<Z3Impl> {
  const z = await loadZ3Wasm();
  let ctx = new WasmContext(z);
  return {
    name: 'reused-solver',
    open: () => ctx,
    release: (s, depth) => {
      // After a solver error the scope depth is unknown: start over with a new context.
      if (depth < 0) { ctx.close(); ctx = new WasmContext(z); return; }
      if (depth > 0) s.send(`(pop ${depth})`);
    },
    isolated: () => new WasmContext(z),
    dispose: () => ctx.close(),
  };
}
