/**
 * Reader for bpf_conformance / ubpf `.data` test vectors (see /work/shared/conformance/README.md §3):
 * ubpf's section rules (a header line starts with `--`, names are unique) with bpf_conformance's
 * section kinds plus the ubpf-only ones, `#` comments anywhere, `@ FILE` includes, raw wins over asm.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { InputError, inFile } from '../ebpf/errors.js';
import { decodeProgram, type Insn } from '../ebpf/insn.js';
import { assembleConformance } from './asm.js';

export interface ConformanceCase {
  /** Path of the `.data` file, as given. */
  file: string;
  /** Section names in file order, without `@ FILE` (e.g. `asm`, `mem`, `error pattern`). */
  sections: string[];
  /** The program to run: the `raw` section when present, else the assembled `asm`. */
  insns?: Insn[];
  /** True when `insns` came from `-- raw`. */
  raw?: boolean;
  /** The `asm` text (after resolving `-- asm @ FILE`) and, when it assembles, its instructions. */
  asm?: string;
  asmInsns?: Insn[];
  /** Why `asm` did not assemble (the case is still returned so a runner can report it). */
  assembleError?: string;
  /** Initial input memory (`-- mem` or `-- mem @ FILE`). */
  mem?: Uint8Array;
  /** Expected final r0, unsigned 64-bit. */
  result?: bigint;
  /** The program must be rejected or abort; the text is uBPF's message ('' when the section is empty). */
  error?: string;
  /** Like `error`, but a regex over uBPF's stderr. */
  errorPattern?: string;
  description?: string;
  /** ubpf `-- no jit`: why the JIT skips the test. */
  noJit?: string;
  /** ubpf driver flags (`-- reload`, `-- unload`); they test uBPF's API, not the ISA. */
  reload?: boolean;
  unload?: boolean;
}

/** bpf_conformance's section kinds plus the ubpf-only ones; anything else is an error. */
const KINDS = new Set(['asm', 'raw', 'mem', 'result', 'error', 'error pattern', 'c', 'no register offset', 'description', 'no jit', 'reload', 'unload']);
/** Sections that may name their content with `@ FILE`. */
const INCLUDABLE = new Set(['asm', 'mem']);

interface Section {
  name: string;
  /** 1-based file line of the header. */
  line: number;
  include?: string;
  /** Comment-stripped body lines (with their line numbers). */
  body: { no: number; text: string }[];
}

/** Read one `.data` file; InputErrors name the file and the line. */
export function loadConformanceCase(path: string): ConformanceCase {
  return inFile(path, () => parseConformanceText(readText(path), dirname(path), path));
}

/**
 * Parse the text of a `.data` file. `baseDir` resolves `@ FILE` includes; `file` is only recorded.
 * Exported for inline tests; errors are not prefixed with the file name here.
 */
