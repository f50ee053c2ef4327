/**
 * Helper calls in the SMT encoding, matching src/interp/helpers.ts: map lookup/update/delete on
 * symbolic map contents (same key → same entry), tail call (an exit), redirect / redirect_map
 * return values and their targets as ordered effects, time, CPU, pid and get_prandom_u32 from
 * shared inputs. Every other helper with a table entry is an uninterpreted function of all it
 * reads (opaque.ts); a helper without one makes the query unknown. Returns a tail-call exit
 * condition, if the helper can end the program.
 */
import { HELPER_IDS as H } from '../ebpf/helpers.js';
import { MAP_TYPES } from '../ebpf/program.js';
import { ERRNO } from '../interp/maps.js';
import { REGION_BASE } from '../interp/memory.js';
import type { SymEnv } from './env.js';
import { entryPresent, loadBytes, mapArg as mapOf, pointerReg, Unsupported } from './memory.js';
import { opaqueCall } from './opaque.js';
import type { Ctx } from './semantics.js';
import { appendEffect, appendEvent, type Reg } from './state.js';
import type { Term, TermBuilder } from './term.js';

function retNeg(tb: TermBuilder, v: number): Term {
  return tb.bv(BigInt(v), 64);
}

/** Entry identity: array maps by u32 index (first 4 key bytes), hash maps by the whole key. */
function keyTerm(env: SymEnv, m: number, bytes: readonly Term[]): Term {
  const tb = env.tb;
  const info = env.maps[m]!;
  if (info.kind === 'hash') { let k = bytes[0]!; for (let j = 1; j < bytes.length; j++) k = tb.concat(bytes[j]!, k); return k; }
  const b = [0, 1, 2, 3].map((j) => bytes[j] ?? tb.bv(0, 8));
  return tb.concat(b[3]!, tb.concat(b[2]!, tb.concat(b[1]!, b[0]!)));
}

export interface CallResult { tailExit?: { cond: Term; index: Term } }

const mapArg = (c: Ctx, reg: Reg): number | undefined => mapOf(c.env, reg);

