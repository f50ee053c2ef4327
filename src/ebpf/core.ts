/**
 * CO-RE (compile once, run everywhere) relocations, resolved the way libbpf resolves them: the
 * local type and access string (`0:1:2`: array index into the root, then member/element indices)
 * are matched against every target type of the same kind and essential name (`task_struct___old`
 * is `task_struct`), fields by name through anonymous members; the instruction's immediate or
 * offset (and a load's size, when the field changed size) gets the target's value. The compiled
 * value must equal the local one (else the object is not what its BTF says). When no candidate
 * matches, `*_exists` relocations give 0 and the others poison the instruction as libbpf does:
 * a call to the non-existent helper 0xbad2310, which the verifier refuses only if it is reachable.
 */
import { KIND, btfSizeOf, essentialName, idsByEssentialName, skipMods, typeAt, type Btf } from './btf.js';
import { CORE_KIND, CORE_KIND_NAMES, type CoreRelo } from './btf-ext.js';
import { InputError } from './errors.js';
import type { Insn } from './insn.js';
import { Cls, Jmp, Mask, Mode, Opcode, Size, Src } from './opcodes.js';

/** libbpf's poison helper id: `call 0xbad2310` marks an unresolved relocation. */
export const CORE_POISON_HELPER = 0xbad2310;

type Step = { member: string; memberType: number } | { index: number };
interface FieldSpec { rootId: number; steps: Step[]; bitOffset: number; fieldType: number; bitSize: number }
interface Value { value: bigint; size?: number; fieldType?: number; bitfield?: boolean }

const isComposite = (k: number): boolean => k === KIND.STRUCT || k === KIND.UNION;
const isEnum = (k: number): boolean => k === KIND.ENUM || k === KIND.ENUM64;
const sameKind = (a: number, b: number): boolean => a === b || (isEnum(a) && isEnum(b));

export function describeRelo(local: Btf, r: CoreRelo): string {
  const t = local.types[r.typeId];
  return `CO-RE ${CORE_KIND_NAMES[r.kind] ?? `kind ${r.kind}`} of ${t ? `'${t.name || '(anon)'}'` : `type ${r.typeId}`} access ${r.access}`;
}

/** The local side: the access string walked through the object's own BTF. */
function parseFieldSpec(btf: Btf, rootId: number, access: number[]): FieldSpec {
  let id = rootId;
  const root = typeAt(btf, skipMods(btf, id));
  if (root.name === '') throw new InputError('relocation of an anonymous type');
  let bitOffset = access[0]! * btfSizeOf(btf, id) * 8;
  let bitSize = 0;
  const steps: Step[] = [{ index: access[0]! }];
  for (const idx of access.slice(1)) {
    const t = typeAt(btf, skipMods(btf, id));
    bitSize = 0;
    if (isComposite(t.kind)) {
      const m = t.members[idx] ?? fail(`member ${idx} of '${t.name}' does not exist`);
      bitOffset += m.offset;
      bitSize = m.bitSize;
      if (m.name !== '') steps.push({ member: m.name, memberType: m.type });
      id = m.type;
    } else if (t.kind === KIND.ARRAY) {
      bitOffset += idx * btfSizeOf(btf, t.elem!) * 8;
      steps.push({ index: idx });
      id = t.elem!;
    } else {
      fail(`access ${idx} into a ${t.kind} type`);
    }
  }
  return { rootId, steps, bitOffset, fieldType: id, bitSize };
}

function fail(msg: string): never {
  throw new InputError(msg);
}

/** libbpf's bpf_core_fields_are_compat: kinds agree (composites always), arrays by element. */
function fieldsCompat(lb: Btf, lid: number, tb: Btf, tid: number, depth = 0): boolean {
  if (depth > 32) return false;
  const l = typeAt(lb, skipMods(lb, lid)), t = typeAt(tb, skipMods(tb, tid));
  if (isComposite(l.kind) && isComposite(t.kind)) return true;
  if (!sameKind(l.kind, t.kind)) return false;
  switch (l.kind) {
    case KIND.PTR: case KIND.FLOAT: case KIND.INT: return true;
    case KIND.FWD: case KIND.ENUM: case KIND.ENUM64: return l.name === '' || t.name === '' || essentialName(l.name) === essentialName(t.name);
    case KIND.ARRAY: return fieldsCompat(lb, l.elem!, tb, t.elem!, depth + 1);
    default: return false;
  }
}

