/**
 * Loading a Program into the kernel: its maps are created, map references (64-bit immediate
 * loads with the map-fd or map-value pseudo source) are rewritten to the real descriptors, and
 * BPF_PROG_LOAD runs the verifier with its log captured. Every descriptor is closed on every path.
 */
import { InputError } from '../ebpf/errors.js';
import { encodeProgram, type Insn } from '../ebpf/insn.js';
import { CORE_POISON_HELPER } from '../ebpf/core.js';
import { MAP_TYPES, attachFromSection, type Program, type ProgType } from '../ebpf/program.js';
import { ATTACH_TYPE_NUMBERS, ATTR_BYTES, PROG_LOAD, PROG_TYPE_NUMBERS, bpf, clearAttr, setName, setU32, setU64, KernelError } from './attr.js';
import { attachBtfId, loadBtf } from './btf.js';
import { errnoText } from './errno.js';
import { allocNative, closeFd, freeNative, type Native } from './ffi.js';
import { closeMap, createMap, update, type KernelMap } from './maps.js';
import { requireKernel } from './probe.js';
import { Opcode, Pseudo, opByName } from '../ebpf/opcodes.js';

export interface LoadOptions {
  /** Verifier log level: 0 none, 1 (default) the path to an error and statistics, 2 every state. */
  logLevel?: 0 | 1 | 2;
  /** Overrides the program's own type. */
  progType?: ProgType;
  /**
   * Fill every prog array slot with a marker program (of the same type) returning
   * TAIL_CALL_MARK + slot, so that a taken tail call shows in r0. The interpreter models prog
   * array slots as populated, so differential tests need this.
   */
  tailCallMarkers?: boolean;
  /** Large plain arrays created mmapable and mapped (differential tests read them in place; see createMap). */
  mmapLargeArrays?: boolean;
}

/** r0 of the marker program in prog array slot i: TAIL_CALL_MARK + i. */
export const TAIL_CALL_MARK = 0x7a11_0000;

/** A program accepted by the verifier, with its maps; release it with `close`. */
export interface Loaded {
  accepted: true;
  name: string;
  progType: ProgType;
  fd: number;
  maps: KernelMap[];
  log: string;
  /** Descriptors of tail-call marker programs (closed with the program). */
  markerFds: number[];
  /** Scratch buffers for test runs (grown on demand, freed by `close`). */
  io: Partial<Record<'attr' | 'dataIn' | 'dataOut' | 'ctxIn' | 'ctxOut', Native>>;
}

export interface Rejection {
  accepted: false;
  /** The verifier's reason (its last message line, with the instruction it was at) or the errno. */
  reason: string;
  log: string;
  errno: number;
}

const LOG_START = 256 * 1024;
const LOG_MAX = 64 * 1024 * 1024;

/** What the load used besides the instructions (for reports): attach type, BTF target, BTF. */
export interface LoadNotes { expectedAttachType?: string; attachTarget?: string; btf?: string }

