/**
 * Flow dissector programs: `struct bpf_flow_keys`, which __sk_buff's flow_keys field points at,
 * as the kernel's bpf_flow_dissect (net/core/flow_dissector.c) hands it over and takes it back.
 * Before the run: zeroed, n_proto = the frame's EtherType (network order), nhoff = thoff = 14.
 * After the run the kernel clamps nhoff to [14, frame length] and thoff to [nhoff, frame length].
 */

/** sizeof(struct bpf_flow_keys). */
export const FLOW_KEYS_SIZE = 56;
const NHOFF = 0, THOFF = 2, N_PROTO = 10;
const ETH_HLEN = 14;

export function fillFlowKeys(keys: Uint8Array, frame: Uint8Array): void {
  keys.fill(0);
  const v = new DataView(keys.buffer, keys.byteOffset, FLOW_KEYS_SIZE);
  v.setUint16(NHOFF, ETH_HLEN, true);
  v.setUint16(THOFF, ETH_HLEN, true);
  if (frame.length >= ETH_HLEN) keys.set(frame.subarray(12, 14), N_PROTO);
}

/** The keys as the kernel's test run returns them (a copy, with nhoff and thoff clamped). */
export function finishedFlowKeys(keys: Uint8Array, frameLength: number): Uint8Array {
  const out = keys.slice(0, FLOW_KEYS_SIZE);
  const v = new DataView(out.buffer);
  const clamp = (x: number, lo: number, hi: number): number => Math.min(Math.max(x, lo), hi);
  const nhoff = clamp(v.getUint16(NHOFF, true), ETH_HLEN, frameLength);
  v.setUint16(NHOFF, nhoff, true);
  v.setUint16(THOFF, clamp(v.getUint16(THOFF, true), nhoff, frameLength), true);
  return out;
}
