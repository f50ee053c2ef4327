/**
 * The target BTF that CO-RE relocations and kfunc calls resolve against: the running kernel's
 * (/sys/kernel/btf/vmlinux) or a file given with `--btf` (raw BTF, or an ELF object with a `.BTF`
 * section). Parsed once per path per process.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseBtf, type Btf } from './btf.js';
import { ElfFile } from './elf-file.js';
import { InputError, inFile } from './errors.js';

export const VMLINUX_BTF = '/sys/kernel/btf/vmlinux';

const cache = new Map<string, Btf>();

export function targetBtf(path: string = VMLINUX_BTF): Btf {
  const hit = cache.get(path);
  if (hit) return hit;
  if (!existsSync(path)) {
    throw new InputError(path === VMLINUX_BTF
      ? `${path}: no kernel BTF on this machine (CONFIG_DEBUG_INFO_BTF); give one with --btf FILE`
      : `${path}: no such BTF file`);
  }
  const bytes = new Uint8Array(readFileSync(path));
  const btf = inFile(path, () => {
    if (bytes[0] === 0x7f && bytes[1] === 0x45) {
      const elf = new ElfFile(bytes);
      const sec = elf.sections.find((s) => s.name === '.BTF') ?? (() => { throw new InputError('ELF file without a .BTF section'); })();
      return parseBtf(elf.data(sec));
    }
    return parseBtf(bytes);
  });
  cache.set(path, btf);
  return btf;
}