/** Loads `prog` (creating its maps); a verifier rejection is data, anything else throws. */
export function loadProgram(prog: Program, opts: LoadOptions = {}): (Loaded | Rejection) & { notes: LoadNotes } {
  requireKernel();
  const progType = opts.progType ?? prog.progType;
  if (!progType) throw new InputError(`${prog.source}: no program type known (the kernel needs one): pass --prog-type`);
  const attach = prog.section ? attachFromSection(prog.section) : undefined;
  const notes: LoadNotes = {};
  const spec: LoadSpec = { name: prog.name, progType, insns: [], logLevel: opts.logLevel ?? 1, license: prog.license ?? 'GPL' };
  if (attach && attach.progType === progType) {
    if (attach.expectedAttachType) spec.expectedAttachType = notes.expectedAttachType = attach.expectedAttachType;
    if (attach.btfTarget) {
      const t = attachBtfId(attach.btfTarget);
      if ('reason' in t) return { accepted: false, reason: t.reason, log: '', errno: 2, notes };
      spec.attachBtfId = t.id;
      notes.attachTarget = `${attach.btfTarget.name} (BTF id ${t.id})`;
    }
    spec.progFlags = (attach.sleepable ? 1 << 4 : 0) | (attach.xdpFrags ? 1 << 5 : 0);
  }
  const maps: KernelMap[] = [];
  const markerFds: number[] = [];
  const temp: number[] = [];
  let done = false;
  try {
    if (prog.btf) {
      const b = loadBtf(prog.btf.bytes);
      // Without BTF the kernel still verifies most programs (libbpf retries so too); say so.
      if ('fd' in b) { temp.push(b.fd); spec.btf = { fd: b.fd, funcInfo: prog.btf.funcInfo, lineInfo: prog.btf.lineInfo }; notes.btf = 'loaded'; } else notes.btf = `refused (${b.reason}): loaded without BTF`;
    }
    for (const def of prog.maps) {
      let innerFd: number | undefined;
      if (def.inner) { innerFd = createMap(def.inner).fd; temp.push(innerFd); }
      maps.push(createMap(def, { ...(innerFd !== undefined ? { innerFd } : {}), ...(spec.btf ? { btfFd: spec.btf.fd } : {}), ...(opts.mmapLargeArrays ? { mmapLargeArray: true } : {}) }));
    }
    fillInnerSlots(maps);
    spec.insns = relocate(prog.insns, maps);
    const r = loadInsns(spec);
    if (!r.accepted) return { ...r, reason: poisonReason(prog, r.log) ?? r.reason, notes };
    if (opts.tailCallMarkers) {
      for (const m of maps.filter((m) => m.def.type === MAP_TYPES.prog_array)) fillWithMarkers(m, spec, markerFds);
    }
    done = true;
    return { accepted: true, name: prog.name, progType, fd: r.fd, maps, log: r.log, markerFds, io: {}, notes };
  } finally {
    for (const fd of temp) closeFd(fd);
    if (!done) {
      for (const fd of markerFds) closeFd(fd);
      for (const m of maps) closeMap(m);
    }
  }
}

/** A rejection at a CO-RE-poisoned instruction, told as libbpf tells it. */
function poisonReason(prog: Program, log: string): string | undefined {
  if (!log.includes(`unknown#${CORE_POISON_HELPER}`) && !log.includes(`func#${CORE_POISON_HELPER}`)) return undefined;
  const list = (prog.poisoned ?? []).map((p) => `instruction ${p.insn}: ${p.relocation}`).join('; ');
  return `reached an unresolved CO-RE relocation (no type in the kernel's BTF matches): ${list}`;
}

/** Map-in-map `values` initialisers: slot i of the outer map gets the named map's fd. */
function fillInnerSlots(maps: KernelMap[]): void {
  for (const outer of maps) {
    for (const { index, map } of outer.def.innerSlots ?? []) {
      const inner = maps.find((m) => m.def.name === map) ?? (() => { throw new InputError(`map '${outer.def.name}': slot ${index} names unknown map '${map}'`); })();
      const key = new Uint8Array(outer.def.keySize);
      new DataView(key.buffer).setUint32(0, index, true);
      const fd = new Uint8Array(4);
      new DataView(fd.buffer).setUint32(0, inner.fd, true);
      const r = update(outer, key, fd);
      if (r < 0) throw new KernelError('MAP_UPDATE_ELEM', -r, `(map-in-map '${outer.def.name}' slot ${index})`);
    }
  }
}

/** Closes the program, its maps and markers and frees its buffers (idempotent). */
export function close(l: Loaded): void {
  if (l.fd < 0) return;
  closeFd(l.fd);
  l.fd = -1;
  for (const fd of l.markerFds) closeFd(fd);
  l.markerFds = [];
  for (const m of l.maps) closeMap(m);
  for (const b of Object.values(l.io)) if (b) freeNative(b);
  l.io = {};
}

/** Map-fd and map-value loads (lddw's pseudo sources) get the real descriptor in their imm. */
export function relocate(insns: readonly Insn[], maps: readonly KernelMap[]): Insn[] {
  const out = insns.map((i) => ({ ...i }));
  for (let i = 0; i < out.length; i++) {
    const ins = out[i]!;
    if (ins.op !== Opcode.LDDW) continue;
    if (ins.src === Pseudo.MAP_FD || ins.src === Pseudo.MAP_VALUE) {
      const m = maps.find((k) => k.def.fd === ins.imm);
      if (!m) {
        throw new InputError(`instruction ${i}: map reference to fd ${ins.imm}, but the program has ${maps.length === 0 ? 'no maps' : `maps with fd ${maps.map((k) => k.def.fd).join(', ')}`}`);
      }
      ins.imm = m.fd;
    }
    i++; // the second slot of the 64-bit load
  }
  return out;
}

