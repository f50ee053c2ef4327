/**
 * Assembler for the text syntax of the bpf_conformance / ubpf test vectors (`-- asm` sections):
 * `mov %r0, 1`, `ldxw %r0, [%r1+4]`, `jne %r1, 2, exit`, `lock fetch add32 [%r10-8], %r1`.
 * Mnemonics are mapped to row names of the opcode table; this file knows no opcode numbers.
 */
import { InputError } from '../ebpf/errors.js';
import { lddwSecondHalf, type Insn } from '../ebpf/insn.js';
import { OPS, OP_BY_NAME, type OpKind, type OpSpec } from '../ebpf/opcodes.js';

// Operation names taken from the table itself, so a new row is picked up without edits here.
const ALU_NAMES = new Set<string>(OPS.flatMap((s) => (s.kind === 'alu' && s.alu ? [s.alu] : [])));
const COND_NAMES = new Set<string>(OPS.flatMap((s) => (s.cond ? [s.cond] : [])));
const ATOMIC_NAMES = new Set<string>(OPS.flatMap((s) => (s.atomic ? [s.atomic] : [])));
/** Kinds whose conformance mnemonic is exactly the row name (`ldxw`, `stdw`, `lddw`, `ja32`, …). */
const SAME_NAME_KINDS: ReadonlySet<OpKind> = new Set<OpKind>(['ldx', 'ldxs', 'st', 'stx', 'lddw', 'ja', 'ja32', 'exit']);

const I32_MIN = -(2n ** 31n);
const I32_MAX = 2n ** 31n - 1n;

interface SrcLine {
  no: number;
  mnemonic: string;
  args: string[];
  slot: number;
}

export interface AssembleOptions {
  /** Added to the 1-based line numbers in error messages (the asm section's position in a file). */
  lineOffset?: number;
}

/**
 * Assemble conformance-syntax text. Labels (`name:` on a line of their own) and the implicit
 * `exit` label (the first `exit` instruction) resolve to `target − current − 1` slots; `lddw`
 * takes two slots. Registers %r11–%r15 are accepted so that negative tests can be written.
 */
export function assembleConformance(text: string, opts: AssembleOptions = {}): Insn[] {
  const base = opts.lineOffset ?? 0;
  const lines: SrcLine[] = [];
  const labels = new Map<string, number>();
  let slot = 0;
  let firstExit: number | undefined;
  text.split('\n').forEach((raw, i) => {
    const no = base + i + 1;
    const hash = raw.indexOf('#');
    // Split on whitespace and drop one trailing comma per token, as upstream does.
    let toks = (hash >= 0 ? raw.slice(0, hash) : raw).trim().split(/\s+/).filter((t) => t !== '').map((t) => (t.endsWith(',') ? t.slice(0, -1) : t));
    const first = toks[0];
    if (first === undefined) return;
    if (first.endsWith(':')) {
      const name = first.slice(0, -1);
      if (!/^[A-Za-z_.$][\w.$]*$/.test(name)) fail(no, `bad label name '${name}'`);
      if (labels.has(name)) fail(no, `label '${name}' defined twice`);
      labels.set(name, slot);
      // Upstream drops an instruction written after the colon; we assemble it instead.
      toks = toks.slice(1);
      if (toks.length === 0) return;
    }
    const [mnemonic, ...args] = toks as [string, ...string[]];
    lines.push({ no, mnemonic, args, slot });
    if (mnemonic === 'exit' && firstExit === undefined) firstExit = slot;
    slot += mnemonic === 'lddw' ? 2 : 1;
  });
  if (!labels.has('exit') && firstExit !== undefined) labels.set('exit', firstExit);

  const out: Insn[] = [];
  for (const l of lines) out.push(...encodeLine(l, labels));
  return out;
}

function fail(no: number, msg: string): never {
  throw new InputError(`line ${no}: ${msg}`);
}

