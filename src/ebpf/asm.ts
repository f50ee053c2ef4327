/**
 * Assembler for LLVM's BPF assembly syntax (`r1 += 5`, `if w1 == 3 goto +1`, `r1 = 0x1 ll`, …): everything
 * disasm.ts prints, plus labels (`name:`, `goto name`, `call name`), comments (`;`, `#`, `//`) and
 * llvm-objdump lines (`   3:  b7 01 …  r1 = 5`, hex immediates, `<sym+0x18>` annotations).
 * Rows are found in the opcode table by kind/alu/cond/width/size; this file knows no opcode numbers.
 */
import { ALU_SYMBOL, COND_SYMBOL } from './disasm.js';
import { InputError } from './errors.js';
import { decodeInsn, lddwSecondHalf, MAX_REG, type Insn } from './insn.js';
import { CALL_KIND, OPS, SRC, type AluOp, type JmpCond, type OpKind, type OpSpec } from './opcodes.js';

/** A syntax error; the message starts with `line N:` (1-based). */
export class AsmError extends InputError {
  constructor(readonly line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.name = 'AsmError';
  }
}

/** A jump/call target: a label or a slot count relative to the next instruction. */
type Target = { label: string } | { rel: bigint };

interface Stmt {
  line: number;
  slot: number;
  insns: Insn[];
  /** Field that receives the resolved target, if any. */
  target?: { to: Target; field: 'off' | 'imm' };
}

// Regex fragments; each has exactly one capturing group.
const REG = '([rw]\\d+)';
const NUM = '([-+]?\\s*(?:0x[0-9a-f]+|\\d+))';
const REG_OR_NUM = '([rw]\\d+|[-+]?\\s*(?:0x[0-9a-f]+|\\d+))';
const LABEL_RE = '[A-Za-z_.$][\\w.$]*';
const TARGET = `([-+]?\\s*(?:0x[0-9a-f]+|\\d+)|${LABEL_RE})`;
/** Optional signed offset after a base register (`+ 5`, `- 0x3`); empty when absent. */
const OFF = '((?:[-+]\\s*(?:0x[0-9a-f]+|\\d+))?)';
/** `(rN + off)`: two groups, register and offset. */
const MEM = `\\(\\s*${REG}\\s*${OFF}\\s*\\)`;
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const alt = (syms: Iterable<string>): string => `(${[...syms].sort((a, b) => b.length - a.length).map(escape).join('|')})`;

// Operator text → operation, inverted from the disassembler's tables so the syntax is defined once.
const ALU_BY_SYMBOL = new Map<string, AluOp>();
for (const s of OPS) if (s.kind === 'alu' && s.alu) ALU_BY_SYMBOL.set(ALU_SYMBOL[s.alu], s.alu);
const COND_BY_SYMBOL = new Map<string, JmpCond>(Object.entries(COND_SYMBOL).map(([c, sym]) => [sym, c as JmpCond]));
/** Atomic read-modify-write operations (the non-fetch rows: add, or, and, xor) by their `lock` operator. */
const ATOMIC_RMW = [...new Set(OPS.flatMap((s) => (s.kind === 'atomic' && !s.fetch && s.atomic ? [s.atomic as AluOp] : [])))];
const ATOMIC_SYMBOLS = new Map<string, AluOp>(ATOMIC_RMW.map((a) => [ALU_SYMBOL[a], a]));

/**
 * Pattern language: a space means optional whitespace, `~` required whitespace; `${…}` splices a
 * fragment. Patterns match the whole (comment-free) statement, case-insensitively.
 */
function rx(parts: TemplateStringsArray, ...frags: string[]): RegExp {
  const body = parts.raw.map((p, i) => p.replace(/ /g, '\\s*').replace(/~/g, '\\s+') + (frags[i] ?? '')).join('');
  return new RegExp(`^${body}$`, 'i');
}

type Handler = (m: string[], c: Ctx) => Omit<Stmt, 'line' | 'slot'>;

/** Helpers bound to one source line, so every error names it. */
class Ctx {
  constructor(readonly line: number) {}
  fail(msg: string): never { throw new AsmError(this.line, msg); }