const MAX_INTERRUPTED_LOADS = 8;

interface RawLoad { accepted: true; fd: number; log: string }

/** Everything BPF_PROG_LOAD gets. */
export interface LoadSpec {
  name: string;
  progType: ProgType;
  insns: readonly Insn[];
  logLevel: 0 | 1 | 2;
  /** The object's license (GPL-only helpers need a GPL-compatible one). */
  license: string;
  expectedAttachType?: string;
  attachBtfId?: number;
  progFlags?: number;
  btf?: { fd: number; funcInfo: NonNullable<Program['btf']>['funcInfo']; lineInfo: NonNullable<Program['btf']>['lineInfo'] };
}

/** BPF_PROG_LOAD of ready instructions (map fds already real), growing the log buffer on ENOSPC. */
export function loadInsns(spec: LoadSpec): RawLoad | Rejection {
  const { insns, logLevel } = spec;
  const code = encodeProgram(insns);
  const attr = allocNative(ATTR_BYTES);
  const text = allocNative(code.length);
  const licenseBytes = Buffer.from(`${spec.license}\0`, 'utf8');
  const license = allocNative(licenseBytes.length);
  const funcInfo = spec.btf && spec.btf.funcInfo.length > 0 ? allocNative(8 * spec.btf.funcInfo.length) : undefined;
  const lineInfo = spec.btf && spec.btf.lineInfo.length > 0 ? allocNative(16 * spec.btf.lineInfo.length) : undefined;
  let log: Native | undefined;
  try {
    text.bytes.set(code);
    license.bytes.set(licenseBytes);
    spec.btf?.funcInfo.forEach((f, i) => { funcInfo!.view.setUint32(8 * i, f.insn, true); funcInfo!.view.setUint32(8 * i + 4, f.typeId, true); });
    spec.btf?.lineInfo.forEach((l, i) => {
      const v = lineInfo!.view;
      v.setUint32(16 * i, l.insn, true); v.setUint32(16 * i + 4, l.fileNameOff, true); v.setUint32(16 * i + 8, l.lineOff, true); v.setUint32(16 * i + 12, l.lineCol, true);
    });
    for (let logSize = logLevel > 0 ? LOG_START : 0, interrupted = 0; ;) {
      if (log) freeNative(log);
      log = logSize > 0 ? allocNative(logSize) : undefined;
      clearAttr(attr);
      setU32(attr, PROG_LOAD.progType, PROG_TYPE_NUMBERS[spec.progType]);
      setU32(attr, PROG_LOAD.insnCnt, insns.length);
      setU64(attr, PROG_LOAD.insns, text.addr);
      setU64(attr, PROG_LOAD.license, license.addr);
      if (spec.expectedAttachType) setU32(attr, PROG_LOAD.expectedAttachType, ATTACH_TYPE_NUMBERS[spec.expectedAttachType] ?? 0);
      if (spec.attachBtfId) setU32(attr, PROG_LOAD.attachBtfId, spec.attachBtfId);
      if (spec.progFlags) setU32(attr, PROG_LOAD.progFlags, spec.progFlags);
      if (spec.btf) {
        setU32(attr, PROG_LOAD.progBtfFd, spec.btf.fd);
        if (funcInfo) { setU32(attr, PROG_LOAD.funcInfoRecSize, 8); setU64(attr, PROG_LOAD.funcInfo, funcInfo.addr); setU32(attr, PROG_LOAD.funcInfoCnt, spec.btf.funcInfo.length); }
        if (lineInfo) { setU32(attr, PROG_LOAD.lineInfoRecSize, 16); setU64(attr, PROG_LOAD.lineInfo, lineInfo.addr); setU32(attr, PROG_LOAD.lineInfoCnt, spec.btf.lineInfo.length); }
      }
      if (log) {
        setU32(attr, PROG_LOAD.logLevel, logLevel);
        setU32(attr, PROG_LOAD.logSize, logSize);
        setU64(attr, PROG_LOAD.logBuf, log.addr);
      }
      setName(attr, PROG_LOAD.name, spec.name);
      const r = bpf('PROG_LOAD', attr, PROG_LOAD.size, [1, 2, 7, 11, 13, 14, 22, 28, 95, 524]);
      const logText = log ? readLog(log) : '';
      if (r >= 0) return { accepted: true, fd: r, log: logText };
      const errno = -r;
      // EAGAIN: a signal (a profiler's SIGPROF, say) interrupted the verifier; libbpf retries too.
      if (errno === 11 && interrupted++ < MAX_INTERRUPTED_LOADS) continue;
      if (errno === 28 && log && logSize < LOG_MAX) {
        const needed = attr.view.getUint32(PROG_LOAD.logTrueSize, true);
        logSize = Math.min(LOG_MAX, Math.max(logSize * 4, needed + 1));
        continue;
      }
      // The oracle's probe load succeeded, so EPERM here is the kernel's verdict on this program
      // (e.g. fentry/fexit/lsm where the kernel has no trampolines); bpftool gets the same.
      if (errno === 1 && !logText) return { accepted: false, reason: `${errnoText(errno)} with no verifier log: the kernel refuses ${spec.attachBtfId ? 'BTF-attached programs of this kind' : 'this program'} here`, log: '', errno };
      return { accepted: false, reason: verifierReason(logText) ?? errnoText(errno), log: logText, errno };
    }
  } finally {
    for (const b of [attr, text, license, log, funcInfo, lineInfo]) if (b) freeNative(b);
  }
}

