/** clang ELF object loader (placeholder; being written). */
import { InputError } from './errors.js';
import type { Program } from './program.js';

export function loadElfProgram(_bytes: Uint8Array, _file: string, _section?: string): Program {
  throw new InputError('ELF objects are not supported yet');
}
