/**
 * Hash-consed SMT terms (Booleans and bit-vectors) with constant folding and a few exact local
 * rewrites (extract/concat/zext fusion, constant offsets on additions), so that pointer offsets stay
 * concrete where they are concrete (K2's offset concretisation) and formulas stay small.
 */

export type Op =
  | 'const' | 'var' | 'app' | 'not' | 'and' | 'or' | 'ite' | 'eq'
  | 'bvult' | 'bvule' | 'bvslt' | 'bvsle'
  | 'bvadd' | 'bvsub' | 'bvmul' | 'bvudiv' | 'bvurem' | 'bvsdiv' | 'bvsrem'
  | 'bvand' | 'bvor' | 'bvxor' | 'bvshl' | 'bvlshr' | 'bvashr' | 'bvneg'
  | 'concat' | 'extract' | 'zext' | 'sext';

/** Sort 0 is Bool; n > 0 is (_ BitVec n). */
export interface Term {
  readonly id: number;
  readonly sort: number;
  readonly op: Op;
  readonly args: readonly Term[];
  /** Constant value (bit-vectors: unsigned; Booleans: 0n / 1n). */
  readonly val?: bigint;
  /** Variable or function name. */
  readonly name?: string;
  /** extract: [hi, lo]; zext/sext: [extra bits]. */
  readonly params?: readonly number[];
}

export const mask = (w: number): bigint => (1n << BigInt(w)) - 1n;
export const toSigned = (v: bigint, w: number): bigint => (v >> BigInt(w - 1) ? v - (1n << BigInt(w)) : v);

const LOW_BITS_OPS = new Set<string>(['bvadd', 'bvsub', 'bvmul', 'bvand', 'bvor', 'bvxor']);

export class TermBuilder {
  private readonly table = new Map<string, Term>();
  private next = 0;
  readonly T: Term;
  readonly F: Term;

  constructor() {
    this.T = this.mk(0, 'const', [], 1n);
    this.F = this.mk(0, 'const', [], 0n);
  }

  private mk(sort: number, op: Op, args: readonly Term[], val?: bigint, name?: string, params?: readonly number[]): Term {
    const key = `${op}|${sort}|${args.map((a) => a.id).join(',')}|${val ?? ''}|${name ?? ''}|${params?.join(',') ?? ''}`;
    let t = this.table.get(key);
    if (!t) {
      t = { id: this.next++, sort, op, args, ...(val !== undefined ? { val } : {}), ...(name !== undefined ? { name } : {}), ...(params ? { params } : {}) };
      this.table.set(key, t);
    }
    return t;
  }

  bv(v: bigint | number, w: number): Term { return this.mk(w, 'const', [], BigInt.asUintN(w, BigInt(v))); }
  bool(b: boolean): Term { return b ? this.T : this.F; }
  var(name: string, sort: number): Term { return this.mk(sort, 'var', [], undefined, name); }
  /** Application of an uninterpreted function (declared by the caller). */
  app(name: string, sort: number, args: readonly Term[]): Term { return this.mk(sort, 'app', args, undefined, name); }

  // ---- Booleans
  not(a: Term): Term {
    if (a.op === 'const') return this.bool(a.val === 0n);
    if (a.op === 'not') return a.args[0]!;
    return this.mk(0, 'not', [a]);
  }
  and(...xs: Term[]): Term {
    const out: Term[] = [];
    for (const x of xs) {
      if (x === this.F) return this.F;
      if (x === this.T) continue;
      if (x.op === 'and') { for (const y of x.args) if (!out.includes(y)) out.push(y); } else if (!out.includes(x)) out.push(x);
    }
    for (const x of out) if (x.op === 'not' && out.includes(x.args[0]!)) return this.F;
    if (out.length === 0) return this.T;
    if (out.length === 1) return out[0]!;
    return this.mk(0, 'and', out);
  }
  or(...xs: Term[]): Term {
    const out: Term[] = [];
    for (const x of xs) {
      if (x === this.T) return this.T;
      if (x === this.F) continue;
      if (x.op === 'or') { for (const y of x.args) if (!out.includes(y)) out.push(y); } else if (!out.includes(x)) out.push(x);
    }
    for (const x of out) if (x.op === 'not' && out.includes(x.args[0]!)) return this.T;
    if (out.length === 0) return this.F;
    if (out.length === 1) return out[0]!;
    return this.mk(0, 'or', out);
  }
  implies(a: Term, b: Term): Term { return this.or(this.not(a), b); }

