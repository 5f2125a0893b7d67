// OpenSSH host patterns (ssh_config `Host`, known_hosts host fields): `*` matches any
// run of characters, `?` exactly one, host names compare case-insensitively, and a
// list matches when some plain pattern matches and no `!negated` pattern does.

/** One pattern (no negation) against a name. */
export function matchPattern(pattern: string, name: string): boolean {
  const p = pattern.toLowerCase();
  const s = name.toLowerCase();
  // Iterative wildcard match with backtracking to the last `*`: linear in practice, no regex escaping.
  let pi = 0;
  let si = 0;
  let star = -1;
  let mark = 0;
  while (si < s.length) {
    if (pi < p.length && (p[pi] === '?' || p[pi] === s[si])) {
      pi++;
      si++;
    } else if (pi < p.length && p[pi] === '*') {
      star = pi++;
      mark = si;
    } else if (star !== -1) {
      pi = star + 1;
      si = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

/** A list of patterns, some negated with `!`: a negated match wins over any plain match. */
export function matchPatternList(patterns: readonly string[], name: string): boolean {
  let matched = false;
  for (const pattern of patterns) {
    if (pattern.startsWith('!')) {
      if (matchPattern(pattern.slice(1), name)) return false;
    } else if (matchPattern(pattern, name)) {
      matched = true;
    }
  }
  return matched;
}
