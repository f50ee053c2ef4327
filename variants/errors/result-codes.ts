/**
 * `result-codes`: a violation is recorded and its code returned up the call chain (no throw, no
 * Error object); the caller tests for a non-zero code. The text is assembled only when a report
 * asks for it. A factory, so each run owns its record.
 */
import type { ErrorStrategy, Violation } from '../../src/ebpf/violations.js';

export function resultCodes(): ErrorStrategy {
  let lastPc = -1;
  let lastText = '';
  return {
    name: 'result-codes',
    fail(violation: Violation, pc: number, detail: string): Violation {
      lastPc = pc;
      lastText = detail;
      return violation;
    },
    lastDetail: (): string => (lastPc < 0 ? '' : `instruction ${lastPc}: ${lastText}`),
  };
}

export default resultCodes;
