/**
 * Errors caused by bad input (files, bytes, flags). The CLI prints their message as one line and
 * exits with status 2; anything else is a bug and keeps its stack trace.
 */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/** Prefix an input error's message with the file it came from (once). */
export function inFile<T>(file: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof InputError && !e.message.startsWith(file)) {
      e.message = `${file}: ${e.message}`;
    }
    throw e;
  }
}
