/**
 * Maps positions in the compiled JavaScript (dist/…/*.js) back to the TypeScript source through the
 * `.js.map` files tsc writes beside them, decoded by Node's built-in module.SourceMap. Positions in
 * and out are 0-based lines and columns.
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap as NodeSourceMap, type SourceMapPayload } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface OriginalPosition {
  /** Absolute path (or the map's source string when it is not a file path). */
  source: string;
  line: number;
  column: number;
}

type Entry = { generatedLine: number; generatedColumn: number; originalSource?: string; originalLine?: number; originalColumn?: number };

/** A tsc source map: Node's own decoder (module.SourceMap), with sources resolved to absolute paths. */
export class SourceMap {
  readonly sources: string[];
  private readonly map: NodeSourceMap;
  private readonly resolveSource: (s: string) => string;

  constructor(json: { sources?: unknown; sourceRoot?: unknown; mappings?: unknown }, mapDir: string) {
    if (!Array.isArray(json.sources) || typeof json.mappings !== 'string') throw new Error('not a source map (no sources/mappings)');
    const root = typeof json.sourceRoot === 'string' ? json.sourceRoot : '';
    this.resolveSource = (s) => {
      const p = root + s;
      if (p.startsWith('file://')) return fileURLToPath(p);
      return isAbsolute(p) ? p : resolve(mapDir, p);
    };
    this.sources = json.sources.map((s) => this.resolveSource(String(s)));
    this.map = new NodeSourceMap({ version: 3, names: [], file: '', sourceRoot: '', sourcesContent: [], ...json, sources: json.sources.map(String), mappings: json.mappings } as SourceMapPayload);
  }

  /**
   * The source position of the last segment at or before (line, column) on that line; when the
   * line's first segment lies after the column (indentation, a function's first token), that first
   * segment. (Node's findEntry alone would answer with a segment of an earlier line.)
   */
  lookup(line: number, column: number): OriginalPosition | undefined {
    let e = this.entry(line, column);
    if (e?.generatedLine !== line) e = this.firstOnLine(line);
    if (!e || e.originalSource === undefined) return undefined;
    return { source: this.resolveSource(e.originalSource), line: e.originalLine!, column: e.originalColumn! };
  }

  private entry(line: number, column: number): Entry | undefined {
    const e = this.map.findEntry(line, column) as Partial<Entry>;
    return e.generatedLine === undefined ? undefined : (e as Entry);
  }

  /** The line's first segment: the smallest column whose entry lies on the line (binary search). */
  private firstOnLine(line: number): Entry | undefined {
    const last = this.entry(line, 0x7fff_ffff);
    if (last?.generatedLine !== line) return undefined;
    let lo = 0, hi = last.generatedColumn;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.entry(line, mid)?.generatedLine === line) hi = mid; else lo = mid + 1;
    }
    return this.entry(line, lo);
  }
}

/** Finds and caches the source map of each script URL in a profile (file:// URLs only). */
export class SourceMapCache {
  private readonly maps = new Map<string, SourceMap | null>();

  forUrl(url: string): SourceMap | undefined {
    if (!url.startsWith('file://')) return undefined;
    let m = this.maps.get(url);
    if (m === undefined) {
      m = loadMapFor(url);
      this.maps.set(url, m);
    }
    return m ?? undefined;
  }
}

function loadMapFor(url: string): SourceMap | null {
  let jsPath: string;
  try {
    jsPath = fileURLToPath(url);
  } catch {
    return null;
  }
  const candidates = [`${jsPath}.map`];
  try {
    // The `//# sourceMappingURL=` comment, when the map is not simply FILE.js.map.
    const tail = readFileSync(jsPath, 'utf8').slice(-400);
    const m = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(tail);
    if (m && !m[1]!.startsWith('data:')) candidates.unshift(join(dirname(jsPath), m[1]!));
  } catch {
    return null;
  }
  for (const c of candidates) {
    if (!existsSync(c)) continue;
    try {
      return new SourceMap(JSON.parse(readFileSync(c, 'utf8')) as Record<string, unknown>, dirname(c));
    } catch {
      return null;
    }
  }
  return null;
}
