/**
 * The time limit reaches Z3 (variants/z3/deadline.ts): a query that would overrun the deadline stops
 * near it and answers unknown, on the WebAssembly solver and (when installed) the native child; once
 * the deadline has passed a query is refused as a solver error, which the checker counts as unknown.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { withDeadline } from '../variants/z3/deadline.js';
import { createZ3Impl } from '../variants/z3/index.js';
import { SolverError } from '../src/verify/smtlib.js';

// x³ + y³ = z³ with large 64-bit operands and a side condition: Z3 does not answer it within a second.
const HARD = '(declare-const x (_ BitVec 64))(declare-const y (_ BitVec 64))(declare-const z (_ BitVec 64))(push 1)'
  + '(assert (= (bvadd (bvmul x x x) (bvmul y y y)) (bvmul z z z)))(assert (bvugt x #x0000000000100001))(assert (bvugt y #x0000000000100001))'
  + '(assert (bvugt z #x0000000000100001))(assert (distinct (bvurem x #x0000000000000007) #x0000000000000000))'
  + '(assert (= (bvurem (bvmul x y z) #x000000000000fff1) #x0000000000000033))(check-sat)';
const native = spawnSync('sh', ['-c', 'command -v z3']).status === 0;

for (const impl of ['reused-solver', ...(native ? ['native-process'] : [])] as ('reused-solver' | 'native-process')[]) {
  test(`${impl}: a query past the deadline is cut near it and answers unknown; after it, refused`, async () => {
    let at = Date.now() + 700;
    const z = withDeadline(await createZ3Impl(impl), () => at);
    try {
      const s = z.open();
      const t0 = Date.now();
      assert.equal(s.send(HARD).trim(), 'unknown');
      const ms = Date.now() - t0;
      assert.ok(ms >= 500 && ms < 2500, `cut after ${ms} ms (deadline 700 ms)`);
      z.release(s, 1);
      at = Date.now() - 1;
      const s2 = z.open();
      assert.throws(() => s2.send('(check-sat)'), SolverError);
      z.release(s2, -1);
    } finally {
      z.dispose();
    }
  });
}
