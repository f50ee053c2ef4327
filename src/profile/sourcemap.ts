/**
 * Maps positions in the compiled JavaScript (dist/…/*.js) back to the TypeScript source through the
 * `.js.map` files tsc writes beside them: a small Source Map v3 reader (base64 VLQ `mappings`, no
 * index maps — tsc never writes those). Positions in and out are 0-based lines and columns.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_VALUE[B64.charCodeAt(i)] = i;

/** Decodes one base64 VLQ group (`AAgBC` …) into its signed integers. */
export function decodeVlq(group: string): number[] {
  const out: number[] = [];
  let value = 0;
  let shift = 0;
  for (let i = 0; i < group.length; i++) {
    const c = group.charCodeAt(i);
    const digit = c < 128 ? B64_VALUE[c]! : -1;
    if (digit < 0) throw new Error(`bad base64 digit '${group[i]}' in source map mappings`);
    value += (digit & 31) * 2 ** shift;
    if (digit & 32) {
      shift += 5;
      continue;
    }
    out.push(value % 2 === 1 ? -(value - 1) / 2 : value / 2);
    value = 0;
    shift = 0;
  }
  if (shift !== 0) throw new Error('truncated VLQ group in source map mappings');
  return out;
}

/** One generated line's segments, flattened: [genCol, sourceIndex, sourceLine, sourceCol] × n. */
type LineSegments = number[];

export interface OriginalPosition {
  /** Absolute path (or the map's source string when it is not a file path). */
  source: string;
  line: number;
  column: number;
}

export class SourceMap {
  readonly sources: string[];
  private readonly lines: LineSegments[];

  constructor(json: { sources?: unknown; sourceRoot?: unknown; mappings?: unknown }, mapDir: string) {
    if (!Array.isArray(json.sources) || typeof json.mappings !== 'string') throw new Error('not a source map (no sources/mappings)');
    const root = typeof json.sourceRoot === 'string' ? json.sourceRoot : '';
    this.sources = json.sources.map((s) => {
      const p = root + String(s);
      if (p.startsWith('file://')) return fileURLToPath(p);
      return isAbsolute(p) ? p : resolve(mapDir, p);
    });
    this.lines = decodeMappings(json.mappings);
  }

  /**
   * The source position of the last segment at or before (line, column); when the line's first
   * segment lies after the column (indentation, a function's first token), that first segment.
   */
  lookup(line: number, column: number): OriginalPosition | undefined {
    const segs = this.lines[line];
    if (!segs || segs.length === 0) return undefined;
    let lo = 0;
    let hi = segs.length / 4 - 1;
    let best = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (segs[mid * 4]! <= column) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    const src = segs[best * 4 + 1]!;
    if (src < 0) return undefined;
    return { source: this.sources[src] ?? '?', line: segs[best * 4 + 2]!, column: segs[best * 4 + 3]! };
  }
}

function decodeMappings(mappings: string): LineSegments[] {
  const lines: LineSegments[] = [];
  let src = 0;
  let srcLine = 0;
  let srcCol = 0;
  for (const lineText of mappings.split(';')) {
    const segs: LineSegments = [];
    let genCol = 0;
    if (lineText.length > 0) {
      for (const group of lineText.split(',')) {
        if (group.length === 0) continue;
        const f = decodeVlq(group);
        genCol += f[0] ?? 0;
        if (f.length >= 4) {
          src += f[1]!;
          srcLine += f[2]!;
          srcCol += f[3]!;
          segs.push(genCol, src, srcLine, srcCol);
        } else {
          segs.push(genCol, -1, 0, 0);
        }
      }
    }
    // Segments are sorted by generated column in every map tsc writes; sort anyway for safety.
    if (!isSorted(segs)) sortSegments(segs);
    lines.push(segs);
  }
  return lines;
}

function isSorted(segs: LineSegments): boolean {
  for (let i = 4; i < segs.length; i += 4) if (segs[i]! < segs[i - 4]!) return false;
  return true;
}

function sortSegments(segs: LineSegments): void {
  const groups: number[][] = [];
  for (let i = 0; i < segs.length; i += 4) groups.push(segs.slice(i, i + 4));
  groups.sort((a, b) => a[0]! - b[0]!);
  segs.length = 0;
  for (const g of groups) segs.push(...g);
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
