/**
 * `k2lab run PROG`: interpret a program on one input (or one per line of --inputs) and print its
 * observable output: r0, the final packet, the maps and helper side effects.
 */
import type { CommandModule } from 'yargs';
import { InputError, inFile } from '../ebpf/errors.js';
import { fromHex } from '../ebpf/hex.js';
import { loadProgram, readInputFile } from '../ebpf/load.js';
import { contextModelOf } from '../ebpf/program.js';
import { DEFAULT_MAX_INSNS, defaultInput, formatResult, resultToJson, runProgram, toRunnable } from '../interp/run.js';
import type { RunInput } from '../interp/machine.js';
import { withProgramFlags } from './common.js';

interface Args {
  prog: string; 'prog-type'?: string; section?: string;
  'packet-hex'?: string; packet?: string; inputs?: string; json: boolean; 'max-insns': number;
}

export const runCommand: CommandModule<object, Args> = {
  command: 'run <prog>',
  describe: 'interpret a program on an input and print r0, the packet, the maps and side effects',
  builder: (y) => withProgramFlags(y)
    .positional('prog', { type: 'string', demandOption: true, describe: 'program file or K2 path prefix' })
    .option('packet-hex', { type: 'string', describe: 'input packet (or context bytes) as hex' })
    .option('packet', { type: 'string', describe: 'input packet from a binary file' })
    .option('inputs', { type: 'string', describe: 'file with one hex packet per line; prints one result per line' })
    .option('json', { type: 'boolean', default: false, describe: 'print JSON ({ r0, packetHex, maps, sideEffects, error? })' })
    .option('max-insns', { type: 'number', default: DEFAULT_MAX_INSNS, describe: 'instruction budget per run' })
    .conflicts('packet-hex', ['packet', 'inputs'])
    .conflicts('packet', 'inputs')
    .example('$0 run ../shared/k2-suite/programs/xdp_pktcntr --json', '')
    .example('$0 run prog.o --packet-hex 00112233445566778899aabb0800', '') as never,
  handler: (a) => {
    if (!Number.isInteger(a['max-insns']) || a['max-insns'] <= 0) throw new InputError(`--max-insns: expected a positive integer, got ${a['max-insns']}`);
    const prog = loadProgram(a.prog, { progType: a['prog-type'], section: a.section });
    const runnable = inFile(prog.source, () => toRunnable(prog));
    const inputs: RunInput[] = [];
    if (a.inputs) {
      readInputFile(a.inputs, 'inputs file').toString('utf8').split(/\r?\n/).forEach((line, i) => {
        if (line.trim() === '' || line.trim().startsWith('#')) return;
        try {
          inputs.push({ packet: fromHex(line, 'packet') });
        } catch (e) {
          throw new InputError(`${a.inputs}: line ${i + 1}: ${(e as Error).message}`);
        }
      });
    } else if (a['packet-hex'] !== undefined) inputs.push({ packet: fromHex(a['packet-hex'], '--packet-hex') });
    else if (a.packet !== undefined) inputs.push({ packet: new Uint8Array(readInputFile(a.packet, 'packet file')) });
    else inputs.push(defaultInput(prog));
    if (contextModelOf(prog.progType, prog.k2InputType) === 'none' && inputs.some((i) => i.packet.length > 0)) {
      process.stderr.write(`k2lab: note: ${prog.name} takes no memory input (K2 input type 0); the packet is ignored\n`);
    }
    const many = inputs.length > 1 || a.inputs !== undefined;
    for (const input of inputs) {
      const res = inFile(prog.source, () => runProgram(runnable, input, { maxInsns: a['max-insns'] }));
      if (a.json) process.stdout.write(JSON.stringify(resultToJson(res), null, many ? undefined : 2) + '\n');
      else process.stdout.write(formatResult(res) + '\n' + (many ? '\n' : ''));
    }
  },
};
