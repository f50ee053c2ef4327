/**
 * Rules as JSON lines (one rule per line), so databases from many machines combine: export writes
 * every field; import checks each line's shape and that its id is the hash of its content.
 */
import { InputError } from '../ebpf/errors.js';
import type { Insn } from '../ebpf/insn.js';
import { generalFieldsProblem } from './general.js';
import { ruleId, shapeOf, type Rule } from './rule.js';

export function ruleToLine(r: Rule): string {
  return JSON.stringify(r);
}

const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x);

function insnsOf(x: unknown, what: string): Insn[] {
  if (!Array.isArray(x) || x.length === 0 || x.length > 64) throw new Error(`${what}: expected 1 to 64 instructions`);
  return x.map((i: unknown, k) => {
    const o = i as Record<string, unknown>;
    if (typeof o !== 'object' || o === null || !['op', 'dst', 'src', 'off', 'imm'].every((f) => isInt(o[f]))) throw new Error(`${what}[${k}]: expected {op, dst, src, off, imm} integers`);
    return { op: o['op'] as number, dst: o['dst'] as number, src: o['src'] as number, off: o['off'] as number, imm: o['imm'] as number };
  });
}

/** One line of an export; throws an InputError naming `where` on anything malformed. */
export function ruleOfLine(line: string, where: string): Rule {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
    if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new Error('expected a JSON object');
  } catch (e) {
    throw new InputError(`${where}: not a rule (${(e as Error).message})`);
  }
  try {
    const generality = o['generality'];
    if (generality !== 'registers' && generality !== 'concrete') throw new Error(`generality: expected registers or concrete`);
    const pattern = insnsOf(o['pattern'], 'pattern');
    const replacement = insnsOf(o['replacement'], 'replacement');
    if (pattern.length !== replacement.length) throw new Error('pattern and replacement differ in length');
    const pre = o['pre'] as Rule['pre'];
    if (typeof pre !== 'object' || pre === null || !Array.isArray(pre.entry) || !isInt(pre.liveOut) || !pre.entry.every((k) => typeof k === 'string' && /^(any|scalar|const:0x[0-9a-f]+)$/.test(k))) throw new Error('pre: expected {entry: [kinds], liveOut}');
    const w = o['witness'] as Rule['witness'];
    if (typeof w !== 'object' || w === null || typeof w.start !== 'string' || !/^([0-9a-f]{16})+$/.test(w.start) || !isInt(w.s) || !isInt(w.e) || !Array.isArray(w.maps) || typeof w.name !== 'string') throw new Error('witness: expected {name, start (hex), s, e, maps}');
    if (w.e - w.s + 1 !== pattern.length || w.s < 0 || w.e >= w.start.length / 16) throw new Error('witness: window does not fit the pattern');
    const p = o['provenance'] as Rule['provenance'];
    if (typeof p !== 'object' || p === null || typeof p.programDigest !== 'string' || typeof p.programName !== 'string' || typeof p.learnedAt !== 'string') throw new Error('provenance: expected {programDigest, programName, learnedAt}');
    for (const f of ['saved', 'msToFind', 'fires'] as const) if (typeof o[f] !== 'number') throw new Error(`${f}: expected a number`);
    const general = {
      ...(o['imms'] !== undefined ? { imms: o['imms'] as Rule['imms'] } : {}),
      ...(o['stackShift'] !== undefined ? { stackShift: o['stackShift'] as Rule['stackShift'] } : {}),
    };
    const problem = generalFieldsProblem({ generality, pattern, replacement, ...general });
    if (problem) throw new Error(problem);
    const rule: Rule = {
      id: String(o['id']), shape: shapeOf(pattern), generality, pattern, replacement, pre, ...general, witness: w,
      saved: o['saved'] as number, msToFind: o['msToFind'] as number, fires: o['fires'] as number, provenance: p,
    };
    const id = ruleId(rule);
    if (rule.id !== id) throw new Error(`id ${rule.id} is not the hash of the rule's content (${id})`);
    return rule;
  } catch (e) {
    throw new InputError(`${where}: bad rule: ${(e as Error).message}`);
  }
}

export function rulesOfText(text: string, file: string): Rule[] {
  const out: Rule[] = [];
  text.split('\n').forEach((line, i) => { if (line.trim() !== '') out.push(ruleOfLine(line, `${file}:${i + 1}`)); });
  return out;
}