function readLog(b: Native): string {
  const end = b.bytes.indexOf(0);
  return Buffer.from(b.bytes.subarray(0, end < 0 ? b.size : end)).toString('utf8');
}

/** The verifier's last message line, prefixed with the instruction it was checking. */
export function verifierReason(log: string): string | undefined {
  const lines = log.split('\n').map((l) => l.trimEnd()).filter((l) => l !== '');
  const stats = /^(processed \d+ insns|verification time|stack depth|-- END PROG LOAD LOG --)/;
  while (lines.length > 0 && stats.test(lines[lines.length - 1]!)) lines.pop();
  const last = lines[lines.length - 1];
  if (last === undefined) return undefined;
  for (let i = lines.length - 2; i >= 0; i--) {
    const m = /^(\d+): \(/.exec(lines[i]!);
    if (m) return `instruction ${m[1]}: ${last}`;
  }
  return last;
}

/** Markers share the program's type, attach type and flags: the kernel lets only alike programs into one prog array. */
function fillWithMarkers(m: KernelMap, like: LoadSpec, markerFds: number[]): void {
  for (let slot = 0; slot < m.def.maxEntries; slot++) {
    const r = loadInsns({ name: `tail_mark_${slot}`, progType: like.progType, logLevel: 0, license: 'GPL',
      ...(like.expectedAttachType ? { expectedAttachType: like.expectedAttachType } : {}), ...(like.progFlags ? { progFlags: like.progFlags } : {}), insns: [
      { op: opByName('mov64_imm').opcode, dst: 0, src: 0, off: 0, imm: TAIL_CALL_MARK + slot }, // r0 = mark + slot
      { op: Opcode.EXIT, dst: 0, src: 0, off: 0, imm: 0 },
    ] });
    if (!r.accepted) throw new KernelError('PROG_LOAD', r.errno, `(tail-call marker: ${r.reason})`);
    const fd = new Uint8Array(4);
    new DataView(fd.buffer).setUint32(0, r.fd, true);
    const res = update(m, new Uint8Array([slot & 0xff, (slot >>> 8) & 0xff, (slot >>> 16) & 0xff, slot >>> 24]), fd);
    // The prog array now holds its own reference: keeping one descriptor per slot ran a large
    // prog array (tens of thousands of slots) into EMFILE.
    closeFd(r.fd);
    if (res < 0) throw new KernelError('MAP_UPDATE_ELEM', -res, `(prog array '${m.def.name}' slot ${slot})`);
    // The prog array holds its own reference: keeping one descriptor per slot would exhaust the
    // process's descriptors (EMFILE) on prog arrays with thousands of slots.
    closeFd(markerFds.pop()!);
  }
}
