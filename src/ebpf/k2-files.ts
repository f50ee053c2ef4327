/**
 * K2's text side files: `.maps` (one `name { type = T, key_size = K, ... }` per line) and `.desc`
 * (`{ pgm_input_type = N, }` / `{ max_pkt_sz = N, }`). The real files are sloppy (missing closing
 * braces, blank lines, no trailing comma), so parsing is lenient about layout and strict about values.
 */
import { InputError } from './errors.js';
import type { MapDef } from './program.js';

const INT = /^-?(0x[0-9a-f]+|\d+)$/i;

function parseInt64ish(text: string, what: string): number {
  const t = text.trim();
  if (!INT.test(t)) throw new InputError(`${what}: '${t}' is not an integer`);
  const v = Number(t);
  if (!Number.isSafeInteger(v)) throw new InputError(`${what}: '${t}' is out of range`);
  return v;
}

/** `a = 1, b = 2,` → { a: 1, b: 2 }; every item needs `name = integer`. */
function parseFields(body: string, where: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const item of body.split(',')) {
    const t = item.trim();
    if (t === '') continue;
    const eq = t.indexOf('=');
    if (eq < 0) throw new InputError(`${where}: expected 'name = value', got '${t}'`);
    const name = t.slice(0, eq).trim();
    if (!/^[a-z_][a-z0-9_]*$/i.test(name)) throw new InputError(`${where}: bad field name '${name}'`);
    out.set(name, parseInt64ish(t.slice(eq + 1), `${where}: ${name}`));
  }
  return out;
}

/** The text between `{` and the matching `}` (or the end of the line when the brace is missing). */
function braceBody(line: string, where: string): { before: string; body: string } {
  const open = line.indexOf('{');
  if (open < 0) throw new InputError(`${where}: expected '{'`);
  const close = line.indexOf('}', open);
  const rest = close < 0 ? '' : line.slice(close + 1).trim();
  if (rest !== '') throw new InputError(`${where}: unexpected text after '}': '${rest}'`);
  return { before: line.slice(0, open).trim(), body: close < 0 ? line.slice(open + 1) : line.slice(open + 1, close) };
}

export function parseMapsFile(text: string): MapDef[] {
  const maps: MapDef[] = [];
  text.split(/\r?\n/).forEach((raw, lineNo) => {
    const line = raw.trim();
    if (line === '') return;
    const where = `line ${lineNo + 1}`;
    const { before, body } = braceBody(line, where);
    if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(before)) throw new InputError(`${where}: bad map name '${before}'`);
    const f = parseFields(body, where);
    const need = (k: string): number => {
      const v = f.get(k);
      if (v === undefined) throw new InputError(`${where}: map '${before}' lacks '${k}'`);
      if (v < 0) throw new InputError(`${where}: map '${before}': ${k} must not be negative`);
      return v;
    };
    const def: MapDef = {
      name: before,
      type: need('type'),
      keySize: need('key_size'),
      valueSize: need('value_size'),
      maxEntries: need('max_entries'),
      fd: f.get('fd') ?? maps.length,
      flags: f.get('map_flags') ?? 0,
    };
    if (def.maxEntries === 0) throw new InputError(`${where}: map '${before}': max_entries must be > 0`);
    maps.push(def);
  });
  return maps;
}

export interface K2Desc {
  pgmInputType: number;
  maxPktSize: number;
}

export function parseDescFile(text: string): K2Desc {
  const fields = new Map<string, number>();
  // Sloppy layout: several `{ … }` groups, possibly on one line; collect them all.
  const groups = text.match(/\{[^{}]*\}?/g);
  if (!groups || text.replace(/\{[^{}]*\}?/g, '').trim() !== '') {
    throw new InputError(`expected '{ pgm_input_type = N, }' and '{ max_pkt_sz = N, }'`);
  }
  for (const g of groups) {
    for (const [k, v] of parseFields(g.replace(/^\{/, '').replace(/\}$/, ''), 'desc')) fields.set(k, v);
  }
  const t = fields.get('pgm_input_type');
  const sz = fields.get('max_pkt_sz');
  if (t === undefined) throw new InputError(`missing pgm_input_type`);
  if (t < 0 || t > 3) throw new InputError(`pgm_input_type ${t} is not 0–3`);
  if (sz === undefined) throw new InputError(`missing max_pkt_sz`);
  if (sz < 0 || sz > 65535) throw new InputError(`max_pkt_sz ${sz} is out of range 0–65535`);
  return { pgmInputType: t, maxPktSize: sz };
}

export function formatMapsFile(maps: readonly MapDef[]): string {
  return maps.map((m) => `${m.name} { type = ${m.type}, key_size = ${m.keySize}, value_size = ${m.valueSize}, max_entries = ${m.maxEntries}, fd = ${m.fd} }\n`).join('');
}

export function formatDescFile(d: K2Desc): string {
  return `{ pgm_input_type = ${d.pgmInputType}, }\n{ max_pkt_sz = ${d.maxPktSize}, }\n`;
}