/** libbpf's bpf_core_types_are_compat: same shape up to names of composites. */
function typesCompat(lb: Btf, lid: number, tb: Btf, tid: number, depth = 0): boolean {
  if (depth > 32) return false;
  const l = typeAt(lb, skipMods(lb, lid)), t = typeAt(tb, skipMods(tb, tid));
  if (lid === 0 || tid === 0) return skipMods(lb, lid) === 0 && skipMods(tb, tid) === 0;
  if (!sameKind(l.kind, t.kind) && !(l.kind === KIND.FWD && isComposite(t.kind)) && !(t.kind === KIND.FWD && isComposite(l.kind))) return false;
  switch (l.kind) {
    case KIND.PTR: return typesCompat(lb, l.sizeOrType, tb, t.sizeOrType, depth + 1);
    case KIND.ARRAY: return typesCompat(lb, l.elem!, tb, t.elem!, depth + 1);
    case KIND.FUNC_PROTO:
      return l.members.length === t.members.length && typesCompat(lb, l.sizeOrType, tb, t.sizeOrType, depth + 1)
        && l.members.every((m, i) => typesCompat(lb, m.type, tb, t.members[i]!.type, depth + 1));
    default: return true;
  }
}

/** A member named `name` of composite `tid`, searching anonymous members too (bit offset summed). */
function findMember(tb: Btf, tid: number, name: string, depth = 0): { bitOffset: number; type: number; bitSize: number } | undefined {
  const t = typeAt(tb, skipMods(tb, tid));
  if (!isComposite(t.kind) || depth > 32) return undefined;
  for (const m of t.members) {
    if (m.name === name) return { bitOffset: m.offset, type: m.type, bitSize: m.bitSize };
    if (m.name === '') {
      const inner = findMember(tb, m.type, name, depth + 1);
      if (inner) return { ...inner, bitOffset: inner.bitOffset + m.offset };
    }
  }
  return undefined;
}

/** The local field spec replayed on a target candidate; undefined when it does not match. */
function matchField(lb: Btf, spec: FieldSpec, tb: Btf, candidate: number): FieldSpec | undefined {
  let id = candidate;
  let bitOffset = 0, bitSize = 0;
  for (const [i, step] of spec.steps.entries()) {
    bitSize = 0;
    if ('index' in step) {
      if (i === 0) { bitOffset += step.index * btfSizeOf(tb, id) * 8; continue; }
      const t = typeAt(tb, skipMods(tb, id));
      if (t.kind !== KIND.ARRAY) return undefined;
      const flexible = t.nelems === 0;
      if (!flexible && step.index >= t.nelems!) return undefined;
      bitOffset += step.index * btfSizeOf(tb, t.elem!) * 8;
      id = t.elem!;
    } else {
      const m = findMember(tb, id, step.member);
      if (!m || !fieldsCompat(lb, step.memberType, tb, m.type)) return undefined;
      bitOffset += m.bitOffset;
      bitSize = m.bitSize;
      id = m.type;
    }
  }
  return { rootId: candidate, steps: spec.steps, bitOffset, fieldType: id, bitSize };
}

/** libbpf's bpf_core_calc_field_relo on one side's spec. */
function fieldValue(btf: Btf, s: FieldSpec, kind: number): Value {
  // libbpf skips the compiled-value check for bitfields: clang may access them with another width.
  return { ...fieldValueOf(btf, s, kind), bitfield: s.bitSize !== 0 };
}

