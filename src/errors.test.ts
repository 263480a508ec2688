// printable (errors.ts): names read from files, escaped to one line and cut to length.
import { describe, expect, it } from 'vitest';
import { printable } from './errors.js';

describe('printable', () => {
  it('escapes control and line-separator characters', () => {
    expect(printable('a\nb\u2028c\u0000')).toBe('a\\u000ab\\u2028c\\u0000');
  });

  it('cuts after escaping, so a name of control characters stays within the limit', () => {
    expect(printable('x'.repeat(200), 10)).toBe(`${'x'.repeat(10)}...`);
    expect(printable('\u0001'.repeat(200), 120)).toHaveLength(123); // was 720 when cut before escaping
    expect(printable('ok', 10)).toBe('ok');
  });
});
