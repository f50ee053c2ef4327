/**
 * What every helper implementation needs: the result register, arguments read as maps, memory
 * or numbers, and the record of environment-dependent calls (difftest counts those inputs).
 */
import { ExecFault } from './fault.js';
import type { Machine } from './machine.js';
import type { MapState } from './maps.js';
import { REGION_BASE } from './memory.js';

export type HelperFn = (m: Machine) => void;

/** r0 = a 32-bit signed result, sign-extended (helpers return int/long). */
export function ret(m: Machine, v: number): void {
  m.lo[0] = v | 0;
  m.hi[0] = v < 0 ? -1 : 0;
}

/** r0 = an unsigned 64-bit result. */
export function ret64(m: Machine, v: bigint): void {
  const u = BigInt.asUintN(64, v);
  m.lo[0] = Number(u & 0xffff_ffffn) | 0;
  m.hi[0] = Number(u >> 32n) | 0;
}

/** Argument register `r` as an unsigned 32-bit number. */
export const u32 = (m: Machine, r: number): number => m.lo[r]! >>> 0;

/** Argument register `r` as an unsigned 64-bit bigint. */
export const u64 = (m: Machine, r: number): bigint => (BigInt(m.hi[r]! >>> 0) << 32n) | BigInt(m.lo[r]! >>> 0);

/** The map a register's map handle names. */
export function mapArg(m: Machine, r: number, helper: string): MapState {
  const lo = m.lo[r]! >>> 0;
  const fd = (lo - REGION_BASE.mapHandle) / 16;
  const map = m.hi[r] === 0 && Number.isInteger(fd) ? m.mapsByFd.get(fd) : undefined;
  if (!map) throw new ExecFault('helper-argument', `${helper}: r${r} is not a map (0x${lo.toString(16)})`);
  return map;
}

export function bytesArg(m: Machine, r: number, size: number): Uint8Array {
  return m.mem.readBytes(m.hi[r]!, m.lo[r]!, size);
}

export function writeArg(m: Machine, r: number, data: Uint8Array): void {
  m.mem.writeBytes(m.hi[r]!, m.lo[r]!, data);
}

/** Notes that this run's result depends on helper `id`'s answer from the environment model. */
export function usedEnvironment(m: Machine, id: number): void {
  if (!m.environmentUsed.includes(id)) m.environmentUsed.push(id);
}
