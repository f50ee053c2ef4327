/**
 * The return values the verifier allows per program type (check_return_code in the kernel's
 * verifier.c): cgroup programs return a verdict in [0, 1] (egress cgroup_skb may add congestion
 * bits: [0, 3]; inet bind [0, 3]; recvmsg, getpeername and getsockname hooks must return 1),
 * fentry/fexit 0, iterators [0, 1], sk_lookup and netfilter [0, 1]. Other types return anything.
 * At exit, r0 must then be a known number in the range; an unknown one errs on the safe side.
 */
import { attachFromSection, type ProgType } from '../ebpf/program.js';
import { Violation } from '../ebpf/violations.js';
import type { Core } from './core.js';
import { KIND, Kind, OFF, SYM, highOf, lowOf } from './types.js';

export type Range = readonly [number, number];

const ONE_ONLY = /recvmsg|getpeername|getsockname/;

export function returnRangeOf(t: ProgType | undefined, section: string | undefined): Range | undefined {
  const attach = section ? attachFromSection(section)?.expectedAttachType ?? '' : '';
  switch (t) {
    case 'cgroup_skb': return attach === 'cgroup_inet_egress' ? [0, 3] : [0, 1];
    case 'cgroup_sock_addr':
      if (ONE_ONLY.test(attach)) return [1, 1];
      return /bind$/.test(attach) ? [0, 3] : [0, 1];
    case 'cgroup_sock': case 'sock_ops': case 'cgroup_device': case 'cgroup_sysctl': case 'cgroup_sockopt':
    case 'sk_lookup': case 'netfilter':
      return [0, 1];
    case 'tracing':
      if (attach === 'trace_fentry' || attach === 'trace_fexit') return [0, 0];
      return attach === 'trace_iter' ? [0, 1] : undefined;
    default: return undefined;
  }
}

/** At an exit of the main program: r0 within the type's range (`range` from returnRangeOf). */
export function checkReturn(c: Core, range: Range, pc: number): Violation {
  const t = c.t;
  const [lo, hi] = range;
  const fail = (what: string): Violation => c.errors.fail(Violation.InvalidInstruction, pc, `the return value ${what}; this program type must return a value in [${lo}, ${hi}]`);
  if ((t[KIND + 0]! as Kind) !== Kind.Const) return fail('is not a known number');
  const sym = t[SYM + 0]!, off = t[OFF + 0]!;
  const low = lowOf(c.syms, sym, off), high = highOf(c.syms, sym, off);
  if (low < lo || high > hi) return fail(low === high ? `is ${low}` : `may be in [${low}, ${high}]`);
  return Violation.None;
}
