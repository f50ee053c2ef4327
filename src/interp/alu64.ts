/**
 * ALU arithmetic shared by both dispatch variants (the switch interpreter and compiled closures):
 * 64-bit operations on (hi, lo) pairs of signed 32-bit halves with results in RES_LO/RES_HI (module
 * state, no allocation), and the 32-bit divisions. Division and modulo of 64-bit values take the
 * rare wide path through BigInt; everything else stays on Smi/int32 arithmetic.
 */
export let RES_LO = 0;
export let RES_HI = 0;

/** High 32 bits of the unsigned product of two u32. */
function mulHiU32(a: number, b: number): number {
  const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
  const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  return (p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) | 0;
}

export function mul64(ahi: number, alo: number, bhi: number, blo: number): void {
  RES_LO = Math.imul(alo, blo);
  RES_HI = (mulHiU32(alo, blo) + Math.imul(alo, bhi) + Math.imul(ahi, blo)) | 0;
}

export function add64(ahi: number, alo: number, bhi: number, blo: number): void {
  const l = (alo >>> 0) + (blo >>> 0);
  RES_LO = l | 0;
  RES_HI = (ahi + bhi + (l > 0xffff_ffff ? 1 : 0)) | 0;
}

export function sub64(ahi: number, alo: number, bhi: number, blo: number): void {
  const l = (alo >>> 0) - (blo >>> 0);
  RES_LO = l | 0;
  RES_HI = (ahi - bhi - (l < 0 ? 1 : 0)) | 0;
}

export function neg64(ahi: number, alo: number): void {
  const l = -(alo >>> 0);
  RES_LO = l | 0;
  RES_HI = (-ahi - (l < 0 ? 1 : 0)) | 0;
}

/** Shifts by k = amount & 63 (the caller masks); k = 0 leaves the value unchanged. */
export function lsh64(ahi: number, alo: number, k: number): void {
  if (k >= 32) { RES_HI = alo << (k - 32); RES_LO = 0; } else if (k > 0) { RES_HI = (ahi << k) | (alo >>> (32 - k)); RES_LO = alo << k; } else { RES_HI = ahi; RES_LO = alo; }
}

export function rsh64(ahi: number, alo: number, k: number): void {
  if (k >= 32) { RES_LO = ahi >>> (k - 32); RES_HI = 0; } else if (k > 0) { RES_LO = (alo >>> k) | (ahi << (32 - k)); RES_HI = ahi >>> k; } else { RES_HI = ahi; RES_LO = alo; }
}

export function arsh64(ahi: number, alo: number, k: number): void {
  if (k >= 32) { RES_LO = ahi >> (k - 32); RES_HI = ahi >> 31; } else if (k > 0) { RES_LO = (alo >>> k) | (ahi << (32 - k)); RES_HI = ahi >> k; } else { RES_HI = ahi; RES_LO = alo; }
}

const INT32_MIN = -0x8000_0000;

/** 32-bit unsigned division; by zero gives 0. */
export function udiv32(a: number, b: number): number {
  return b === 0 ? 0 : Math.floor((a >>> 0) / (b >>> 0)) | 0;
}

/** 32-bit unsigned modulo; by zero leaves the dividend. */
export function umod32(a: number, b: number): number {
  return b === 0 ? a : ((a >>> 0) % (b >>> 0)) | 0;
}

export function sdiv32(a: number, b: number): number {
  if (b === 0) return 0;
  if (a === INT32_MIN && b === -1) return INT32_MIN;
  return (a / b) | 0; // |0 truncates toward zero
}

export function smod32(a: number, b: number): number {
  if (b === 0) return a;
  if (b === -1) return 0;
  return a % b; // JavaScript's % takes the dividend's sign, as eBPF's smod does
}

function toU64(hi: number, lo: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

function setFromBig(v: bigint): void {
  const u = BigInt.asUintN(64, v);
  RES_LO = Number(u & 0xffff_ffffn) | 0;
  RES_HI = Number(u >> 32n) | 0;
}

/** Unsigned division; by zero gives 0 (RFC 9669). */
export function udiv64(ahi: number, alo: number, bhi: number, blo: number): void {
  if (bhi === 0 && blo === 0) { RES_LO = 0; RES_HI = 0; return; }
  if (ahi === 0 && bhi === 0) { RES_LO = Math.floor((alo >>> 0) / (blo >>> 0)) | 0; RES_HI = 0; return; }
  setFromBig(toU64(ahi, alo) / toU64(bhi, blo));
}

/** Unsigned modulo; by zero leaves the dividend unchanged. */
export function umod64(ahi: number, alo: number, bhi: number, blo: number): void {
  if (bhi === 0 && blo === 0) { RES_LO = alo; RES_HI = ahi; return; }
  if (ahi === 0 && bhi === 0) { RES_LO = ((alo >>> 0) % (blo >>> 0)) | 0; RES_HI = 0; return; }
  setFromBig(toU64(ahi, alo) % toU64(bhi, blo));
}

/** Signed division truncating toward zero; by zero gives 0; INT64_MIN / -1 = INT64_MIN. */
export function sdiv64(ahi: number, alo: number, bhi: number, blo: number): void {
  if (bhi === 0 && blo === 0) { RES_LO = 0; RES_HI = 0; return; }
  setFromBig(BigInt.asIntN(64, toU64(ahi, alo)) / BigInt.asIntN(64, toU64(bhi, blo)));
}

/** Signed modulo (sign of the dividend); by zero leaves the dividend unchanged; INT64_MIN % -1 = 0. */
export function smod64(ahi: number, alo: number, bhi: number, blo: number): void {
  if (bhi === 0 && blo === 0) { RES_LO = alo; RES_HI = ahi; return; }
  setFromBig(BigInt.asIntN(64, toU64(ahi, alo)) % BigInt.asIntN(64, toU64(bhi, blo)));
}

export function bswap32(x: number): number {
  return ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
}

export function bswap16(x: number): number {
  return ((x & 0xff) << 8) | ((x >>> 8) & 0xff);
}

/** Unsigned 64-bit a > b. */
export function gtU64(ahi: number, alo: number, bhi: number, blo: number): boolean {
  return ahi === bhi ? alo >>> 0 > blo >>> 0 : ahi >>> 0 > bhi >>> 0;
}

/** Signed 64-bit a > b. */
export function gtS64(ahi: number, alo: number, bhi: number, blo: number): boolean {
  return ahi === bhi ? alo >>> 0 > blo >>> 0 : ahi > bhi;
}
