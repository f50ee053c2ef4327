/**
 * common — plumbing every stage above ebpf may use that is not about eBPF: the seeded Rng, atomic
 * file writes, where the repository's files are, the git commit for provenance, GC time.
 * May import: ebpf.
 */
export { Rng } from './rng.js';
export { makeDirs, writeFileAtomic } from './atomic-write.js';
export { repoRoot, builtinSuitePrograms, k2SuitePrograms } from './paths.js';
export { gitCommit } from './git.js';
export { startGcClock, type GcClock } from './gc.js';
