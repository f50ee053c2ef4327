/**
 * Numbers of the kernel's eBPF ABI that several stages share (the interpreter's memory, the static
 * analysis, the safety checker, the SMT encoding), each named once for what it measures. (Field
 * values of instructions, such as lddw's pseudo sources, live with the opcode table.)
 */

/** One stack frame: the bytes below r10 a program or subprogram may use (the kernel's MAX_BPF_STACK). */
export const STACK_FRAME_BYTES = 512;
/** The deepest chain of BPF-to-BPF calls (the kernel's MAX_CALL_FRAMES); each call gets its own frame. */
export const MAX_CALL_FRAMES = 8;
/** The stack region of a whole run: one frame for every level of the deepest call chain. */
export const STACK_REGION_BYTES = STACK_FRAME_BYTES * MAX_CALL_FRAMES;

/** XDP programs' return codes (enum xdp_action). */
export const XDP_ACTION = { ABORTED: 0, DROP: 1, PASS: 2, TX: 3, REDIRECT: 4 } as const;
/** The tc return codes helpers produce (TC_ACT_*). */
export const TC_ACT = { OK: 0, SHOT: 2, REDIRECT: 7 } as const;