export function parseConformanceText(text: string, baseDir: string, file = '<text>'): ConformanceCase {
  const sections = splitSections(text);
  const get = (n: string): Section | undefined => sections.find((s) => s.name === n);
  const c: ConformanceCase = { file, sections: sections.map((s) => s.name) };

  const asm = get('asm');
  if (asm) {
    let source: string;
    let lineOffset = 0;
    if (asm.include) {
      c.asm = source = readText(includePath(baseDir, asm));
    } else {
      c.asm = asm.body.map((b) => b.text).join('\n');
      // Blank lines stand in for dropped comment lines so assembler errors give file line numbers.
      const padded: string[] = [];
      for (const b of asm.body) {
        while (asm.line + padded.length + 1 < b.no) padded.push('');
        padded.push(b.text);
      }
      source = padded.join('\n');
      lineOffset = asm.line;
    }
    try {
      c.asmInsns = assembleConformance(source, { lineOffset });
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      c.assembleError = asm.include ? `${asm.include}: ${e.message}` : e.message;
    }
  }
  const raw = get('raw');
  if (raw) {
    c.insns = parseRaw(raw);
    c.raw = true;
  } else if (c.asmInsns) {
    c.insns = c.asmInsns;
    c.raw = false;
  }

  const mem = get('mem');
  if (mem) c.mem = mem.include ? parseHexdump(readText(includePath(baseDir, mem))) : parseMemBytes(mem);
  const result = get('result');
  if (result) c.result = parseResult(result);
  const error = get('error');
  if (error) c.error = lastLine(error);
  const pattern = get('error pattern');
  if (pattern) {
    c.errorPattern = lastLine(pattern);
    try {
      new RegExp(c.errorPattern);
    } catch {
      throw new InputError(`line ${pattern.line}: error pattern is not a valid regular expression`);
    }
  }
  const desc = get('description');
  if (desc) c.description = desc.body.map((b) => b.text).join('\n');
  const noJit = get('no jit');
  if (noJit) c.noJit = noJit.body.map((b) => b.text).join('\n');
  if (get('reload')) c.reload = true;
  if (get('unload')) c.unload = true;
  if (!asm && !raw) throw new InputError('no program (neither -- asm nor -- raw)');
  return c;
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'latin1');
  } catch (e) {
    throw new InputError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

function includePath(baseDir: string, s: Section): string {
  return resolve(baseDir, s.include!);
}

function splitSections(text: string): Section[] {
  const out: Section[] = [];
  let cur: Section | undefined;
  text.split('\n').forEach((rawLine, i) => {
    const no = i + 1;
    const hash = rawLine.indexOf('#');
    // `#` comments run to the end of the line, even mid-line; trailing `\r` and blanks go too.
    const line = (hash >= 0 ? rawLine.slice(0, hash) : rawLine).trim();
    if (line.startsWith('--')) {
      const header = line.slice(2).trim();
      const at = /^(\S+)\s*@\s*(\S+)$/.exec(header);
      const name = at ? at[1]! : header;
      if (!KINDS.has(name)) throw new InputError(`line ${no}: unknown section '-- ${header}'`);
      if (at && !INCLUDABLE.has(name)) throw new InputError(`line ${no}: section '${name}' cannot be included with @`);
      if (out.some((s) => s.name === name)) throw new InputError(`line ${no}: section '${name}' appears twice`);
      cur = { name, line: no, body: [], ...(at ? { include: at[2]! } : {}) };
      out.push(cur);
      return;
    }
    if (line === '') return;
    if (!cur) throw new InputError(`line ${no}: text before the first '--' section header`);
    // The C source is documentation: keep nothing, since its `#include` lines etc. mean nothing here.
    if (cur.name === 'c') return;
    if (cur.include) throw new InputError(`line ${no}: section '${cur.name}' is included from ${cur.include} and must be empty`);
    cur.body.push({ no, text: line });
  });
  return out;
}

/** Unsigned 64-bit value: hex when it contains `0x`, else decimal (negative decimal wraps). */
function parseU64(tok: string, no: number, what: string): bigint {
  const m = /^(?:(0x[0-9a-f]+)|(-?\d+))$/i.exec(tok);
  if (!m) throw new InputError(`line ${no}: bad ${what} '${tok}'`);
  const v = BigInt(m[1] ?? m[2]!);
  if (v < -(2n ** 63n) || v >= 2n ** 64n) throw new InputError(`line ${no}: ${what} '${tok}' does not fit 64 bits`);
  return BigInt.asUintN(64, v);
}

/** One 64-bit integer per instruction whose little-endian image is the 8-byte instruction. */
function parseRaw(s: Section): Insn[] {
  const words: bigint[] = [];
  for (const b of s.body) for (const tok of b.text.split(/\s+/)) words.push(parseU64(tok, b.no, 'raw instruction'));
  if (words.length === 0) throw new InputError(`line ${s.line}: empty -- raw section`);
  const bytes = new Uint8Array(words.length * 8);
  const view = new DataView(bytes.buffer);
  words.forEach((w, i) => view.setBigUint64(i * 8, w, true));
  return decodeProgram(bytes);
}

/** `-- mem`: whitespace-separated two-digit hex bytes over any number of lines. */
function parseMemBytes(s: Section): Uint8Array {
  const out: number[] = [];
  for (const b of s.body) {
    for (const tok of b.text.split(/\s+/)) {
      if (!/^[0-9a-f]{2}$/i.test(tok)) throw new InputError(`line ${b.no}: bad memory byte '${tok}' (want two hex digits)`);
      out.push(parseInt(tok, 16));
    }
  }
  return Uint8Array.from(out);
}

/** ubpf hexdump (`0x0010:  0040 a8de …`): drop up to the last `:`, then each hex pair is a byte. */
export function parseHexdump(text: string): Uint8Array {
  const out: number[] = [];
  text.split('\n').forEach((rawLine, i) => {
    const line = rawLine.slice(rawLine.lastIndexOf(':') + 1).trim();
    if (line === '') return;
    for (const tok of line.split(/\s+/)) {
      if (!/^([0-9a-f]{2})+$/i.test(tok)) throw new InputError(`hexdump line ${i + 1}: bad hex group '${tok}'`);
      for (let k = 0; k < tok.length; k += 2) out.push(parseInt(tok.slice(k, k + 2), 16));
    }
  });
  return Uint8Array.from(out);
}

/** Upstream takes the last non-empty line of `result` / `error` sections. */
function lastLine(s: Section): string {
  return s.body[s.body.length - 1]?.text ?? '';
}

function parseResult(s: Section): bigint {
  const last = s.body[s.body.length - 1];
  if (!last) throw new InputError(`line ${s.line}: empty -- result section`);
  return parseU64(last.text, last.no, 'result');
}

/** Every `.data` file under the given folders (recursive), sorted by path. */
export function findConformanceFiles(dirs: string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && e.name.endsWith('.data')) out.push(p);
    }
  };
  for (const d of dirs) {
    let st: ReturnType<typeof statSync> | undefined;
    try {
      st = statSync(d);
    } catch {
      /* reported below */
    }
    if (st?.isFile() && d.endsWith('.data')) out.push(d);
    else if (st?.isDirectory()) walk(d);
    else throw new InputError(st ? `${d}: not a folder or a .data file` : `${d}: no such directory`);
  }
  return out.sort();
}
