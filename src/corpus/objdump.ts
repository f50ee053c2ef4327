/**
 * The disassembly check of the corpus report: `llvm-objdump-19 -d` lists each function's raw
 * (unrelocated) bytes and LLVM's text; our disassembler, given the same bytes, must print the same
 * instructions. objdump writes immediates in hex and annotates jump targets (`<fn+0x18>`), which
 * `llvm-mc --disassemble` (whose spelling ours follows) does not, so both texts are normalised to
 * decimal without annotations before comparing; the call kinds LLVM does not distinguish are the
 * documented exceptions (`call pc-1` for a local call LLVM prints as `call -1`).
 */
import { execFileSync } from 'node:child_process';
import { disassemble } from '../ebpf/disasm.js';
import { decodeProgram } from '../ebpf/insn.js';

export const OBJDUMP = 'llvm-objdump-19';

/** One function as objdump lists it. */
export interface DumpedFunction { section: string; bytes: Uint8Array; text: string[] }

let available: boolean | undefined;

export function objdumpAvailable(): boolean {
  if (available === undefined) {
    try { execFileSync(OBJDUMP, ['--version'], { stdio: 'ignore' }); available = true; } catch { available = false; }
  }
  return available;
}

/** Every function of the object by name (`section:function` keys would collide only for static duplicates). */
export function dumpObject(path: string): Map<string, DumpedFunction> {
  const out = execFileSync(OBJDUMP, ['-d', path], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const fns = new Map<string, DumpedFunction>();
  let section = '';
  let cur: { section: string; bytes: number[]; text: string[] } | undefined;
  const flush = (name: string | undefined): void => {
    if (name && cur) fns.set(name, { section: cur.section, bytes: Uint8Array.from(cur.bytes), text: cur.text });
  };
  let name: string | undefined;
  for (const line of out.split('\n')) {
    let m: RegExpMatchArray | null;
    if ((m = /^Disassembly of section (.+):$/.exec(line))) section = m[1]!;
    else if ((m = /^[0-9a-f]+ <(.+)>:$/.exec(line))) {
      flush(name);
      name = m[1]!;
      cur = { section, bytes: [], text: [] };
    } else if (cur && (m = /^\s+\d+:\t([0-9a-f]{2}(?: [0-9a-f]{2})*)\s*\t(.*)$/.exec(line))) {
      cur.bytes.push(...m[1]!.trim().split(' ').map((h) => parseInt(h, 16)));
      cur.text.push(m[2]!.trim());
    }
  }
  flush(name);
  return fns;
}

/** objdump's and llvm-mc's spellings side by side: hex → decimal, no `<symbol+off>` annotations. */
export function normalise(text: string): string {
  return text
    .replace(/\s*<[^>]*>/g, '')
    .replace(/(-?)0x([0-9a-f]+)/g, (_, sign: string, h: string) => (sign === '-' ? (-BigInt(`0x${h}`)).toString() : BigInt(`0x${h}`).toString()))
    .replace(/\s+/g, ' ')
    .trim();
}

/** Our spelling of the call kinds LLVM prints alike, mapped back to LLVM's text. */
function asLlvm(ours: string): string {
  return ours.replace(/^call pc([+-]\d+)$/, (_, n: string) => `call ${Number(n)}`).replace(/^call kfunc (-?\d+)(, \d+)?$/, 'call $1');
}

/** Differences between objdump's listing of `fn` and our disassembly of its bytes ([] = identical). */
export function compareFunction(fn: DumpedFunction): string[] {
  const ours = disassemble(decodeProgram(fn.bytes));
  const theirs = fn.text;
  const diffs: string[] = [];
  if (ours.length !== theirs.length) diffs.push(`${ours.length} instructions, objdump lists ${theirs.length}`);
  for (let i = 0; i < Math.min(ours.length, theirs.length); i++) {
    const a = normalise(asLlvm(ours[i]!)), b = normalise(theirs[i]!);
    if (a !== b) diffs.push(`instruction ${i}: ours '${ours[i]}', objdump '${theirs[i]}'`);
  }
  return diffs;
}
