/**
 * safety — the static safety checker (what K2 checks, k2-spec.md): register and stack
 * initialisation, bounds, pointer kinds, helper arguments; verdicts as violation codes.
 * May import: ebpf, common, interp, analysis.
 */
export { createSafetyChecker, type SafetyChecker } from './checker.js';
