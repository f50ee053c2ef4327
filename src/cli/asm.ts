/** `k2lab asm FILE.s -o OUT.insns`: assemble LLVM-syntax text into raw bytecode. */
import type { CommandModule } from 'yargs';
import { assemble } from '../ebpf/asm.js';
import { inFile } from '../ebpf/errors.js';
import { encodeProgram, validateProgram } from '../ebpf/insn.js';
import { readInputFile } from '../ebpf/load.js';
import { writeFileAtomic } from '../common/atomic-write.js';

interface Args { file: string; out?: string; hex: boolean; 'no-validate': boolean }

export const asmCommand: CommandModule<object, Args> = {
  command: 'asm <file>',
  describe: 'assemble LLVM-syntax text into raw bytecode (.insns)',
  builder: (y) => y
    .positional('file', { type: 'string', demandOption: true, describe: 'assembly text file ("-" for stdin)' })
    .option('out', { alias: 'o', type: 'string', describe: 'output .insns file (default: hex on stdout)' })
    .option('hex', { type: 'boolean', default: false, describe: 'print the bytes as hex, one instruction per line' })
    .option('no-validate', { type: 'boolean', default: false, describe: 'skip load-time checks (jump ranges, registers, exit at end)' })
    .example('$0 asm prog.s -o prog.insns', '') as never,
  handler: (a) => {
    const text = a.file === '-' ? readStdin() : readInputFile(a.file).toString('utf8');
    const name = a.file === '-' ? '<stdin>' : a.file;
    const insns = inFile(name, () => assemble(text));
    if (!a['no-validate']) inFile(name, () => validateProgram(insns));
    const bytes = encodeProgram(insns);
    if (a.out && !a.hex) { writeFileAtomic(a.out, bytes); return; }
    const lines: string[] = [];
    for (let i = 0; i < bytes.length; i += 8) lines.push(Buffer.from(bytes.subarray(i, i + 8)).toString('hex').replace(/(..)(?!$)/g, '$1 '));
    if (a.out) writeFileAtomic(a.out, lines.join('\n') + '\n');
    else process.stdout.write(lines.join('\n') + '\n');
  },
};

function readStdin(): string {
  return readInputFile('/dev/stdin', 'input').toString('utf8');
}