  ite(c: Term, a: Term, b: Term): Term {
    if (c.op === 'const') return c.val ? a : b;
    if (a === b) return a;
    if (a.sort === 0) {
      if (a === this.T && b === this.F) return c;
      if (a === this.F && b === this.T) return this.not(c);
      if (a === this.T) return this.or(c, b);
      if (b === this.F) return this.and(c, a);
    }
    if (c.op === 'not') return this.ite(c.args[0]!, b, a);
    // ite(c, ite(c, x, y), b) = ite(c, x, b)
    if (a.op === 'ite' && a.args[0] === c) return this.ite(c, a.args[1]!, b);
    if (b.op === 'ite' && b.args[0] === c) return this.ite(c, a, b.args[2]!);
    return this.mk(a.sort, 'ite', [c, a, b]);
  }

  eq(a: Term, b: Term): Term {
    if (a === b) return this.T;
    if (a.op === 'const' && b.op === 'const') return this.bool(a.val === b.val);
    if (a.sort === 0) {
      if (a.op === 'const') return a.val ? b : this.not(b);
      if (b.op === 'const') return b.val ? a : this.not(a);
    }
    // (x + c1) = c2  →  x = c2 - c1
    if (b.op === 'const' && a.op === 'bvadd' && a.args[1]!.op === 'const') return this.eq(a.args[0]!, this.bv(b.val! - a.args[1]!.val!, a.sort));
    if (a.op === 'const' && b.op !== 'const') return this.eq(b, a);
    // ite(c, k1, k2) = k with constants: decide per branch
    if (b.op === 'const' && a.op === 'ite' && a.args[1]!.op === 'const' && a.args[2]!.op === 'const') {
      return this.ite(a.args[0]!, this.bool(a.args[1]!.val === b.val), this.bool(a.args[2]!.val === b.val));
    }
    return a.id < b.id ? this.mk(0, 'eq', [a, b]) : this.mk(0, 'eq', [b, a]);
  }

  private cmp(op: 'bvult' | 'bvule' | 'bvslt' | 'bvsle', a: Term, b: Term): Term {
    if (a.op === 'const' && b.op === 'const') {
      const w = a.sort;
      const x = op === 'bvult' || op === 'bvule' ? a.val! : toSigned(a.val!, w);
      const y = op === 'bvult' || op === 'bvule' ? b.val! : toSigned(b.val!, w);
      return this.bool(op === 'bvult' || op === 'bvslt' ? x < y : x <= y);
    }
    if (a === b) return this.bool(op === 'bvule' || op === 'bvsle');
    if (op === 'bvult' && b.op === 'const' && b.val === 0n) return this.F;
    if (op === 'bvule' && a.op === 'const' && a.val === 0n) return this.T;
    if (op === 'bvule' && b.op === 'const' && b.val === mask(b.sort)) return this.T;
    if ((op === 'bvult' || op === 'bvule') && b.op === 'const' && this.ub(a) < b.val! + (op === 'bvule' ? 1n : 0n)) return this.T;
    return this.mk(0, op, [a, b]);
  }
  ult(a: Term, b: Term): Term { return this.cmp('bvult', a, b); }
  ule(a: Term, b: Term): Term { return this.cmp('bvule', a, b); }
  slt(a: Term, b: Term): Term { return this.cmp('bvslt', a, b); }
  sle(a: Term, b: Term): Term { return this.cmp('bvsle', a, b); }

