/** Files under a folder with given endings, recursively, as sorted paths: how corpora are walked. */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function filesUnder(dir: string, endings: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (endings.some((end) => e.endsWith(end))) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** Every clang object (`.o`) under `dir`. */
export const objectsUnder = (dir: string): string[] => filesUnder(dir, ['.o']);
