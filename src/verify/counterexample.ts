/**
 * A solver counterexample as a concrete interpreter input (packet of the chosen length, randoms,
 * time/CPU/ifindex, map seeds), and the interpreter's confirmation: the two programs must really
 * differ on it (or the candidate must really fail); otherwise the encoding is wrong there.
 */
import type { Insn } from '../ebpf/insn.js';
import type { Program } from '../ebpf/program.js';
import type { RunInput } from '../interp/machine.js';
import { hex } from '../ebpf/hex.js';
import { Session, toRunnable, type RunResult } from '../interp/run.js';
import { captureOutput, outputError } from '../search/output-error.js';
import type { QueryResult } from './query.js';

export function toRunInput(q: QueryResult): RunInput {
  const env = q.env!;
  const vals = q.values!;
  const get = (name: string): bigint => vals.get(name) ?? 0n;
  const len = env.model === 'xdp' || env.model === 'skb' ? Number(get('len')) : env.pktMax;
  const packet = new Uint8Array(len);
  for (let i = 0; i < len; i++) packet[i] = Number(get(`p${i}`));
  const input: RunInput = { packet };
  if (env.randoms.length > 0) input.randoms = env.randoms.map((_, k) => Number(get(`rnd${k}`)));
  const ifindex = Number(get('ifindex'));
  if (env.model !== 'skb' || ifindex !== 0) input.ifindex = ifindex;
  input.rxQueue = Number(get('rxq'));
  input.cpu = Number(get('cpu'));
  input.timeNs = get('time');
  input.pidTgid = get('pid');
  if (env.model === 'none') { input.r1 = get('r1'); input.r2 = get('r2'); }
  if (env.model === 'skb') {
    const cb = Uint8Array.from(env.skbCb, (_, k) => Number(get(`cb${k}`)));
    if (cb.some((b) => b !== 0)) input.skbCb = cb;
    if (get('mark') !== 0n) input.skbMark = Number(get('mark'));
    if (get('prio') !== 0n) input.skbPriority = Number(get('prio'));
  }
  const seeds = new Map<number, [string, string][]>();
  for (const s of q.seeds ?? []) {
    const info = env.maps[s.map]!;
    if (!s.present || (info.kind === 'dense' && s.value === 0n)) continue;
    const kb = bytesOf(s.key, info.def.keySize);
    const list = seeds.get(info.def.fd) ?? [];
    list.push([hex(kb), hex(bytesOf(s.value, info.def.valueSize))]);
    seeds.set(info.def.fd, list);
  }
  if (seeds.size > 0) {
    for (const l of seeds.values()) l.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    input.mapSeeds = new Map([...seeds.entries()].sort((a, b) => a[0] - b[0]));
  }
  return input;
}

function bytesOf(v: bigint, size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let j = 0; j < size; j++) out[j] = Number((v >> BigInt(8 * j)) & 0xffn);
  return out;
}

export interface Confirmation {
  confirmed: boolean;
  original: RunResult;
  candidate: RunResult;
}

/** Runs both programs on the input; confirms "not-equal" (outputs differ) or "unsafe" (candidate fails). */
export function confirm(program: Program, candidate: readonly Insn[], input: RunInput, verdict: 'not-equal' | 'unsafe'): Confirmation {
  const base = toRunnable(program);
  const so = new Session(base);
  const okO = so.run(input);
  const original = so.result();
  const expected = okO ? captureOutput(so.machine) : undefined;
  const sc = new Session({ ...toRunnable({ ...program, insns: candidate.map((x) => ({ ...x })) }) });
  const okC = sc.run(input);
  const cand = sc.result();
  if (!okO || !expected) return { confirmed: false, original, candidate: cand };
  if (verdict === 'unsafe') return { confirmed: !okC, original, candidate: cand };
  return { confirmed: okC && outputError(sc.machine, expected, true, 1) !== 0, original, candidate: cand };
}