  // ---- Bit-vector arithmetic
  /** Upper bound of an unsigned value (cheap, sound). */
  ub(t: Term): bigint {
    switch (t.op) {
      case 'const': return t.val!;
      case 'zext': return this.ub(t.args[0]!);
      case 'ite': { const a = this.ub(t.args[1]!), b = this.ub(t.args[2]!); return a > b ? a : b; }
      case 'bvand': { const a = this.ub(t.args[0]!), b = this.ub(t.args[1]!); return a < b ? a : b; }
      case 'bvadd': { const s = this.ub(t.args[0]!) + this.ub(t.args[1]!); return s <= mask(t.sort) ? s : mask(t.sort); }
      case 'extract': { const m = mask(t.params![0]! - t.params![1]! + 1); if (t.params![1] !== 0) return m; const a = this.ub(t.args[0]!); return a < m ? a : m; }
      case 'bvlshr': { const b = t.args[1]!; return b.op === 'const' && b.val! < BigInt(t.sort) ? this.ub(t.args[0]!) >> b.val! : this.ub(t.args[0]!); }
      case 'bvudiv': return this.ub(t.args[0]!);
      default: return mask(t.sort);
    }
  }

  private bin(op: Op, a: Term, b: Term): Term {
    const w = a.sort;
    if (a.sort !== b.sort) throw new Error(`sort mismatch in ${op}: ${a.sort} vs ${b.sort}`);
    if (a.op === 'const' && b.op === 'const') return this.bv(fold(op, a.val!, b.val!, w), w);
    return this.mk(w, op, [a, b]);
  }

  add(a: Term, b: Term): Term {
    if (a.op === 'const' && b.op !== 'const') return this.add(b, a);
    if (b.op === 'const') {
      if (b.val === 0n) return a;
      if (a.op === 'bvadd' && a.args[1]!.op === 'const') return this.add(a.args[0]!, this.bv(a.args[1]!.val! + b.val!, a.sort));
    } else if (b.op === 'bvadd' && b.args[1]!.op === 'const') {
      return this.add(this.add(a, b.args[0]!), b.args[1]!);
    } else if (a.op === 'bvadd' && a.args[1]!.op === 'const') {
      return this.add(this.add(a.args[0]!, b), a.args[1]!);
    }
    return this.bin('bvadd', a, b);
  }
  sub(a: Term, b: Term): Term {
    if (a === b) return this.bv(0, a.sort);
    if (b.op === 'const') return this.add(a, this.bv(-b.val!, a.sort));
    // (x + c1) - (x + c2) = c1 - c2 (pointer differences)
    const [ax, ac] = splitConst(a), [bx, bc] = splitConst(b);
    if (ax === bx && ax !== undefined) return this.bv(ac - bc, a.sort);
    return this.bin('bvsub', a, b);
  }
  mul(a: Term, b: Term): Term {
    if (a.op === 'const' && b.op !== 'const') return this.mul(b, a);
    if (b.op === 'const' && b.val === 1n) return a;
    if (b.op === 'const' && b.val === 0n) return b;
    return this.bin('bvmul', a, b);
  }
  udiv(a: Term, b: Term): Term { return this.bin('bvudiv', a, b); }
  urem(a: Term, b: Term): Term { return this.bin('bvurem', a, b); }
  sdiv(a: Term, b: Term): Term { return this.bin('bvsdiv', a, b); }
  srem(a: Term, b: Term): Term { return this.bin('bvsrem', a, b); }
  and_(a: Term, b: Term): Term {
    if (a.op === 'const' && b.op !== 'const') return this.and_(b, a);
    if (b.op === 'const' && b.val === mask(a.sort)) return a;
    if (b.op === 'const' && b.val === 0n) return b;
    if (b.op === 'const' && this.ub(a) <= b.val! && (b.val! & (b.val! + 1n)) === 0n) return a;
    if (a === b) return a;
    return this.bin('bvand', a, b);
  }
  or_(a: Term, b: Term): Term {
    if (a.op === 'const' && b.op !== 'const') return this.or_(b, a);
    if (b.op === 'const' && b.val === 0n) return a;
    if (a === b) return a;
    return this.bin('bvor', a, b);
  }
  xor(a: Term, b: Term): Term {
    if (a.op === 'const' && b.op !== 'const') return this.xor(b, a);
    if (b.op === 'const' && b.val === 0n) return a;
    if (a === b) return this.bv(0, a.sort);
    return this.bin('bvxor', a, b);
  }
  private shift(op: 'bvshl' | 'bvlshr' | 'bvashr', a: Term, b: Term): Term {
    if (b.op === 'const' && b.val === 0n) return a;
    // Shifts by a constant as bit moves, so the zero-extension idiom (x << 32) >> 32 of a value
    // that fits in 32 bits is that value again — the same term in both programs, nothing to prove.
    if (b.op === 'const' && a.op !== 'const' && op !== 'bvashr') {
      const w = a.sort;
      const c = b.val! >= BigInt(w) ? w : Number(b.val!);
      if (c >= w) return this.bv(0, w);
      return op === 'bvshl' ? this.concat(this.extract(w - 1 - c, 0, a), this.bv(0, c)) : this.zext(this.extract(w - 1, c, a), c);
    }
    return this.bin(op, a, b);
  }
  shl(a: Term, b: Term): Term { return this.shift('bvshl', a, b); }
  lshr(a: Term, b: Term): Term { return this.shift('bvlshr', a, b); }
  ashr(a: Term, b: Term): Term { return this.shift('bvashr', a, b); }
  neg(a: Term): Term {
    if (a.op === 'const') return this.bv(-a.val!, a.sort);
    return this.mk(a.sort, 'bvneg', [a]);
  }

