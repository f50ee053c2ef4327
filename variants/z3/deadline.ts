/**
 * A wall-clock deadline around any z3 implementation, for runs bounded by time (never for the
 * deterministic, iteration-bounded ones, which keep Z3's resource limit only). Each check-sat is
 * sent with Z3's own `:timeout` set to the time left, so an overrunning query stops and answers
 * "unknown"; once the deadline has passed (or a stop was asked for) a query is refused with a
 * SolverError, which the checker counts as unknown and after which the implementation starts a
 * fresh solver (the native child is closed and restarted).
 */
import type { Z3Impl } from '../../src/verify/checker.js';
import type { SmtSession } from '../../src/verify/query.js';
import { SolverError } from '../../src/verify/smtlib.js';

/** Epoch ms (Date.now) after which no query may run; undefined: no deadline now. */
export type Deadline = () => number | undefined;

/** Below this many ms left a query is not started at all. */
const MIN_QUERY_MS = 5;

function bounded<S extends SmtSession>(inner: S, deadline: Deadline): S {
  const send = (commands: string): string => {
    const at = deadline();
    if (at === undefined || !commands.includes('(check-sat')) return inner.send(commands);
    const left = Math.floor(at - Date.now());
    if (left < MIN_QUERY_MS) throw new SolverError('time limit reached (query not started)');
    return inner.send(`(set-option :timeout ${left})\n${commands}`);
  };
  return new Proxy(inner, { get: (t, key) => (key === 'send' ? send : Reflect.get(t, key, t)) }) as S;
}

export function withDeadline(impl: Z3Impl, deadline: Deadline): Z3Impl {
  const real = new WeakMap<SmtSession, SmtSession>();
  const wrap = <S extends SmtSession>(s: S): S => {
    const b = bounded(s, deadline);
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