  row(what: string, pred: (s: OpSpec) => boolean): OpSpec {
    return OPS.find(pred) ?? this.fail(`no instruction ${what}`);
  }
  /** Instruction of a row, with its discriminating field set. */
  make(s: OpSpec, f: Partial<Insn>): Insn {
    const ins: Insn = { op: s.opcode, dst: 0, src: 0, off: 0, imm: 0, ...f };
    if (s.match) ins[s.match.field] = s.match.value;
    return ins;
  }
  /** Register number; `prefix` restricts r/w (undefined = either). */
  reg(tok: string, prefix?: 'r' | 'w'): number {
    const n = Number(tok.slice(1));
    if (n > MAX_REG) this.fail(`invalid register ${tok} (r0–r${MAX_REG})`);
    const p = tok[0]!.toLowerCase();
    if (prefix && p !== prefix) this.fail(`expected a ${prefix === 'r' ? '64-bit (rN)' : '32-bit (wN)'} register, got ${tok}`);
    return n;
  }
  int(tok: string, min: bigint, max: bigint, what: string): bigint {
    const t = tok.replace(/\s+/g, '');
    const neg = t.startsWith('-');
    const mag = BigInt(t.replace(/^[-+]/, ''));
    const v = neg ? -mag : mag;
    if (v < min || v > max) this.fail(`${what} ${t} out of range ${min}…${max}`);
    return v;
  }
  /** 32-bit immediate: signed, or an unsigned bit pattern up to 0xffffffff. */
  imm32(tok: string): number { return Number(BigInt.asIntN(32, this.int(tok, -(2n ** 31n), 2n ** 32n - 1n, 'immediate'))); }
  off16(tok: string): number { return tok.trim() === '' ? 0 : Number(this.int(tok, -32768n, 32767n, 'offset')); }
  target(tok: string): Target {
    return /^[-+0-9]/.test(tok) ? { rel: this.int(tok, -(2n ** 31n), 2n ** 31n - 1n, 'jump offset') } : { label: tok };
  }
}

const isReg = (tok: string): boolean => /^[rw]\d+$/i.test(tok);
const kindIs = (...k: OpKind[]) => (s: OpSpec): boolean => k.includes(s.kind);

/** ALU-like rows share one shape: a register operand's prefix decides the width. */
function widthOf(c: Ctx, toks: string[]): 32 | 64 {
  const w = toks[0]![0]!.toLowerCase() === 'w' ? 32 : 64;
  for (const t of toks) if (isReg(t)) c.reg(t, w === 32 ? 'w' : 'r');
  return w;
}

