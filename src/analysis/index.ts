/**
 * analysis — K2's static analysis: abstract register states per slot, liveness of registers and
 * stack bytes, and the automatic windows of window mode.
 * May import: ebpf, common, interp.
 */
export { liveness, liveAt, type Liveness } from './liveness.js';
export { autoWindows } from './windows.js';
