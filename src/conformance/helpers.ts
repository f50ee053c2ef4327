/**
 * The helper table the conformance vectors expect: uBPF's test helpers 0–5 (README §5.3), which
 * differ from the kernel's. Helper 5 "unwinds": when it returns 0 the program stops with r0 = 0.
 */
import type { HelperFn, HelperTable } from '../interp/helpers.js';
import { getReg, setReg } from '../interp/machine.js';

const gatherBytes: HelperFn = (m) => {
  const b = (r: number): bigint => BigInt(m.lo[r]! & 0xff);
  setReg(m, 0, (b(1) << 32n) | (b(2) << 24n) | (b(3) << 16n) | (b(4) << 8n) | b(5));
};

const memfrob: HelperFn = (m) => {
  const size = m.lo[2]! >>> 0;
  const bytes = m.mem.readBytes(m.hi[1]!, m.lo[1]!, size);
  for (let i = 0; i < bytes.length; i++) bytes[i] = bytes[i]! ^ 42;
  m.mem.writeBytes(m.hi[1]!, m.lo[1]!, bytes);
  setReg(m, 0, 0n);
};

const sqrti: HelperFn = (m) => setReg(m, 0, BigInt(Math.floor(Math.sqrt(Number(getReg(m, 1))))));

/** NUL-terminated string at a simulated address (bounded by its region). */
function cString(m: Parameters<HelperFn>[0], r: number): Uint8Array {
  const out: number[] = [];
  for (let i = 0; ; i++) {
    const v = m.mem.translate(m.hi[r]!, m.lo[r]!, i, 1, false);
    const c = v.getUint8(m.mem.offset);
    if (c === 0) return new Uint8Array(out);
    out.push(c);
  }
}

const strcmpExt: HelperFn = (m) => {
  const a = cString(m, 1), b = cString(m, 2);
  let r = 0;
  for (let i = 0; i < Math.max(a.length, b.length) && r === 0; i++) r = (a[i] ?? 0) - (b[i] ?? 0);
  setReg(m, 0, BigInt(r));
};

const unwind: HelperFn = (m) => {
  setReg(m, 0, getReg(m, 1));
  if (m.lo[0] === 0 && m.hi[0] === 0) m.stopped = true;
};

export const CONFORMANCE_HELPERS: HelperTable = [gatherBytes, memfrob, (m) => setReg(m, 0, 0n), sqrti, strcmpExt, unwind];
