// User-facing error kinds (STYLE.md "Errors"): one line naming where, what, and what was expected.
// The CLI prints these without a stack and exits non-zero; any other Error is a bug.

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
