// POSIX shell quoting. Every value that comes from a template, a parameter or a
// probe and ends up in a command line goes through here, so no value can become code.

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quote one argument for sh: safe words pass as they are, the rest go in single quotes. */
export function quoteArg(value: string): string {
  if (value !== '' && SAFE.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Escape a value for use inside an already open double-quoted string. */
export function escapeInDoubleQuotes(value: string): string {
  return value.replace(/[\\"$`]/g, (c) => `\\${c}`);
}

/** Escape a value for use inside an already open single-quoted string: close, quote, reopen. */
export function escapeInSingleQuotes(value: string): string {
  return value.replace(/'/g, `'\\''`);
}
