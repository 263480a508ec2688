// User-facing error kinds (STYLE.md "Errors"): one line naming where, what, and what was expected.
// The CLI prints these without a stack and exits non-zero; any other Error is a bug. `printable` keeps
// names read from files to one line inside such messages.

/** A flag or option has a value that cannot be used. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A file or data given by the user is missing, malformed or inconsistent. */
export class InputError extends Error {
  override name = 'InputError';
}

/** A check the user asked for ran and did not pass (for example a reference output over tolerance). */
export class CheckFailed extends Error {
  override name = 'CheckFailed';
}

/** True for errors that are the user's to fix (printed without a stack trace). */
export function isUserError(e: unknown): e is UsageError | InputError | CheckFailed {
  return e instanceof UsageError || e instanceof InputError || e instanceof CheckFailed;
}

/**
 * A name read from a file (dict key, class name, storage key, ZIP entry) as it may appear in an error
 * message: control and line-separator characters escaped (as JSON would) and cut to `max` characters, so
 * every message stays one readable line.
 */
export function printable(text: string, max = 120): string {
  // Cut, escape, cut again: an escape is six characters, so the escaped head may be up to six times `max`.
  const head = text.slice(0, max).replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return head.length > max || text.length > max ? `${head.slice(0, max)}...` : head;
}
