/** `k2lab variants`: the hot-path axes, their implementations and the named variant sets. */
import type { CommandModule } from 'yargs';
import { RUNTIME_PROFILES } from '../../variants/runtime-profiles.js';
import { IMPLEMENTATIONS, SETS } from '../../variants/sets.js';
import { AXES } from '../search/variants.js';

interface Args { json: boolean }

export const variantsCommand: CommandModule<object, Args> = {
  command: 'variants',
  describe: 'list variant axes, implementations and named sets',
  builder: (y) => y.option('json', { type: 'boolean', default: false, describe: 'print { axes, sets, runtimeProfiles }' }) as never,
  handler: (a) => {
    const axes = Object.fromEntries(AXES.map((ax) => [ax, Object.keys(IMPLEMENTATIONS[ax])]));
    if (a.json) { process.stdout.write(JSON.stringify({ axes, sets: SETS, runtimeProfiles: RUNTIME_PROFILES }, null, 2) + '\n'); return; }
    const lines = ['axes:'];
    for (const ax of AXES) lines.push(`  ${ax.padEnd(13)} ${axes[ax]!.join(', ')}`);
    lines.push('sets:');
    for (const [name, spec] of Object.entries(SETS)) lines.push(`  ${name.padEnd(40)} ${AXES.map((ax) => `${ax}=${spec[ax]}`).join(' ')}`);
    lines.push('runtime profiles (node flags for the whole process):');
    for (const [name, flags] of Object.entries(RUNTIME_PROFILES)) lines.push(`  ${name.padEnd(20)} ${flags.join(' ') || '(none)'}`);
    process.stdout.write(lines.join('\n') + '\n');
  },
};