const FORMS: [RegExp, Handler][] = [
  [rx`exit`, (_m, c) => ({ insns: [c.make(c.row('exit', kindIs('exit')), {})] })],
  [rx`goto(?=[\s+-]) ${TARGET}`, ([, t], c) => ({ insns: [c.make(c.row('ja', kindIs('ja')), {})], target: { to: c.target(t!), field: 'off' } })],
  [rx`gotol(?=[\s+-]) ${TARGET}`, ([, t], c) => ({ insns: [c.make(c.row('ja32', kindIs('ja32')), {})], target: { to: c.target(t!), field: 'imm' } })],
  [rx`callx~${REG}`, ([, r], c) => ({ insns: [c.make(c.row('callx', kindIs('callx')), { dst: c.reg(r!, 'r') })] })],
  [rx`call~kfunc~${NUM}(?: , ${NUM})?`, ([, imm, off], c) => ({
    insns: [c.make(c.row('kfunc call', (s) => s.kind === 'call' && s.match?.value === CALL_KIND.KFUNC), { imm: c.imm32(imm!), off: c.off16(off ?? '') })],
  })],
  [rx`call~pc ([-+]\s*(?:0x[0-9a-f]+|\d+))`, ([, t], c) => localCall(c, c.target(t!))],
  [rx`call~${NUM}`, ([, imm], c) => ({ insns: [c.make(c.row('helper call', (s) => s.kind === 'call' && s.match?.value === CALL_KIND.HELPER), { imm: c.imm32(imm!) })] })],
  [rx`call~(${LABEL_RE})`, ([, l], c) => localCall(c, { label: l! })],
  [rx`if~${REG} ${alt(COND_BY_SYMBOL.keys())} ${REG_OR_NUM} goto ${TARGET}`, ([, a, sym, b, t], c) => {
    const width = widthOf(c, [a!, b!]);
    const reg = isReg(b!);
    const cond = COND_BY_SYMBOL.get(sym!)!;
    const s = c.row(`if ${sym}`, (r) => r.kind === 'jcond' && r.cond === cond && r.width === width && r.usesSrcReg === reg);
    return { insns: [c.make(s, { dst: c.reg(a!), ...(reg ? { src: c.reg(b!) } : { imm: c.imm32(b!) }) })], target: { to: c.target(t!), field: 'off' } };
  }],
  [rx`${REG} = -${REG}`, ([, a, b], c) => {
    const width = widthOf(c, [a!, b!]);
    if (c.reg(a!) !== c.reg(b!)) c.fail(`negation must name one register twice (${a} = -${a})`);
    return { insns: [c.make(c.row('neg', (s) => s.kind === 'neg' && s.width === width), { dst: c.reg(a!) })] };
  }],
  [rx`${REG} = \( s(\d+) \) ${REG}`, ([, a, bits, b], c) => {
    const width = widthOf(c, [a!, b!]);
    const size = Number(bits) / 8;
    const s = c.row(`${a![0]} = (s${bits})`, (r) => r.kind === 'movsx' && r.width === width && r.size === size);
    return { insns: [c.make(s, { dst: c.reg(a!), src: c.reg(b!) })] };
  }],
  [rx`${REG} = (le|be|bswap)(\d+)~${REG}`, ([, a, name, bits, b], c) => {
    if (c.reg(a!, 'r') !== c.reg(b!, 'r')) c.fail(`byte swap must name one register twice (${a} = ${name}${bits} ${a})`);
    const kind = name!.toLowerCase() === 'bswap' ? 'bswap' : 'endian';
    const be = name!.toLowerCase() === 'be';
    const s = c.row(`${name}${bits}`, (r) => r.kind === kind && r.size * 8 === Number(bits) && (kind === 'bswap' || !!(r.opcode & SRC.X) === be));
    return { insns: [c.make(s, { dst: c.reg(a!) })] };
  }],
  [rx`${REG} = ${NUM}~ll`, ([, a, v], c) => lddw(c, c.reg(a!, 'r'), 0, c.int(v!, -(2n ** 63n), 2n ** 64n - 1n, '64-bit immediate'))],
  [rx`ld_pseudo~${REG} , ${NUM} , ${NUM}`, ([, a, src, v], c) =>
    lddw(c, c.reg(a!, 'r'), Number(c.int(src!, 0n, 15n, 'pseudo source')), c.int(v!, -(2n ** 63n), 2n ** 64n - 1n, '64-bit immediate'))],
  [rx`${REG} = \* \( u(\d+) \* \) skb \[ ${REG_OR_NUM} ${OFF} \]`, ([, a, bits, x, off], c) => {
    if (c.reg(a!, 'r') !== 0) c.fail(`packet loads always write r0`);
    const ind = isReg(x!);
    if (!ind && off) c.fail(`expected skb[imm] or skb[rN + imm]`);
    const s = c.row(`*(u${bits} *)skb[…]`, (r) => r.kind === (ind ? 'ldind' : 'ldabs') && r.size * 8 === Number(bits));
    return { insns: [c.make(s, ind ? { src: c.reg(x!, 'r'), imm: off ? c.imm32(off) : 0 } : { imm: c.imm32(x!) })] };
  }],
  [rx`${REG} = \* \( ([us])(\d+) \* \) ${MEM}`, ([, a, sign, bits, b, off], c) => {
    const s = c.row(`= *(${sign}${bits} *)`, (r) => r.kind === (sign!.toLowerCase() === 's' ? 'ldxs' : 'ldx') && r.size * 8 === Number(bits));
    // Clang's alu32 output writes sub-64-bit loads to wN; the encoding is the same.
    return { insns: [c.make(s, { dst: c.reg(a!, s.size === 8 ? 'r' : undefined), src: c.reg(b!, 'r'), off: c.off16(off!) })] };
  }],
  [rx`\* \( u(\d+) \* \) ${MEM} = ${REG_OR_NUM}`, ([, bits, b, off, x], c) => {
    const reg = isReg(x!);
    const s = c.row(`*(u${bits} *)(…) =`, (r) => r.kind === (reg ? 'stx' : 'st') && r.size * 8 === Number(bits));
    const val = reg ? { src: c.reg(x!, s.size === 8 ? 'r' : undefined) } : { imm: c.imm32(x!) };
    return { insns: [c.make(s, { dst: c.reg(b!, 'r'), off: c.off16(off!), ...val })] };
  }],
  [rx`lock~\* \( u(\d+) \* \) ${MEM} ${alt(ATOMIC_SYMBOLS.keys())} ${REG}`, ([, bits, b, off, sym, x], c) =>
    atomic(c, ATOMIC_SYMBOLS.get(sym!)!, false, bits!, b!, off!, x!)],
  [rx`${REG} = atomic_fetch_${alt(ATOMIC_RMW)} \( \( u(\d+) \* \) ${MEM} , ${REG} \)`, ([, a, op, bits, b, off, x], c) => {
    if (a!.toLowerCase() !== x!.toLowerCase()) c.fail(`atomic_fetch_${op} returns the old value in its source register (${x} = …, ${x})`);
    return atomic(c, op!.toLowerCase(), true, bits!, b!, off!, x!);
  }],
  [rx`${REG} = (xchg|cmpxchg)(_64|32_32) \( ${REG} ${OFF} , ${REG}(?: , ${REG})? \)`, ([, a, op, sfx, b, off, x, y], c) => {
    const bits = sfx === '_64' ? '64' : '32';
    if (op!.toLowerCase() === 'xchg') {
      if (y !== undefined || a!.toLowerCase() !== x!.toLowerCase()) c.fail(`expected ${x} = xchg${sfx}(rD + off, ${x})`);
      return atomic(c, 'xchg', true, bits, b!, off!, x!);
    }
    if (y === undefined || c.reg(a!) !== 0 || c.reg(x!) !== 0) c.fail(`expected r0 = cmpxchg${sfx}(rD + off, r0, rS)`);
    return atomic(c, 'cmpxchg', true, bits, b!, off!, y!);
  }],
  [rx`${REG} ${alt(ALU_BY_SYMBOL.keys())} ${REG_OR_NUM}`, ([, a, sym, x], c) => {
    const width = widthOf(c, [a!, x!]);
    const reg = isReg(x!);
    const alu = ALU_BY_SYMBOL.get(sym!)!;
    const s = c.row(`${a![0]} ${sym} ${reg ? 'reg' : 'imm'}`, (r) => r.kind === 'alu' && r.alu === alu && r.width === width && r.usesSrcReg === reg);
    return { insns: [c.make(s, { dst: c.reg(a!), ...(reg ? { src: c.reg(x!) } : { imm: c.imm32(x!) }) })] };
  }],
  [rx`\.byte~(.*)`, ([, list], c) => {
    const bytes = list!.split(',').map((b) => Number(c.int(b.trim(), 0n, 255n, 'byte')));
    if (bytes.length !== 8) c.fail(`.byte takes exactly 8 bytes (one instruction slot), got ${bytes.length}`);
    return { insns: [decodeInsn(Uint8Array.from(bytes), 0)] };
  }],
];

