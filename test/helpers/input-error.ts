// Expect a user-facing error (InputError, or UsageError): one line, containing each fragment. Returns the message.
import { expect } from 'vitest';
import { InputError, UsageError } from '../../src/errors.js';

function userError(kind: typeof InputError | typeof UsageError, run: () => unknown, fragments: string[]): string {
  let error: unknown;
  try {
    run();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(kind);
  const message = (error as Error).message;
  expect(message).not.toContain('\n');
  for (const fragment of fragments) expect(message).toContain(fragment);
  return message;
}

export function inputError(run: () => unknown, ...fragments: string[]): string {
  return userError(InputError, run, fragments);
}

export function usageError(run: () => unknown, ...fragments: string[]): string {
  return userError(UsageError, run, fragments);
}