  extract(hi: number, lo: number, a: Term): Term {
    const w = hi - lo + 1;
    if (lo === 0 && hi === a.sort - 1) return a;
    if (a.op === 'const') return this.bv((a.val! >> BigInt(lo)) & mask(w), w);
    if (a.op === 'extract') return this.extract(hi + a.params![1]!, lo + a.params![1]!, a.args[0]!);
    if (a.op === 'zext') {
      const inner = a.args[0]!;
      if (hi < inner.sort) return this.extract(hi, lo, inner);
      if (lo >= inner.sort) return this.bv(0, w);
    }
    if (a.op === 'concat') {
      const [h, l] = a.args as [Term, Term];
      if (hi < l.sort) return this.extract(hi, lo, l);
      if (lo >= l.sort) return this.extract(hi - l.sort, lo - l.sort, h);
    }
    if (a.op === 'ite' && (a.args[1]!.op === 'const' || a.args[2]!.op === 'const')) {
      return this.ite(a.args[0]!, this.extract(hi, lo, a.args[1]!), this.extract(hi, lo, a.args[2]!));
    }
    // The low bits of a sum, product or bitwise operation depend only on the operands' low bits:
    // 32-bit views of 64-bit values computed differently (a u32 vs a u64 load, then + 2) become the
    // same term, so two windows that agree on them share everything downstream (socket-1's LD_IND).
    if (lo === 0 && LOW_BITS_OPS.has(a.op)) {
      const [x, y] = a.args as [Term, Term];
      const ex = this.extract(hi, 0, x), ey = this.extract(hi, 0, y);
      switch (a.op) {
        case 'bvadd': return this.add(ex, ey);
        case 'bvsub': return this.sub(ex, ey);
        case 'bvmul': return this.mul(ex, ey);
        case 'bvand': return this.and_(ex, ey);
        case 'bvor': return this.or_(ex, ey);
        default: return this.xor(ex, ey);
      }
    }
    return this.mk(w, 'extract', [a], undefined, undefined, [hi, lo]);
  }