function localCall(c: Ctx, to: Target): Omit<Stmt, 'line' | 'slot'> {
  return { insns: [c.make(c.row('local call', (s) => s.kind === 'call' && s.match?.value === CALL_KIND.LOCAL), {})], target: { to, field: 'imm' } };
}

function lddw(c: Ctx, dst: number, src: number, value: bigint): Omit<Stmt, 'line' | 'slot'> {
  const v = BigInt.asUintN(64, value);
  const lo = Number(BigInt.asIntN(32, v));
  const hi = Number(BigInt.asIntN(32, v >> 32n));
  return { insns: [c.make(c.row('lddw', kindIs('lddw')), { dst, src, imm: lo }), lddwSecondHalf(hi)] };
}

function atomic(c: Ctx, op: string, fetch: boolean, bits: string, base: string, off: string, val: string): Omit<Stmt, 'line' | 'slot'> {
  const width = Number(bits);
  const s = c.row(`atomic ${fetch ? 'fetch ' : ''}${op}${bits}`, (r) => r.kind === 'atomic' && r.atomic === op && !!r.fetch === fetch && r.width === width);
  // 32-bit atomics are printed with wN by LLVM's alu32 mode and rN otherwise; accept both.
  return { insns: [c.make(s, { dst: c.reg(base, 'r'), src: c.reg(val, width === 64 ? 'r' : undefined), off: c.off16(off) })] };
}

