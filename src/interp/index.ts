/**
 * interp — the concrete interpreter: registers, the stack, the context and packet memory model,
 * maps and helpers with the kernel's semantics; one run's output (r0, packet, maps, side effects).
 * May import: ebpf, common.
 */
export { runProgram, toRunnable, Session, type RunResult, type MapSnapshot } from './run.js';
