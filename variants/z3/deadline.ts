/**
 * A wall-clock deadline around any z3 implementation, for runs bounded by time (never for the
 * deterministic, iteration-bounded ones, which keep Z3's resource limit only). Each check-sat is
 * sent with Z3's own `:timeout` set to the time left, so an overrunning query stops and answers
 * "unknown"; once the deadline has passed (or a stop was asked for) a query is refused with a
 * SolverError, which the checker counts as unknown and after which the implementation starts a
 * fresh solver (the native child is closed and restarted). With `hardGraceMs`, a native session is
 * also killed when an answer has not come that long after the deadline (Z3's timeout does not
 * bound every phase of a check; a kill costs a solver restart, so Z3's own timeout should win).
 */
import type { Z3Impl } from '../../src/verify/checker.js';
import type { SmtSession } from '../../src/verify/query.js';
import { SolverError } from '../../src/verify/smtlib.js';

/** Epoch ms (Date.now) after which no query may run; undefined: no deadline now. */
export type Deadline = () => number | undefined;

/** Below this many ms left a query is not started at all. */
const MIN_QUERY_MS = 5;


interface Stoppable { sendWithin?(commands: string, ms: number): string }

function bounded<S extends SmtSession>(inner: S, deadline: Deadline, hardGraceMs: number | undefined): S {
  const stoppable = inner as S & Stoppable;
  const send = (commands: string): string => {
    const at = deadline();
    if (at === undefined) return inner.send(commands);
    const left = Math.floor(at - Date.now());
    const out = (text: string): string => hardGraceMs !== undefined && stoppable.sendWithin ? stoppable.sendWithin(text, Math.max(0, left) + hardGraceMs) : inner.send(text);
    if (!commands.includes('(check-sat')) return out(commands);
    if (left < MIN_QUERY_MS) throw new SolverError('time limit reached (query not started)');
    return out(`(set-option :timeout ${left})\n${commands}`);
  };
  return new Proxy(inner, { get: (t, key) => (key === 'send' ? send : Reflect.get(t, key, t)) }) as S;
}

export function withDeadline(impl: Z3Impl, deadline: Deadline, opts: { hardGraceMs?: number } = {}): Z3Impl {
  const real = new WeakMap<SmtSession, SmtSession>();
  const wrap = <S extends SmtSession>(s: S): S => {
    const b = bounded(s, deadline, opts.hardGraceMs);
    real.set(b, s);
    return b;
  };
  return {
    name: impl.name,
    open: () => wrap(impl.open()),
    release: (s, depth) => impl.release(real.get(s) ?? s, depth),
    isolated: () => wrap(impl.isolated()),
    dispose: () => impl.dispose(),
  };
}
