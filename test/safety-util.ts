/**
 * What the safety tests share: every safety-state × errors × allocation combination, and a check's
 * verdict as a Violation code whichever error strategy the checker throws or returns with.
 */
import type { Insn } from '../src/ebpf/insn.js';
import type { AllocationMode, SafetyChecker } from '../src/safety/checker.js';
import { SafetyViolation, type Violation } from '../src/ebpf/violations.js';
import { exceptions } from '../variants/errors/exceptions.js';
import { resultCodes } from '../variants/errors/result-codes.js';
import { bitset } from '../variants/safety-state/bitset.js';
import { booleanArray } from '../variants/safety-state/boolean-array.js';
import { uint8Array } from '../variants/safety-state/uint8array.js';

export const SAFETY_COMBOS = [booleanArray, uint8Array, bitset].flatMap((state) =>
  [exceptions, resultCodes].flatMap((errors) => (['fresh', 'pooled'] as AllocationMode[]).map((allocation) => ({ state, errors, allocation }))));

/** The checker's verdict on slots [0, n) of `insns` (a thrown SafetyViolation becomes its code). */
export function verdictOf(c: SafetyChecker, insns: readonly Insn[], n?: number): Violation {
  try {
    return c.check(insns, n);
  } catch (e) {
    if (e instanceof SafetyViolation) return e.violation;
    throw e;
  }
}