/** Mnemonic (+ leading keyword operands such as `fetch`, `local`) → table row and the real operands. */
function resolveRow(l: SrcLine): { spec: OpSpec; args: string[] } {
  const m = l.mnemonic;
  let args = l.args;
  let name: string | undefined;
  const known = (n: string): OpSpec | undefined => OP_BY_NAME.get(n);
  if (m === 'lock') {
    const fetch = args[0] === 'fetch';
    if (fetch) args = args.slice(1);
    const [op, ...rest] = args;
    args = rest;
    const { base, width } = splitWidth(op ?? '');
    if (ATOMIC_NAMES.has(base)) name = `lock_${fetch ? 'fetch_' : ''}${base}${width}`;
    if (!name || !known(name)) fail(l.no, `unknown atomic operation 'lock ${fetch ? 'fetch ' : ''}${op ?? ''}'`);
  } else if (m === 'call') {
    const kw = args[0];
    if (kw === 'local' || kw === 'helper' || kw === 'runtime') args = args.slice(1);
    name = kw === 'local' ? 'call_local' : kw === 'runtime' ? 'call_kfunc' : kw?.startsWith('%') ? 'callx' : 'call';
  } else {
    const endian = /^(le|be|bswap|swap)(16|32|64)$/.exec(m);
    const movsx = /^movsx(8|16|32)(32|64)$/.exec(m);
    if (endian) name = `${endian[1] === 'swap' ? 'bswap' : endian[1]}${endian[2]}`;
    else if (movsx) name = `movsx${movsx[1]}_${movsx[2]}`;
    else if (SAME_NAME_KINDS.has(known(m)?.kind as OpKind)) name = m;
    else {
      const { base, width } = splitWidth(m);
      if (base === 'neg') name = `neg${width}`;
      else if (ALU_NAMES.has(base) || COND_NAMES.has(base)) {
        name = `${base}${width}_${args[1]?.startsWith('%') ? 'reg' : 'imm'}`;
      }
    }
  }
  const spec = name === undefined ? undefined : known(name);
  if (!spec) fail(l.no, `unknown mnemonic '${m}'`);
  return { spec, args };
}

/** `add32` → add/32; no suffix means 64-bit (`add64` is not a mnemonic, so it stays unknown). */
function splitWidth(m: string): { base: string; width: 32 | 64 } {
  return m.length > 2 && m.endsWith('32') ? { base: m.slice(0, -2), width: 32 } : { base: m, width: 64 };
}

function encodeLine(l: SrcLine, labels: ReadonlyMap<string, number>): Insn[] {
  const { spec, args } = resolveRow(l);
  const ins: Insn = { op: spec.opcode, dst: 0, src: 0, off: 0, imm: 0 };
  if (spec.match) ins[spec.match.field] = spec.match.value;
  const want = (n: number): void => {
    if (args.length !== n) fail(l.no, `${l.mnemonic} takes ${n} operand${n === 1 ? '' : 's'}, got ${args.length}`);
  };
  const a = (i: number): string => args[i]!;
  const target = (tok: string, bits: 16 | 32): number => jumpTarget(l, tok, labels, bits);
  switch (spec.kind) {
    case 'alu':
      want(2);
      ins.dst = reg(l.no, a(0));
      if (spec.usesSrcReg) ins.src = reg(l.no, a(1));
      else ins.imm = imm32(l.no, a(1));
      break;
    case 'neg': case 'endian': case 'bswap': case 'callx':
      want(1);
      ins.dst = reg(l.no, a(0));
      break;
    case 'movsx':
      want(2);
      ins.dst = reg(l.no, a(0));
      ins.src = reg(l.no, a(1));
      break;
    case 'jcond':
      want(3);
      ins.dst = reg(l.no, a(0));
      if (spec.usesSrcReg) ins.src = reg(l.no, a(1));
      else ins.imm = imm32(l.no, a(1));
      ins.off = target(a(2), 16);
      break;
    case 'ja':
      want(1);
      ins.off = target(a(0), 16);
      break;
    case 'ja32':
      want(1);
      ins.imm = target(a(0), 32);
      break;
    case 'call':
      want(1);
      ins.imm = spec.name === 'call_local' ? target(a(0), 32) : imm32(l.no, a(0));
      break;
    case 'exit':
      want(0);
      break;
    case 'lddw': {
      want(2);
      ins.dst = reg(l.no, a(0));
      const v = int(l.no, a(1), -(2n ** 63n), 2n ** 64n - 1n, 'a 64-bit immediate');
      ins.imm = Number(BigInt.asIntN(32, v));
      return [ins, lddwSecondHalf(Number(BigInt.asIntN(32, v >> 32n)))];
    }
    case 'ldx': case 'ldxs': {
      want(2);
      ins.dst = reg(l.no, a(0));
      const m = mem(l.no, a(1));
      ins.src = m.reg;
      ins.off = m.off;
      break;
    }
    case 'st': case 'stx': case 'atomic': {
      want(2);
      const m = mem(l.no, a(0));
      ins.dst = m.reg;
      ins.off = m.off;
      if (spec.kind === 'st') ins.imm = imm32(l.no, a(1));
      else ins.src = reg(l.no, a(1));
      break;
    }
    default:
      fail(l.no, `'${l.mnemonic}' (${spec.name}) is not supported by the conformance syntax`);
  }
  return [ins];
}

