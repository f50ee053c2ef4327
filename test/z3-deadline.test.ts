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

test('native-process: with hardGraceMs a query Z3 does not stop in time is killed, answers unknown, and the next query runs on a new z3', { skip: native ? false : 'native z3 not installed' }, async () => {
  // Without a deadline-set :timeout Z3 would run on; the hard limit alone must stop it.
  const { NativeZ3 } = await import('../src/verify/native.js');
  const z = new NativeZ3();
  const t0 = Date.now();
  assert.throws(() => z.sendWithin(HARD, 400), SolverError);
  const ms = Date.now() - t0;
  assert.ok(ms >= 350 && ms < 2000, `killed after ${ms} ms (limit 400 ms)`);
  assert.throws(() => z.send('(check-sat)'), SolverError, 'a killed session stays dead');
  z.close();
  let at = Date.now() + 60_000;
  const impl = withDeadline(await createZ3Impl('native-process'), () => at, { hardGraceMs: 300 });
  try {
    const s = impl.open();
    assert.equal(s.send('(push 1)(check-sat)').trim(), 'sat', 'quick answers pass through the polled read');
    impl.release(s, 1);
    at = Date.now() + 200;
    const s2 = impl.open();
    // Through the wrapper Z3's own :timeout answers first (no kill needed); the answer is unknown either way.
    assert.equal(s2.send(HARD).trim(), 'unknown');
    impl.release(s2, 1);
  } finally {
    impl.dispose();
  }
});
