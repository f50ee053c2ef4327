/**
 * `.BTF.ext` (the kernel's btf_ext_header and libbpf's layout): func_info, line_info and CO-RE
 * relocation records, grouped per code section (named through the .BTF string table), each record
 * starting with the byte offset of its instruction in that section. Read for the slots a record
 * pins, and rewritten with every offset moved to its new slot after compaction.
 */
import { InputError } from './errors.js';
import { INSN_SIZE } from './insn.js';

const MAGIC = 0xeb9f;
/** The three record kinds, in the header's order. */
const KINDS = ['func', 'line', 'core'] as const;
export type ExtKind = (typeof KINDS)[number];

interface Block { secName: string; secOff: number; records: Uint8Array[] }
interface Part { kind: ExtKind; recSize: number; blocks: Block[] }
export interface BtfExt { header: Uint8Array; parts: Part[] }

function fail(msg: string): never {
  throw new InputError(`.BTF.ext: ${msg}`);
}

/** The strings of a .BTF section (its header says where they are). */
export function btfStrings(btf: Uint8Array): (off: number) => string {
  const v = new DataView(btf.buffer, btf.byteOffset, btf.length);
  if (btf.length < 24 || v.getUint16(0, true) !== MAGIC) fail('the .BTF section has no valid header');
  const start = v.getUint32(4, true) + v.getUint32(16, true), len = v.getUint32(20, true);
  if (start + len > btf.length) fail('the .BTF string table is out of bounds');
  return (off) => {
    let e = start + off;
    while (e < start + len && btf[e] !== 0) e++;
    return new TextDecoder().decode(btf.subarray(start + off, e));
  };
}

export function parseBtfExt(ext: Uint8Array, str: (off: number) => string): BtfExt {
  const v = new DataView(ext.buffer, ext.byteOffset, ext.length);
  if (ext.length < 24 || v.getUint16(0, true) !== MAGIC) fail('bad header');
  const hdrLen = v.getUint32(4, true);
  if (hdrLen < 24 || hdrLen > ext.length) fail(`header length ${hdrLen} out of bounds`);
  const parts: Part[] = [];
  KINDS.forEach((kind, k) => {
    if (8 + 8 * k + 8 > hdrLen) return;
    const off = hdrLen + v.getUint32(8 + 8 * k, true), len = v.getUint32(12 + 8 * k, true);
    if (len === 0) return;
    if (off + len > ext.length) fail(`${kind} records out of bounds`);
    const recSize = v.getUint32(off, true);
    if (recSize < 4) fail(`${kind} record size ${recSize}`);
    const blocks: Block[] = [];
    for (let p = off + 4; p < off + len;) {
      const secOff = v.getUint32(p, true), secName = str(secOff), n = v.getUint32(p + 4, true);
      p += 8;
      if (p + n * recSize > off + len) fail(`${kind} records of '${secName}' out of bounds`);
      blocks.push({ secName, secOff, records: Array.from({ length: n }, (_, i) => ext.slice(p + i * recSize, p + (i + 1) * recSize)) });
      p += n * recSize;
    }
    parts.push({ kind, recSize, blocks });
  });
  return { header: ext.slice(0, hdrLen), parts };
}

const insnOff = (r: Uint8Array): number => new DataView(r.buffer, r.byteOffset, 4).getUint32(0, true);

/** Slots of section `secName` that records of `kind` point at. */
export function pinnedSlots(ext: BtfExt, secName: string, kind: ExtKind): number[] {
  return ext.parts.filter((p) => p.kind === kind).flatMap((p) => p.blocks.filter((b) => b.secName === secName).flatMap((b) => b.records.map((r) => insnOff(r) / INSN_SIZE)));
}

/**
 * Moves the records of section `secName` to their new slots. Line records of deleted slots land on
 * the next kept slot; where several meet, the last one (the kept slot's own) stays, since the
 * kernel wants strictly increasing offsets; records past the new end are dropped.
 */
export function remapBtfExt(ext: BtfExt, secName: string, newSlot: Int32Array): void {
  const end = newSlot[newSlot.length - 1]!;
  for (const part of ext.parts) {
    for (const b of part.blocks) {
      if (b.secName !== secName) continue;
      const moved: { slot: number; rec: Uint8Array }[] = [];
      for (const r of b.records) {
        const slot = newSlot[insnOff(r) / INSN_SIZE];
        if (slot === undefined || slot >= end) continue;
        const rec = r.slice();
        new DataView(rec.buffer).setUint32(0, slot * INSN_SIZE, true);
        // CO-RE records may share a slot; func and line records keep the last one per slot.
        if (part.kind !== 'core' && moved.length > 0 && moved[moved.length - 1]!.slot === slot) moved.pop();
        moved.push({ slot, rec });
      }
      b.records = moved.sort((x, y) => x.slot - y.slot).map((m) => m.rec);
    }
  }
}

/** The section's bytes again, with the header's offsets and lengths recomputed. */
export function encodeBtfExt(ext: BtfExt): Uint8Array {
  const header = ext.header.slice();
  const hv = new DataView(header.buffer);
  const chunks: Uint8Array[] = [];
  let pos = 0;
  KINDS.forEach((kind, k) => {
    if (8 + 8 * k + 8 > header.length) return;
    const part = ext.parts.find((p) => p.kind === kind);
    if (!part) { hv.setUint32(8 + 8 * k, pos, true); hv.setUint32(12 + 8 * k, 0, true); return; }
    const size = 4 + part.blocks.reduce((s, b) => s + 8 + b.records.length * part.recSize, 0);
    const out = new Uint8Array(size);
    const v = new DataView(out.buffer);
    v.setUint32(0, part.recSize, true);
    let p = 4;
    for (const b of part.blocks) {
      v.setUint32(p, b.secOff, true);
      v.setUint32(p + 4, b.records.length, true);
      p += 8;
      for (const r of b.records) { out.set(r, p); p += part.recSize; }
    }
    hv.setUint32(8 + 8 * k, pos, true);
    hv.setUint32(12 + 8 * k, size, true);
    chunks.push(out);
    pos += size;
  });
  const all = new Uint8Array(header.length + pos);
  all.set(header, 0);
  let at = header.length;
  for (const c of chunks) { all.set(c, at); at += c.length; }
  return all;
}
