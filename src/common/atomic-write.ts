/**
 * Writing result files atomically (a temporary file in the same folder, then rename), so a killed
 * run never leaves a half-written file; a failure is a one-line InputError naming the path.
 */
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { InputError } from '../ebpf/errors.js';

let tmpCounter = 0;

/** mkdir -p one level at a time: Node's recursive mkdir spins forever under /proc (e.g. /proc/no/such/dir). */
export function makeDirs(dir: string): void {
  const missing: string[] = [];
  for (let d = dir; !existsSync(d); d = dirname(d)) missing.unshift(d);
  for (const d of missing) {
    // Another process (a second optimize on the same database folder) may create it first.
    try { mkdirSync(d); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e; }
  }
}

export function writeFileAtomic(path: string, data: string | Uint8Array, opts: { mkdir?: boolean } = {}): void {
  if (opts.mkdir) makeDirs(dirname(path));
  const tmp = `${path}.tmp-${process.pid}-${tmpCounter++}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new InputError(`${path}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}