/** Words a statement may start with; anything else at the start of an unparsable line is reported as a mnemonic. */
const KEYWORDS = new Set(['exit', 'goto', 'gotol', 'call', 'callx', 'if', 'lock', 'ld_pseudo', '.byte']);

/** Comments, an llvm-objdump address/bytes prefix and symbolic annotations removed. */
function clean(raw: string): string {
  let s = raw.replace(/(;|#|\/\/).*$/, '');
  // Address with raw bytes, or a bare address (labels never start with a digit).
  s = s.replace(/^\s*[0-9a-f]+:\s+(?:[0-9a-f]{2}\s+)+(?=\S)/i, '').replace(/^\s*\d[0-9a-f]*:\s*/i, '');
  return s.replace(/\s<[\w.$@+-]+>\s*$/, '').trim();
}

export function assemble(text: string): Insn[] {
  const stmts: Stmt[] = [];
  const labels = new Map<string, number>();
  let slot = 0;
  text.split(/\r?\n/).forEach((raw, i) => {
    const c = new Ctx(i + 1);
    let s = clean(raw);
    // objdump symbol headers (`0000000000000000 <xdp_prog>:`) define a label.
    const header = /^[0-9a-f]+ <([\w.$@]+)>:$/i.exec(s);
    if (header) s = `${header[1]}:`;
    for (let m; (m = new RegExp(`^(${LABEL_RE})\\s*:(?!=)`).exec(s)); s = s.slice(m[0].length).trim()) {
      const name = m[1]!;
      if (isReg(name)) c.fail(`'${name}' is a register, not a label name`);
      if (labels.has(name)) c.fail(`label '${name}' defined twice`);
      labels.set(name, slot);
    }
    if (s === '' || /^\.text$/i.test(s)) return;
    const form = FORMS.find(([re]) => re.test(s));
    if (!form) {
      const word = /^[.\w]+/.exec(s)?.[0] ?? '';
      if (word && !KEYWORDS.has(word.toLowerCase()) && !isReg(word)) c.fail(`unknown ${word.startsWith('.') ? 'directive' : 'mnemonic'} '${word}'`);
      c.fail(`cannot parse '${s}'`);
    }
    const st = form![1](form![0].exec(s)!.slice(), c);
    stmts.push({ ...st, line: i + 1, slot });
    slot += st.insns.length;
  });
  for (const st of stmts) {
    if (!st.target) continue;
    const c = new Ctx(st.line);
    const { to, field } = st.target;
    let rel: bigint;
    if ('label' in to) {
      const at = labels.get(to.label) ?? c.fail(`undefined label '${to.label}'`);
      rel = BigInt(at - st.slot - 1);
    } else rel = to.rel;
    const lim = field === 'off' ? 2n ** 15n : 2n ** 31n;
    if (rel < -lim || rel >= lim) c.fail(`jump offset ${rel} does not fit the ${field === 'off' ? '16' : '32'}-bit field`);
    st.insns[0]![field] = Number(rel);
  }
  return stmts.flatMap((st) => st.insns);
}
