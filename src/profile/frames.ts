/**
 * What a profile frame is: its function's name, its source file:line (through the source maps, so
 * dist/src/x.js becomes src/x.ts), the module it lives in, and the category that module belongs to.
 * Categories come from module paths (the rules below), never from lists of function names.
 */
import { isAbsolute, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot } from '../common/paths.js';
import type { CallFrame } from './cpuprofile.js';
import { SourceMapCache } from './sourcemap.js';

export const CATEGORIES = ['z3', 'gc', 'interpreter', 'safety', 'proposals', 'cost', 'other'] as const;
export type Category = (typeof CATEGORIES)[number];

export const CATEGORY_LABEL: Record<Category, string> = {
  z3: 'Z3 (WebAssembly, z3-solver, src/verify)',
  gc: 'garbage collection',
  interpreter: 'interpreter (src/interp, variants/dispatch)',
  safety: 'safety checker (src/safety, variants/safety-state)',
  proposals: 'proposals (src/search/proposals*, sampling; src/ebpf/k2-isa, src/common/rng)',
  cost: 'cost (src/search/cost, output-error, equivalence, window-evaluation)',
  other: 'other',
};

/**
 * Module path → category, first match wins; paths are repo-relative with '/' (or URLs). `inherit`:
 * cross-cutting modules (the errors and allocation axes) whose time belongs to whoever calls them,
 * like V8 built-ins, which have no module at all.
 */
const RULES: readonly (readonly [RegExp, Category | 'inherit'])[] = [
  [/^wasm:\/\//, 'z3'], // WebAssembly frames: z3-solver is the only WebAssembly the optimizer loads
  [/(^|\/)node_modules\/z3-solver\//, 'z3'],
  [/(^|\/)src\/verify\//, 'z3'],
  [/(^|\/)src\/interp\//, 'interpreter'],
  [/(^|\/)variants\/dispatch\//, 'interpreter'],
  [/(^|\/)src\/safety\//, 'safety'],
  [/(^|\/)variants\/safety-state\//, 'safety'],
  [/(^|\/)src\/search\/(proposals[^/]*|sampling)\.[cm]?[jt]s$/, 'proposals'],
  [/(^|\/)src\/(ebpf\/k2-isa|common\/rng)\.[cm]?[jt]s$/, 'proposals'],
  [/(^|\/)src\/search\/(cost|output-error|equivalence|window-evaluation)\.[cm]?[jt]s$/, 'cost'],
  [/(^|\/)variants\/(errors|allocation)\//, 'inherit'],
  [/(^|\/)src\/(search\/variants|ebpf\/violations)\.[cm]?[jt]s$/, 'inherit'],
  // Blocking file and pipe I/O (the native z3's answers are read with readSync) is its caller's time.
  [/^node:(internal\/)?fs(\/|$)/, 'inherit'],
];

export function categoryOfModule(module: string): Category | 'inherit' {
  for (const [re, cat] of RULES) if (re.test(module)) return cat;
  return 'other';
}

/** V8's pseudo-frames: not functions, but where the process was when no JavaScript ran. */
export type Special = '(root)' | '(program)' | '(idle)' | '(garbage collector)';
const SPECIALS = new Set<string>(['(root)', '(program)', '(idle)', '(garbage collector)']);

export interface FunctionInfo {
  /** Identity across profiles: name + location (not the absolute URL, so two checkouts compare). */
  key: string;
  name: string;
  /** `src/interp/interpreter.ts:120`, `node:internal/…:12`, `(native)`, `z3-built.wasm`, … */
  location: string;
  /** Repo-relative source path (or URL) of the module, '' for built-ins and pseudo-frames. */
  module: string;
  /** 1-based line in `module`, 0 when unknown. */
  line: number;
  special: Special | undefined;
  /** Own category; `inherit` for built-ins and cross-cutting modules. */
  category: Category | 'inherit';
  /** The script URL, to map per-line ticks later. */
  url: string;
}

/** Resolves call frames to FunctionInfo through the source maps, with a cache per frame. */
export class FrameResolver {
  private readonly maps = new SourceMapCache();
  private readonly cache = new Map<string, FunctionInfo>();

  constructor(private readonly root: string = repoRoot) {}

  resolve(f: CallFrame): FunctionInfo {
    const ck = `${f.functionName}\u0000${f.url}\u0000${f.lineNumber}\u0000${f.columnNumber}`;
    let info = this.cache.get(ck);
    if (!info) {
      info = this.compute(f);
      this.cache.set(ck, info);
    }
    return info;
  }

  /** Maps a 1-based line of the compiled script to `module:line` of the source (per-line ticks). */
  sourceLine(url: string, line1: number): number | undefined {
    const p = this.maps.forUrl(url)?.lookup(line1 - 1, 0);
    return p ? p.line + 1 : undefined;
  }

  private compute(f: CallFrame): FunctionInfo {
    const name = f.functionName || '(anonymous)';
    if (f.url === '' && SPECIALS.has(f.functionName)) {
      const special = f.functionName as Special;
      return { key: special, name: special, location: '(V8)', module: '', line: 0, special, category: special === '(garbage collector)' ? 'gc' : 'other', url: '' };
    }
    if (f.url === '') {
      return { key: `${name} (native)`, name, location: '(native)', module: '', line: 0, special: undefined, category: 'inherit', url: '' };
    }
    let module = this.displayPath(f.url);
    let line = f.lineNumber + 1;
    const mapped = f.lineNumber >= 0 ? this.maps.forUrl(f.url)?.lookup(f.lineNumber, Math.max(0, f.columnNumber)) : undefined;
    if (mapped) {
      module = this.displayPath(mapped.source);
      line = mapped.line + 1;
    }
    let location = `${module}:${line}`;
    if (f.url.startsWith('wasm://')) {
      // wasm://wasm/z3-built.wasm-085478b6: the module name without the hash; offsets mean nothing to a reader.
      module = f.url;
      location = f.url.replace(/^wasm:\/\/wasm\//, '').replace(/-[0-9a-f]{8}$/, '');
      line = 0;
    }
    return { key: `${name} ${location}`, name, location, module, line, special: undefined, category: categoryOfModule(module), url: f.url };
  }

  /** Repo-relative for our files, from node_modules/ on for packages, else the URL as given. */
  displayPath(urlOrPath: string): string {
    let p = urlOrPath;
    if (p.startsWith('file://')) {
      try {
        p = fileURLToPath(p);
      } catch {
        return urlOrPath;
      }
    }
    if (!isAbsolute(p)) return p;
    const nm = p.lastIndexOf(`${sep}node_modules${sep}`);
    if (nm >= 0) return p.slice(nm + 1).split(sep).join('/');
    const rel = relative(this.root, p);
    if (!rel.startsWith('..') && !isAbsolute(rel)) return rel.split(sep).join('/');
    return p;
  }
}

/** The group a module's time is listed under in the breakdown of `other`. */
export function moduleGroup(info: FunctionInfo): string {
  if (info.special === '(program)') return '(program): V8 and native code outside JavaScript';
  if (info.special) return info.special;
  if (info.module === '') return '(native built-ins)';
  if (info.module.startsWith('node:')) return 'Node.js internals (node:*)';
  const nm = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(info.module);
  if (nm) return `node_modules/${nm[1]}`;
  return info.module;
}