  concat(h: Term, l: Term): Term {
    const w = h.sort + l.sort;
    if (h.op === 'const' && l.op === 'const') return this.bv((h.val! << BigInt(l.sort)) | l.val!, w);
    if (h.op === 'const' && h.val === 0n) return this.zext(l, h.sort);
    // concat(extract(x)[h1:l1], extract(x)[h2:l2]) with l1 = h2 + 1 → extract(x)[h1:l2]
    if (h.op === 'extract' && l.op === 'extract' && h.args[0] === l.args[0] && h.params![1] === l.params![0]! + 1) {
      return this.extract(h.params![0]!, l.params![1]!, h.args[0]!);
    }
    // concat(extract(x)[h1:l1], concat(extract(x)[h2:l2], rest)) → concat(extract(x)[h1:l2], rest)
    if (h.op === 'extract' && l.op === 'concat' && l.args[0]!.op === 'extract') {
      const m = l.args[0]!;
      if (m.args[0] === h.args[0] && h.params![1] === m.params![0]! + 1) return this.concat(this.extract(h.params![0]!, m.params![1]!, h.args[0]!), l.args[1]!);
    }
    return this.mk(w, 'concat', [h, l]);
  }

  zext(a: Term, extra: number): Term {
    if (extra === 0) return a;
    if (a.op === 'const') return this.bv(a.val!, a.sort + extra);
    if (a.op === 'zext') return this.zext(a.args[0]!, a.params![0]! + extra);
    // zext(extract(x)[k:0]) where x already fits in k+1 bits and has the target width → x
    if (a.op === 'extract' && a.params![1] === 0 && a.args[0]!.sort === a.sort + extra && this.ub(a.args[0]!) <= mask(a.sort)) return a.args[0]!;
    return this.mk(a.sort + extra, 'zext', [a], undefined, undefined, [extra]);
  }
  sext(a: Term, extra: number): Term {
    if (extra === 0) return a;
    if (a.op === 'const') return this.bv(toSigned(a.val!, a.sort), a.sort + extra);
    return this.mk(a.sort + extra, 'sext', [a], undefined, undefined, [extra]);
  }
  /** Resize to width w (zero-extend or truncate). */
  resize(a: Term, w: number): Term {
    return a.sort === w ? a : a.sort < w ? this.zext(a, w - a.sort) : this.extract(w - 1, 0, a);
  }
}

function splitConst(t: Term): [Term | undefined, bigint] {
  if (t.op === 'const') return [undefined, t.val!];
  if (t.op === 'bvadd' && t.args[1]!.op === 'const') return [t.args[0]!, t.args[1]!.val!];
  return [t, 0n];
}

/** Constant folding with SMT-LIB semantics (division by zero as SMT-LIB defines it). */
export function fold(op: Op, a: bigint, b: bigint, w: number): bigint {
  const m = mask(w);
  switch (op) {
    case 'bvadd': return (a + b) & m;
    case 'bvsub': return (a - b) & m;
    case 'bvmul': return (a * b) & m;
    case 'bvudiv': return b === 0n ? m : a / b;
    case 'bvurem': return b === 0n ? a : a % b;
    case 'bvsdiv': { if (b === 0n) return toSigned(a, w) < 0n ? 1n : m; return BigInt.asUintN(w, toSigned(a, w) / toSigned(b, w)); }
    case 'bvsrem': { if (b === 0n) return a; return BigInt.asUintN(w, toSigned(a, w) % toSigned(b, w)); }
    case 'bvand': return a & b;
    case 'bvor': return a | b;
    case 'bvxor': return a ^ b;
    case 'bvshl': return b >= BigInt(w) ? 0n : (a << b) & m;
    case 'bvlshr': return b >= BigInt(w) ? 0n : a >> b;
    case 'bvashr': { const s = toSigned(a, w); return BigInt.asUintN(w, b >= BigInt(w) ? (s < 0n ? -1n : 0n) : s >> b); }
    default: throw new Error(`cannot fold ${op}`);
  }
}
