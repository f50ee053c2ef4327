/**
 * Loading a program from disk, whatever its form: raw bytecode (`.insns`, `.bin`) with K2's `.maps`
 * and `.desc` beside it, LLVM-syntax text assembly (`.s`, `.asm`), or a clang ELF object (`.o`).
 * A program may be named by its path prefix (`programs/xdp_fw` finds `xdp_fw.insns/.maps/.desc`).
 * The program type comes from the ELF section, else a `suite.json` in the folder or its parent,
 * else `progType` (which, when given, wins over the others).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { assemble } from './asm.js';
import { loadElfProgram } from './elf.js';
import { InputError, inFile } from './errors.js';
import { decodeProgram, validateProgram } from './insn.js';
import { parseDescFile, parseMapsFile } from './k2-files.js';
import { parseProgType, type Program, type ProgType } from './program.js';

export interface LoadOptions {
  /** `--prog-type`: kernel program type name; wins over every other source. */
  progType?: string;
  /** ELF section (program) to load when an object holds several. */
  section?: string;
  /** Skip load-time validation (for tools that want to show broken programs). */
  noValidate?: boolean;
  /** `--btf FILE`: target BTF for CO-RE relocations and kfuncs (default: the running kernel's). */
  btf?: string;
  /** `--map-size NAME=N`: max_entries overrides for an object's maps. */
  mapSizes?: ReadonlyMap<string, number>;
}

const RAW_EXTS = ['.insns', '.bin'];
const ASM_EXTS = ['.s', '.asm'];

export function readInputFile(path: string, what = 'file'): Buffer {
  if (!existsSync(path)) throw new InputError(`${path}: no such ${what}`);
  if (statSync(path).isDirectory()) throw new InputError(`${path}: is a directory, expected a ${what}`);
  try {
    return readFileSync(path);
  } catch (e) {
    // Unreadable (EACCES, EIO, …) is bad input too, not a bug: one line, no stack.
    throw new InputError(`${path}: cannot read ${what} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** The file a program name refers to: the path itself, or the path with a known extension added. */
export function resolveProgramPath(path: string): string {
  if (existsSync(path) && !statSync(path).isDirectory()) return path;
  for (const ext of [...RAW_EXTS, '.o', ...ASM_EXTS]) {
    if (existsSync(path + ext)) return path + ext;
  }
  throw new InputError(`${path}: no such program (tried ${path} and ${[...RAW_EXTS, '.o', ...ASM_EXTS].map((e) => basename(path) + e).join(', ')})`);
}

export function loadProgram(path: string, opts: LoadOptions = {}): Program {
  const explicitType = opts.progType === undefined ? undefined : parseProgTypeFlag(opts.progType);
  const file = resolveProgramPath(path);
  const bytes = readInputFile(file);
  let prog: Program;
  if (bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46) {
    prog = inFile(file, () => loadElfProgram(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), file, opts.section, { ...(opts.btf !== undefined ? { btf: opts.btf } : {}), ...(opts.mapSizes ? { mapSizes: opts.mapSizes } : {}) }));
  } else if (extname(file) === '.o') {
    throw new InputError(`${file}: not an ELF object (bad magic)`);
  } else if (ASM_EXTS.includes(extname(file))) {
    const insns = inFile(file, () => assemble(bytes.toString('utf8')));
    prog = { name: stem(file), source: file, insns, maps: [] };
    attachSideFiles(prog, file);
  } else {
    const insns = inFile(file, () => decodeProgram(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length)));
    prog = { name: stem(file), source: file, insns, maps: [] };
    attachSideFiles(prog, file);
  }
  if (explicitType) prog.progType = explicitType;
  else if (!prog.progType) prog.progType = progTypeFromSuite(file);
  if (!opts.noValidate) inFile(file, () => validateProgram(prog.insns));
  return prog;
}

export function parseProgTypeFlag(name: string): ProgType {
  const t = parseProgType(name);
  if (!t) throw new InputError(`--prog-type: unknown program type '${name}' (try xdp, socket_filter, sched_cls, tracepoint, kprobe, cgroup_skb, …)`);
  return t;
}

function stem(file: string): string {
  const b = basename(file);
  const e = extname(b);
  return e ? b.slice(0, -e.length) : b;
}

/** K2's `.maps` and `.desc` next to the bytecode (same stem). */
function attachSideFiles(prog: Program, file: string): void {
  const base = join(dirname(file), stem(file));
  if (existsSync(`${base}.maps`)) {
    prog.maps = inFile(`${base}.maps`, () => parseMapsFile(readInputFile(`${base}.maps`).toString('utf8')));
  }
  if (existsSync(`${base}.desc`)) {
    const d = inFile(`${base}.desc`, () => parseDescFile(readInputFile(`${base}.desc`).toString('utf8')));
    prog.k2InputType = d.pgmInputType;
    prog.maxPktSize = d.maxPktSize;
  }
}

interface SuiteEntry { insns?: unknown; name?: unknown; kernel_prog_type?: unknown }

/** `kernel_prog_type` from a suite.json in the program's folder or its parent that lists this file. */
function progTypeFromSuite(file: string): ProgType | undefined {
  const abs = resolve(file);
  for (const dir of [dirname(abs), dirname(dirname(abs))]) {
    const manifest = join(dir, 'suite.json');
    if (!existsSync(manifest)) continue;
    let data: { benchmarks?: SuiteEntry[] };
    try {
      data = JSON.parse(readFileSync(manifest, 'utf8')) as { benchmarks?: SuiteEntry[] };
    } catch {
      continue; // A broken manifest elsewhere must not stop loading a program.
    }
    const rel = relative(dir, abs);
    const hit = data.benchmarks?.find((b) => typeof b.insns === 'string' && (b.insns === rel || resolve(dir, b.insns) === abs));
    if (hit && typeof hit.kernel_prog_type === 'string') return parseProgType(hit.kernel_prog_type);
  }
  return undefined;
}
