/** `k2lab microbench interp`: placeholder replaced below. */
import type { CommandModule } from 'yargs';
export const microbenchCommand: CommandModule<object, object> = { command: 'microbench', describe: 'micro-benchmarks', handler: () => {} };
