// Expect a user-facing InputError: one line, containing each fragment. Returns the message.
import { expect } from 'vitest';
import { InputError } from '../../src/errors.js';

export function inputError(run: () => unknown, ...fragments: string[]): string {
  let error: unknown;
  try {
    run();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(InputError);
  const message = (error as Error).message;
  expect(message).not.toContain('\n');
  for (const fragment of fragments) expect(message).toContain(fragment);
  return message;
}
