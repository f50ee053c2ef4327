/**
 * `k2lab kernel-check PROG`: is the program accepted by the Linux verifier? Prints the verifier's
 * reason on rejection (exit status 1), the full log with --log.
 */
import type { CommandModule } from 'yargs';
import { InputError } from '../ebpf/errors.js';
import { loadProgram as loadFile } from '../ebpf/load.js';
import { close, loadProgram } from '../kernel/index.js';
import { elfOptions, withElfFlags, withProgramFlags } from './common.js';

interface Args { prog: string; 'prog-type'?: string; section?: string; btf?: string; 'map-size'?: string[]; log: boolean; 'log-level': number; json: boolean }

export const kernelCheckCommand: CommandModule<object, Args> = {
  command: 'kernel-check <prog>',
  describe: 'load a program (and its maps) into the Linux verifier: accepted, or rejected with the reason',
  builder: (y) => withElfFlags(withProgramFlags(y))
    .positional('prog', { type: 'string', demandOption: true, describe: 'program file or K2 path prefix' })
    .option('log', { type: 'boolean', default: false, describe: 'print the whole verifier log' })
    .option('log-level', { type: 'number', default: 1, describe: 'verifier log level: 1 (path to the error, statistics) or 2 (every state)' })
    .option('json', { type: 'boolean', default: false, describe: 'print { program, progType, accepted, reason?, log? }' })
    .example('$0 kernel-check ../shared/k2-suite/programs/xdp_fw', '')
    .example('$0 kernel-check prog.o --log --log-level 2', '') as never,
  handler: (a) => {
    const level = a['log-level'];
    if (level !== 1 && level !== 2) throw new InputError(`--log-level: expected 1 or 2, got ${level}`);
    const prog = loadFile(a.prog, { progType: a['prog-type'], section: a.section, ...elfOptions(a) });
    const r = loadProgram(prog, { logLevel: level });
    if (r.accepted) close(r);
    const log = r.log.trimEnd();
    if (a.json) {
      process.stdout.write(JSON.stringify({
        program: prog.name, progType: prog.progType ?? null, accepted: r.accepted, ...(Object.keys(r.notes).length > 0 ? { load: r.notes } : {}),
        ...(r.accepted ? {} : { reason: r.reason }), ...(a.log || !r.accepted ? { log } : {}),
      }, null, 2) + '\n');
    } else {
      if (a.log && log) process.stdout.write(log + '\n');
      const stats = log.split('\n').filter((l) => l.startsWith('processed ')).pop();
      const how = [r.notes.expectedAttachType && `attach type ${r.notes.expectedAttachType}`, r.notes.attachTarget && `target ${r.notes.attachTarget}`,
        r.notes.btf && r.notes.btf !== 'loaded' && `BTF ${r.notes.btf}`].filter(Boolean).join(', ');
      if (how) process.stdout.write(`${prog.name}: loaded with ${how}\n`);
      process.stdout.write(r.accepted
        ? `${prog.name} (${prog.progType}, ${prog.insns.length} slots): accepted by the Linux verifier${stats ? ` (${stats})` : ''}\n`
        : `${prog.name} (${prog.progType}): ${r.log ? 'rejected by the Linux verifier' : 'refused by the kernel'}: ${r.reason}\n`);
    }
    if (!r.accepted) process.exitCode = 1;
  },
};
