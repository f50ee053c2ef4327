/**
 * `exceptions`: K2's style — an unsafe candidate or failed execution throws a SafetyViolation that
 * the cost function catches (exceptions as control flow). fail() never returns. A factory, so
 * each run owns its "last violation" text.
 */
import { SafetyViolation, type ErrorStrategy, type Violation } from '../../src/ebpf/violations.js';

export function exceptions(): ErrorStrategy {
  let last = '';
  return {
    name: 'exceptions',
    fail(violation: Violation, pc: number, detail: string): Violation {
      const e = new SafetyViolation(violation, pc, detail);
      last = e.message;
      throw e;
    },
    lastDetail: (): string => last,
  };
}

export default exceptions;
