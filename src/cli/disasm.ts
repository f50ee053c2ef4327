/** `k2lab disasm PROG`: LLVM-syntax disassembly (the same text as llvm-objdump / llvm-mc). */
import type { CommandModule } from 'yargs';
import { disassembleWithSlots } from '../ebpf/disasm.js';
import { loadProgram } from '../ebpf/load.js';
import { mapTypeName } from '../ebpf/program.js';
import { withProgramFlags } from './common.js';

interface Args { prog: string; 'prog-type'?: string; section?: string; slots: boolean; maps: boolean }

export const disasmCommand: CommandModule<object, Args> = {
  command: 'disasm <prog>',
  describe: 'disassemble a program (.insns/.bin, K2 prefix, .s, clang .o) in LLVM syntax',
  builder: (y) => withProgramFlags(y)
    .positional('prog', { type: 'string', demandOption: true, describe: 'program file or K2 path prefix' })
    .option('slots', { type: 'boolean', default: false, describe: 'prefix each line with its instruction slot' })
    .option('maps', { type: 'boolean', default: false, describe: 'also list the maps as comments' })
    .example('$0 disasm ../shared/k2-suite/programs/xdp_fw', '') as never,
  handler: (a) => {
    const prog = loadProgram(a.prog, { progType: a['prog-type'], section: a.section, noValidate: true });
    const out: string[] = [];
    if (a.maps) for (const m of prog.maps) out.push(`; map fd ${m.fd}: ${m.name} ${mapTypeName(m.type)} key ${m.keySize} value ${m.valueSize} max_entries ${m.maxEntries}`);
    for (const l of disassembleWithSlots(prog.insns)) out.push(a.slots ? `${String(l.slot).padStart(4)}: ${l.text}` : l.text);
    process.stdout.write(out.join('\n') + '\n');
  },
};