export function call(c: Ctx, id: number): CallResult {
  const { env, s } = c;
  const tb = env.tb;
  const regs = s.regs;
  const setR0 = (v: Term): void => { regs[0] = { v }; };
  const lo32 = (r: number): Term => tb.extract(31, 0, regs[r]!.v);
  switch (id) {
    case H.map_lookup_elem: case H.map_update_elem: case H.map_delete_elem: {
      const m = mapArg(c, regs[1]!);
      if (m === undefined) { c.sink.fault(c.reach); return {}; }
      const info = env.maps[m]!;
      const t = info.def.type;
      if (id === 1 && (t === MAP_TYPES.prog_array || t === MAP_TYPES.perf_event_array)) { c.sink.fault(c.reach); return {}; }
      const key = keyTerm(env, m, loadBytes(env, s, c.reach, c.sink, regs[2]!, 0, info.def.keySize));
      const max = tb.bv(info.def.maxEntries, 32);
      const vs = info.def.valueSize;
      if (id === 1) {
        const present = entryPresent(env, s, m, key);
        const addr = info.kind === 'hash'
          ? tb.add(tb.bv(info.base, 64), tb.mul(tb.zext(env.slot(m, key), 48), tb.bv(vs, 64)))
          : tb.add(tb.bv(info.base, 64), tb.mul(tb.zext(key, 32), tb.bv(vs, 64)));
        const v = tb.ite(present, addr, tb.bv(0, 64));
        regs[0] = pointerReg(env, v, [{ g: present, r: { entry: { map: m, key } }, off: tb.bv(0, 64) }]);
        return {};
      }
      if (id === 2) {
        const value = loadBytes(env, s, c.reach, c.sink, regs[3]!, 0, vs);
        const r4 = regs[4]!.v;
        const flags = tb.ite(tb.eq(tb.extract(63, 32, r4), tb.bv(0, 32)), tb.extract(31, 0, r4), tb.bv(0xffff_ffff, 32));
        const present = entryPresent(env, s, m, key);
        const isF = (f: number): Term => tb.eq(flags, tb.bv(f, 32));
        // The interpreter's order of checks: bad flags, index range, NOEXIST/EXIST.
        const cases: [Term, number][] = [[tb.ult(tb.bv(2, 32), flags), -ERRNO.EINVAL]];
        if (info.kind !== 'hash') cases.push([tb.not(tb.ult(key, max)), -ERRNO.E2BIG]);
        if (info.kind === 'dense') cases.push([isF(1), -ERRNO.EEXIST]);
        else {
          cases.push([tb.and(isF(1), present), -ERRNO.EEXIST]);
          cases.push([tb.and(isF(2), tb.not(present)), -ERRNO.ENOENT]);
        }
        let r0: Term = tb.bv(0, 64);
        for (let k = cases.length - 1; k >= 0; k--) r0 = tb.ite(cases[k]![0], retNeg(tb, cases[k]![1]), r0);
        const ok = tb.not(tb.or(...cases.map((x) => x[0])));
        appendEvent(s, m, { kind: 'update', g: ok, key, bytes: value });
        setR0(r0);
        return {};
      }
      // delete
      if (info.kind === 'dense') { setR0(retNeg(tb, -ERRNO.EINVAL)); return {}; }
      const present = entryPresent(env, s, m, key);
      const miss = info.kind === 'sparse' ? tb.ite(tb.ult(key, max), retNeg(tb, -ERRNO.ENOENT), retNeg(tb, -ERRNO.EINVAL)) : retNeg(tb, -ERRNO.ENOENT);
      appendEvent(s, m, { kind: 'delete', g: present, key });
      setR0(tb.ite(present, tb.bv(0, 64), miss));
      return {};
    }
    case H.ktime_get_ns: setR0(env.scalars.time); return {};
    case H.get_prandom_u32: {
      const rs = env.randoms;
      if (rs.length === 0) throw new Unsupported('get_prandom_u32 without random inputs');
      let v = rs[rs.length - 1]!;
      for (let k = rs.length - 2; k >= 0; k--) v = tb.ite(tb.eq(s.cursor, tb.bv(k, 8)), rs[k]!, v);
      setR0(tb.zext(v, 32));
      s.cursor = tb.add(s.cursor, tb.bv(1, 8));
      return {};
    }
    case H.get_smp_processor_id: setR0(tb.sext(env.scalars.cpu, 32)); return {};
    case H.get_current_pid_tgid: setR0(env.scalars.pid); return {};
    case H.tail_call: {
      const m = mapArg(c, regs[2]!);
      if (m === undefined || env.maps[m]!.def.type !== MAP_TYPES.prog_array) { c.sink.fault(c.reach); return {}; }
      const index = lo32(3);
      return { tailExit: { cond: tb.ult(index, tb.bv(env.maps[m]!.def.maxEntries, 32)), index } };
    }
    case H.redirect: {
      // bpf_redirect(u32 ifindex, u64 flags): XDP takes no flags, tc only BPF_F_INGRESS; the target (ifindex, flags) is an effect.
      const r2 = regs[2]!.v;
      const ok = env.progKind === 'xdp' ? tb.eq(r2, tb.bv(0, 64)) : tb.eq(tb.and_(r2, tb.bv(~1n, 64)), tb.bv(0, 64));
      if (env.progKind === 'xdp') setR0(tb.ite(ok, tb.bv(4, 64), tb.bv(0, 64)));
      else setR0(tb.ite(ok, tb.bv(7, 64), tb.bv(2, 64)));
      // Recorded whatever the flags (as the interpreter does): stricter than the kernel, never looser.
      appendEffect(s, { g: tb.T, id, args: [lo32(1), r2] });
      return {};
    }
    case H.redirect_map: {
      const m = mapArg(c, regs[1]!);
      if (m === undefined) { c.sink.fault(c.reach); return {}; }
      const info = env.maps[m]!;
      const key = lo32(2);
      const r3 = regs[3]!.v;
      const flags = tb.extract(31, 0, r3);
      const devmap = info.def.type === MAP_TYPES.devmap || info.def.type === MAP_TYPES.devmap_hash;
      const badFlags = tb.or(tb.not(tb.eq(tb.extract(63, 32, r3), tb.bv(0, 32))), tb.not(tb.eq(tb.and_(flags, tb.bv(~(3 | (devmap ? 24 : 0)) >>> 0, 32)), tb.bv(0, 32))));
      const inRange = tb.ult(key, tb.bv(info.def.maxEntries, 32));
      const hit = info.kind === 'sparse' ? tb.and(inRange, entryPresent(env, s, m, key)) : inRange;
      const broadcast = tb.not(tb.eq(tb.and_(flags, tb.bv(8, 32)), tb.bv(0, 32)));
      const miss = tb.zext(tb.and_(flags, tb.bv(3, 32)), 32);
      const redirects = tb.and(tb.not(badFlags), tb.or(hit, broadcast));
      setR0(tb.ite(badFlags, tb.bv(0, 64), tb.ite(tb.or(hit, broadcast), tb.bv(4, 64), miss)));
      // The redirect target (map, key, flags) is an effect, as in the interpreter's side effects.
      appendEffect(s, { g: redirects, id, args: [tb.bv(m, 16), key, flags] });
      return {};
    }
    default:
      // Not modelled exactly: an uninterpreted function of everything the prototype says it reads.
      opaqueCall(c, id);
      return {};
  }
}

export const MAP_HANDLE_BASE = REGION_BASE.mapHandle;
