// Names read from a file (dict keys, class names, storage keys, ZIP entries) as they appear in error
// messages: control characters escaped and length capped, so every message stays one readable line.

/** `text` with control and line-separator characters escaped (as JSON would) and cut to `max` characters. */
export function printable(text: string, max = 120): string {
  const cut = text.length > max ? `${text.slice(0, max)}...` : text;
  return cut.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
