/**
 * Execution errors. Inside the interpreter they are thrown (cheap: they end the run) and caught
 * at its boundary, which returns them as plain data: no JavaScript exception escapes a run.
 */
export type ExecErrorKind = 'memory' | 'budget' | 'unsupported-helper' | 'helper-argument' | 'call-depth' | 'invalid-instruction';

export interface ExecError {
  kind: ExecErrorKind;
  message: string;
  /** Instruction slot where it happened. */
  pc: number;
}

export class ExecFault extends Error {
  constructor(readonly kind: ExecErrorKind, message: string) {
    super(message);
    this.name = 'ExecFault';
  }
}
