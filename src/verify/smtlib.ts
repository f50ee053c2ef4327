/**
 * SMT-LIB2 text for terms: every shared inner term becomes a `define-fun tN` (emitted once per
 * solver session, in creation order, which is a topological order), so formulas stay linear in
 * size; constants print as #x/#b literals. Also parses `get-value` answers.
 */
import { mask, type Term } from './term.js';

/** A solver answer we cannot use (an error such as the resource limit inside get-value): "unknown". */
export class SolverError extends Error {}

export function sortText(sort: number): string {
  return sort === 0 ? 'Bool' : `(_ BitVec ${sort})`;
}

export function literal(t: Term): string {
  if (t.sort === 0) return t.val ? 'true' : 'false';
  const v = t.val! & mask(t.sort);
  if (t.sort % 4 === 0) return `#x${v.toString(16).padStart(t.sort / 4, '0')}`;
  return `#b${v.toString(2).padStart(t.sort, '0')}`;
}

/** Emits definitions incrementally: terms already defined in this session are referenced by name. */
export class SmtWriter {
  private readonly defined = new Set<number>();
  /**
   * Input variables the formulas mention, declared on first use: a query declares only what it
   * reads (a few dozen packet bytes, not the whole packet), and the canonical counterexample only
   * has to decide those.
   */
  readonly used = new Set<string>();

  /** The reference text of a term, after appending definitions of its not-yet-defined subterms to `out`. */
  ref(t: Term, out: string[]): string {
    if (t.op === 'var') this.declare(t, out);
    this.define(t, out);
    return this.name(t);
  }

  private declare(v: Term, out: string[]): void {
    if (this.used.has(v.name!)) return;
    this.used.add(v.name!);
    out.push(`(declare-const ${v.name} ${sortText(v.sort)})`);
  }

  private name(t: Term): string {
    if (t.op === 'const') return literal(t);
    if (t.op === 'var') return t.name!;
    return `t${t.id}`;
  }

  private define(root: Term, out: string[]): void {
    if (root.op === 'const' || root.op === 'var' || this.defined.has(root.id)) return;
    // Iterative post-order (deep terms would overflow the JS stack with recursion).
    const pending: Term[] = [];
    const stack: Term[] = [root];
    const seen = new Set<number>();
    while (stack.length > 0) {
      const t = stack.pop()!;
      if (t.op === 'const' || t.op === 'var' || this.defined.has(t.id) || seen.has(t.id)) continue;
      seen.add(t.id);
      pending.push(t);
      for (const a of t.args) stack.push(a);
    }
    pending.sort((a, b) => a.id - b.id);
    for (const t of pending) for (const a of t.args) if (a.op === 'var') this.declare(a, out);
    for (const t of pending) {
      out.push(`(define-fun t${t.id} () ${sortText(t.sort)} ${this.body(t)})`);
      this.defined.add(t.id);
    }
  }

  private body(t: Term): string {
    const a = t.args.map((x) => this.name(x));
    switch (t.op) {
      case 'app': return a.length === 0 ? t.name! : `(${t.name} ${a.join(' ')})`;
      case 'eq': return `(= ${a[0]} ${a[1]})`;
      case 'extract': return `((_ extract ${t.params![0]} ${t.params![1]}) ${a[0]})`;
      case 'zext': return `((_ zero_extend ${t.params![0]}) ${a[0]})`;
      case 'sext': return `((_ sign_extend ${t.params![0]}) ${a[0]})`;
      default: return `(${t.op} ${a.join(' ')})`;
    }
  }
}

/** Parses a `(get-value (...))` answer `((e1 v1) (e2 v2) …)` into the values, in order. */
export function parseValues(text: string): bigint[] {
  const toks = text.match(/\(|\)|[^\s()]+/g) ?? [];
  let i = 0;
  type S = string | S[];
  const read = (): S => {
    const t = toks[i++];
    if (t === '(') { const l: S[] = []; while (toks[i] !== ')' && i < toks.length) l.push(read()); i++; return l; }
    return t ?? '';
  };
  const top = read();
  if (!Array.isArray(top)) throw new SolverError(`unexpected solver answer: ${text.slice(0, 200)}`);
  return top.map((pair) => {
    if (!Array.isArray(pair) || pair.length !== 2) throw new SolverError(`unexpected get-value entry in: ${text.slice(0, 200)}`);
    return valueOf(pair[1]!);
  });
  function valueOf(v: S): bigint {
    if (typeof v === 'string') {
      if (v === 'true') return 1n;
      if (v === 'false') return 0n;
      if (v.startsWith('#x')) return BigInt('0x' + v.slice(2));
      if (v.startsWith('#b')) return BigInt('0b' + v.slice(2));
    } else if (v.length === 3 && v[0] === '_' && typeof v[1] === 'string' && v[1].startsWith('bv')) {
      return BigInt(v[1].slice(2));
    }
    throw new SolverError(`unexpected value ${JSON.stringify(v)} in solver answer`);
  }
}