function fieldValueOf(btf: Btf, s: FieldSpec, kind: number): Value {
  const ft = typeAt(btf, skipMods(btf, s.fieldType));
  let byteSize = btfSizeOf(btf, s.fieldType);
  let byteOff: number, bitSize: number;
  if (s.bitSize === 0) {
    if (s.bitOffset % 8 !== 0) fail(`field at bit ${s.bitOffset} is not byte-aligned`);
    byteOff = s.bitOffset / 8;
    bitSize = byteSize * 8;
  } else {
    bitSize = s.bitSize;
    byteOff = Math.floor(s.bitOffset / 8 / byteSize) * byteSize;
    while (s.bitOffset + bitSize - byteOff * 8 > byteSize * 8) {
      if (byteSize >= 8) fail('bitfield straddles 8 bytes');
      byteSize *= 2;
      byteOff = Math.floor(s.bitOffset / 8 / byteSize) * byteSize;
    }
  }
  const scalar = ft.kind === KIND.INT || ft.kind === KIND.PTR || isEnum(ft.kind) || ft.kind === KIND.FLOAT;
  switch (kind) {
    case CORE_KIND.FIELD_BYTE_OFFSET: return { value: BigInt(byteOff), size: byteSize, fieldType: scalar ? 1 : 0 };
    case CORE_KIND.FIELD_BYTE_SIZE: return { value: BigInt(byteSize) };
    case CORE_KIND.FIELD_EXISTS: return { value: 1n };
    case CORE_KIND.FIELD_SIGNED: return { value: ft.signed ? 1n : 0n };
    case CORE_KIND.FIELD_LSHIFT_U64: return { value: BigInt(64 - (s.bitOffset + bitSize - byteOff * 8)) };
    case CORE_KIND.FIELD_RSHIFT_U64: return { value: BigInt(64 - bitSize) };
    default: return fail(`kind ${kind} is not a field relocation`);
  }
}

/** Local and target values of one relocation (target undefined: no candidate matched). */
function values(local: Btf, target: Btf, r: CoreRelo): { local: Value; target: Value | undefined } {
  const access = r.access.split(':').map((x) => (/^\d+$/.test(x) ? Number(x) : fail(`bad access string '${r.access}'`)));
  const root = typeAt(local, skipMods(local, r.typeId));
  const candidates = idsByEssentialName(target, root.name).filter((id) => sameKind(target.types[id]!.kind, root.kind));
  const pick = (results: (Value | undefined)[]): Value | undefined => {
    const hits = results.filter((x): x is Value => x !== undefined);
    if (hits.some((h) => h.value !== hits[0]!.value || h.size !== hits[0]!.size)) fail(`ambiguous: ${hits.length} target candidates disagree`);
    return hits[0];
  };
  if (r.kind <= CORE_KIND.FIELD_RSHIFT_U64) {
    const spec = parseFieldSpec(local, r.typeId, access);
    const lv = fieldValue(local, spec, r.kind);
    return { local: lv, target: pick(candidates.map((c) => { const m = matchField(local, spec, target, c); return m && fieldValue(target, m, r.kind); })) };
  }
  if (r.kind === CORE_KIND.ENUMVAL_EXISTS || r.kind === CORE_KIND.ENUMVAL_VALUE) {
    const e = root.enumerators?.[access[0]!] ?? fail(`enumerator ${access[0]} of '${root.name}' does not exist`);
    const lv = { value: r.kind === CORE_KIND.ENUMVAL_EXISTS ? 1n : e.value };
    return { local: lv, target: pick(candidates.map((c) => {
      const hit = target.types[c]!.enumerators?.find((x) => essentialName(x.name) === essentialName(e.name));
      return hit && { value: r.kind === CORE_KIND.ENUMVAL_EXISTS ? 1n : hit.value };
    })) };
  }
  const typeValue = (btf: Btf, id: number): Value => {
    switch (r.kind) {
      case CORE_KIND.TYPE_ID_LOCAL: return { value: BigInt(r.typeId) };
      case CORE_KIND.TYPE_ID_TARGET: return { value: BigInt(id) };
      case CORE_KIND.TYPE_EXISTS: case CORE_KIND.TYPE_MATCHES: return { value: 1n };
      case CORE_KIND.TYPE_SIZE: return { value: BigInt(btfSizeOf(btf, id)) };
      default: return fail(`unknown relocation kind ${r.kind}`);
    }
  };
  if (r.kind === CORE_KIND.TYPE_ID_LOCAL) return { local: typeValue(local, r.typeId), target: typeValue(local, r.typeId) };
  return { local: typeValue(local, r.typeId), target: pick(candidates.filter((c) => typesCompat(local, r.typeId, target, c)).map((c) => typeValue(target, c))) };
}