/** `%r0`…`%r15`: r11–r15 are accepted on purpose so that VMs can be shown rejecting them. */
function reg(no: number, tok: string): number {
  const m = /^%r(\d{1,2})$/.exec(tok);
  const n = m ? Number(m[1]) : NaN;
  if (!(n >= 0 && n <= 15)) fail(no, `bad register '${tok}' (want %r0..%r15)`);
  return n;
}

/** Integer literal: optional sign, then decimal or 0x hex; checked against [lo, hi]. */
function int(no: number, tok: string, lo: bigint, hi: bigint, what: string): bigint {
  const m = /^([+-]?)(0x[0-9a-f]+|\d+)$/i.exec(tok);
  if (!m) fail(no, `bad ${what} '${tok}'`);
  const v = m[1] === '-' ? -BigInt(m[2]!) : BigInt(m[2]!);
  if (v < lo || v > hi) fail(no, `${what} '${tok}' out of range`);
  return v;
}

/** 32-bit imm: decimal is signed; unsigned hex is a bit pattern (0x80000000 → −2^31). */
function imm32(no: number, tok: string): number {
  const unsignedHex = /^\+?0x/i.test(tok);
  const v = int(no, tok, I32_MIN, unsignedHex ? 2n ** 32n - 1n : I32_MAX, 'immediate');
  return Number(BigInt.asIntN(32, v));
}

/** `[%rN]`, `[%rN+off]`, `[%rN-off]` with a signed 16-bit offset. */
function mem(no: number, tok: string): { reg: number; off: number } {
  const m = /^\[(%r\d+)(?:([+-])(0x[0-9a-f]+|\d+))?\]$/i.exec(tok);
  if (!m) fail(no, `bad memory operand '${tok}' (want [%rN+off])`);
  const off = m[2] === undefined ? 0n : int(no, `${m[2]}${m[3]!}`, -32768n, 32767n, 'offset');
  return { reg: reg(no, m[1]!), off: Number(off) };
}

/** `+N` / `-N` (slots after the next instruction) or a label name. */
function jumpTarget(l: SrcLine, tok: string, labels: ReadonlyMap<string, number>, bits: 16 | 32): number {
  const lim = 2n ** BigInt(bits - 1);
  if (/^[+-]?\d/.test(tok)) return Number(int(l.no, tok, -lim, lim - 1n, 'jump offset'));
  const at = labels.get(tok);
  if (at === undefined) fail(l.no, `unknown label '${tok}'`);
  const rel = at - l.slot - 1;
  if (BigInt(rel) < -lim || BigInt(rel) >= lim) fail(l.no, `label '${tok}' is out of ${bits}-bit jump range`);
  return rel;
}
