/**
 * variants — the hot-path implementations, one folder per axis (safety-state, allocation, errors,
 * dispatch, z3), one file per implementation, and the named variant sets (sets.ts) and runtime
 * profiles (runtime-profiles.ts). The search receives one VariantSet and never names these files.
 * May import: ebpf, common, interp, analysis, safety, search, verify.
 */
export { resolveVariants, SETS } from './sets.js';