const EXISTENCE = new Set<number>([CORE_KIND.FIELD_EXISTS, CORE_KIND.TYPE_EXISTS, CORE_KIND.ENUMVAL_EXISTS, CORE_KIND.TYPE_MATCHES]);
const SIZE_CODE: Record<number, number> = { 1: Size.B, 2: Size.H, 4: Size.W, 8: Size.DW };

/**
 * Applies relocation `r` to the instruction at `insns[at]`. Returns 'poisoned' when no target
 * candidate matched and the instruction now calls the poison helper; throws (one line) when the
 * instruction does not hold the value the relocation says it should.
 */
export function applyCoreRelo(local: Btf, target: Btf, r: CoreRelo, insns: Insn[], at: number): 'patched' | 'poisoned' {
  const ins = insns[at] ?? fail(`instruction ${at} does not exist`);
  const { local: lv, target: tv } = values(local, target, r);
  const cls = ins.op & Mask.CLASS;
  if (tv === undefined && !EXISTENCE.has(r.kind)) {
    const second = ins.op === Opcode.LDDW ? insns[at + 1] : undefined;
    Object.assign(ins, { op: Opcode.CALL, dst: 0, src: 0, off: 0, imm: CORE_POISON_HELPER });
    if (second) Object.assign(second, { op: Cls.JMP | Jmp.JA, dst: 0, src: 0, off: 0, imm: 0 }); // ja +0 keeps slot count
    return 'poisoned';
  }
  const value = tv?.value ?? 0n;
  const check = !lv.bitfield;
  if (ins.op === Opcode.LDDW) {
    const second = insns[at + 1] ?? fail('64-bit load without its second half');
    const orig = (BigInt(second.imm >>> 0) << 32n) | BigInt(ins.imm >>> 0);
    if (check && orig !== BigInt.asUintN(64, lv.value)) fail(`instruction holds ${orig}, the relocation's local value is ${lv.value}`);
    ins.imm = Number(BigInt.asIntN(32, value & 0xffffffffn));
    second.imm = Number(BigInt.asIntN(32, BigInt.asUintN(64, value) >> 32n));
  } else if ((cls === Cls.ALU || cls === Cls.ALU64) && (ins.op & Mask.SRC) === Src.K) {
    if (check && BigInt(ins.imm >>> 0) !== BigInt.asUintN(32, lv.value)) fail(`ALU immediate is ${ins.imm}, the relocation's local value is ${lv.value}`);
    if (value > 0xffffffffn || value < -0x80000000n) fail(`value ${value} does not fit a 32-bit immediate`);
    ins.imm = Number(BigInt.asIntN(32, value));
  } else if (cls === Cls.LDX || cls === Cls.ST || cls === Cls.STX) {
    if (check && BigInt(ins.off) !== lv.value) fail(`memory offset is ${ins.off}, the relocation's local value is ${lv.value}`);
    if (value > 32767n || value < -32768n) fail(`offset ${value} does not fit 16 bits`);
    ins.off = Number(value);
    if (r.kind === CORE_KIND.FIELD_BYTE_OFFSET && tv && !lv.bitfield && lv.size !== tv.size) {
      // The field changed size: a scalar load follows it (libbpf does the same), anything else cannot.
      if (!tv.fieldType || SIZE_CODE[tv.size!] === undefined || (ins.op & Mask.MODE) !== Mode.MEM) fail(`field is ${tv.size} bytes in the target, ${lv.size} locally, and the access cannot be resized`);
      ins.op = (ins.op & ~Mask.SIZE) | SIZE_CODE[tv.size!]!;
    }
  } else {
    fail(`cannot relocate opcode 0x${ins.op.toString(16)}`);
  }
  return 'patched';
}
