/**
 * `k2lab convert PROG --out PREFIX`: writes any loadable program (typically a clang `.o`) as K2's
 * files PREFIX.insns / .maps / .desc, the form the built-in suite ships in (scripts/build-suite.sh).
 * The written files are loaded back and compared, so a conversion that would not round-trip fails.
 */
import { dirname } from 'node:path';
import type { CommandModule } from 'yargs';
import { InputError } from '../ebpf/errors.js';
import { encodeProgram } from '../ebpf/insn.js';
import { formatDescFile, formatMapsFile } from '../ebpf/k2-files.js';
import { loadProgram } from '../ebpf/load.js';
import type { Program, ProgType } from '../ebpf/program.js';
import { makeDirs, writeFileAtomic } from '../common/atomic-write.js';
import { withProgramFlags } from './common.js';

interface Args { prog: string; out: string; 'max-pkt-sz': number; 'pgm-input-type'?: number; 'prog-type'?: string; section?: string }

/** K2's input model for a kernel program type, as K2's suite uses it: 2 for XDP, else 1 (r1 points at the bytes). */
export function k2InputTypeFor(t: ProgType | undefined): number {
  return t === 'xdp' ? 2 : 1;
}

export interface K2Files { insns: Uint8Array; maps: string; desc: string }

export function toK2Files(p: Program, desc: { pgmInputType: number; maxPktSize: number }): K2Files {
  return { insns: encodeProgram(p.insns), maps: formatMapsFile(p.maps), desc: formatDescFile(desc) };
}

export const convertCommand: CommandModule<object, Args> = {
  command: 'convert <prog>',
  describe: "write a program (e.g. a clang .o) as K2's .insns/.maps/.desc files",
  builder: (y) => withProgramFlags(y)
    .positional('prog', { type: 'string', demandOption: true, describe: 'program file (clang .o, .insns, .s) or K2 path prefix' })
    .option('out', { alias: 'o', type: 'string', demandOption: true, describe: 'output path prefix: writes PREFIX.insns, PREFIX.maps, PREFIX.desc' })
    .option('max-pkt-sz', { type: 'number', default: 64, describe: "K2's max_pkt_sz: bytes of packet (XDP, socket filter) or context (tracepoint) input" })
    .option('pgm-input-type', { type: 'number', describe: "K2's pgm_input_type (default: 2 for XDP, else 1)" })
    .example('$0 convert prog.o --section xdp --out suites/builtin/programs/prog --max-pkt-sz 64', '') as never,
  handler: (a) => {
    const size = a['max-pkt-sz'];
    if (!Number.isInteger(size) || size < 0 || size > 65535) throw new InputError(`--max-pkt-sz: expected an integer 0–65535, got ${size}`);
    const prog = loadProgram(a.prog, { progType: a['prog-type'], section: a.section });
    const inputType = a['pgm-input-type'] ?? k2InputTypeFor(prog.progType);
    if (![0, 1, 2, 3].includes(inputType)) throw new InputError(`--pgm-input-type: expected 0–3, got ${inputType}`);
    // K2's .maps has no map_flags: say so rather than drop them silently.
    for (const m of prog.maps) if (m.flags !== 0) process.stderr.write(`k2lab: note: map '${m.name}' flags ${m.flags} are not kept in the .maps file\n`);
    const files = toK2Files(prog, { pgmInputType: inputType, maxPktSize: size });
    makeDirs(dirname(a.out));
    writeFileAtomic(`${a.out}.insns`, files.insns);
    writeFileAtomic(`${a.out}.maps`, files.maps);
    writeFileAtomic(`${a.out}.desc`, files.desc);
    // The K2 form drops the ELF section, so load it back under the same type and compare.
    const back = loadProgram(a.out, { progType: prog.progType });
    const key = (ms: Program['maps']): string => JSON.stringify(ms.map((m) => [m.name, m.type, m.keySize, m.valueSize, m.maxEntries, m.fd]));
    const same = Buffer.from(encodeProgram(back.insns)).equals(Buffer.from(files.insns)) && key(back.maps) === key(prog.maps);
    if (!same) throw new Error(`${a.out}: written files do not load back as the same program`);
    process.stdout.write(`${a.out}.insns: ${prog.insns.length} slots, ${prog.maps.length} maps, ${prog.progType ?? 'no program type'} (pgm_input_type ${inputType}, max_pkt_sz ${size})\n`);
  },
};
