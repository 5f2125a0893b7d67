// Where, in the author's shell text, does each template value land? A value is only
// safe if it is quoted for the context it lands in: outside quotes, inside '...', or
// inside "...". This is a small POSIX sh lexer over the author's literal text; the
// values themselves never take part (holes are opaque), so no value can change the
// outcome. Contexts where a quoted value cannot be made safe — backticks, ${...},
// $((...)), $'...', comments, here-document bodies, right after `\` or `$` — are
// refused with a reason rather than guessed.

export type HoleContext = { kind: 'plain' | 'single' | 'double' } | { kind: 'refused'; reason: string };

/** The author's text with the positions of the template holes (several may share a position). */
export interface ShellSkeleton {
  text: string;
  /** Offsets in `text` where each hole sits, in order. */
  holes: number[];
}

export interface ShellScan {
  holes: HoleContext[];
  /** Set when the text ends inside a quote or substitution: the command would not parse. */
  unclosed?: string;
}

type FrameKind = 'top' | 'subst' | 'paren' | 'single' | 'double' | 'ansi' | 'backtick' | 'brace' | 'arith' | 'comment';
interface Frame {
  kind: FrameKind;
  depth: number; // parens inside $(( )), `case` nesting inside plain frames
}

const REFUSED: Partial<Record<FrameKind, string>> = {
  backtick: 'inside backticks (write $( ... ) instead)',
  brace: 'inside ${ ... } (assign the value to a variable first: X={{ ... }}; then use ${X...})',
  arith: 'inside $(( ... )) (assign it to a variable first, or use `| raw` for a number you trust)',
  ansi: "inside $'...'",
  comment: 'inside a shell comment',
};
const WORD_BREAK = new Set([' ', '\t', '\n', ';', '&', '|', '(', ')', '<', '>']);

export function scanShellContexts(skeleton: ShellSkeleton): ShellScan {
  const { text, holes } = skeleton;
  const result: HoleContext[] = holes.map(() => ({ kind: 'plain' }));
  const holesAt = new Map<number, number[]>();
  holes.forEach((offset, index) => holesAt.set(offset, [...(holesAt.get(offset) ?? []), index]));
  const decided = new Set<number>();
  const refuse = (offset: number, reason: string): void => {
    for (const h of holesAt.get(offset) ?? []) {
      result[h] = { kind: 'refused', reason };
      decided.add(h);
    }
  };

  const stack: Frame[] = [{ kind: 'top', depth: 0 }];
  const top = (): Frame => stack[stack.length - 1]!;
  const push = (kind: FrameKind): void => void stack.push({ kind, depth: 0 });
  const pop = (): void => void (stack.length > 1 && stack.pop());
  let atWordStart = true;
  let afterDollar = false;
  let lost: string | undefined; // the lexer cannot follow any more: refuse every later hole
  const pending: Array<{ delimiter: string; dash: boolean }> = [];
  let unterminated: string | undefined;

  const placeHoles = (offset: number): void => {
    const here = holesAt.get(offset);
    if (!here) return;
    const frame = top();
    const enclosing = stack.find((f) => REFUSED[f.kind]);
    for (const h of here) {
      if (decided.has(h)) continue;
      if (lost) result[h] = { kind: 'refused', reason: lost };
      else if (afterDollar) result[h] = { kind: 'refused', reason: 'right after `$`' };
      else if (enclosing) result[h] = { kind: 'refused', reason: REFUSED[enclosing.kind]! };
      else result[h] = { kind: frame.kind === 'single' ? 'single' : frame.kind === 'double' ? 'double' : 'plain' };
    }
    atWordStart = false;
  };

  // A backslash escapes the next character; a hole there would lose its opening quote.
  const skipEscaped = (i: number): number => {
    if (holesAt.has(i + 1)) {
      refuse(i + 1, 'right after a backslash');
      return i;
    }
    return i + 1;
  };

  const readHeredocOperator = (from: number): number => {
    let i = from;
    let dash = false;
    if (text[i] === '-') {
      dash = true;
      i++;
    }
    while (text[i] === ' ' || text[i] === '\t') i++;
    let delimiter = '';
    const wordStart = i;
    while (i < text.length && !WORD_BREAK.has(text[i]!)) {
      const c = text[i]!;
      if (c === "'" || c === '"') {
        const end = text.indexOf(c, i + 1);
        delimiter += text.slice(i + 1, end < 0 ? text.length : end);
        i = end < 0 ? text.length : end + 1;
      } else if (c === '\\') {
        delimiter += text[i + 1] ?? '';
        i += 2;
      } else {
        delimiter += c;
        i++;
      }
    }
    // A value as the delimiter could end the body early and turn the author's data into commands.
    for (let k = wordStart; k <= i; k++) {
      if (!holesAt.has(k)) continue;
      refuse(k, 'as a here-document delimiter');
      lost = 'after a here-document whose delimiter is a template';
    }
    pending.push({ delimiter, dash });
    return i - 1;
  };

  // Called on the newline that ends a command line with pending here-documents: skips
  // their bodies and returns the offset of the last newline consumed.
  const skipHeredocBodies = (newline: number): number => {
    let i = newline + 1;
    for (const doc of pending.splice(0)) {
      for (;;) {
        if (i > text.length) {
          unterminated = doc.delimiter;
          return text.length;
        }
        const nl = text.indexOf('\n', i);
        const end = nl < 0 ? text.length : nl;
        let hasHole = false;
        for (let k = i; k <= end; k++) {
          if (!holesAt.has(k)) continue;
          refuse(k, 'inside a here-document (pass the value as an argument or environment variable instead)');
          hasHole = true;
        }
        const line = text.slice(i, end);
        i = end + 1;
        if (!hasHole && (doc.dash ? line.replace(/^\t+/, '') : line) === doc.delimiter) break;
      }
    }
    return i - 1;
  };

  for (let i = 0; i <= text.length; i++) {
    placeHoles(i);
    if (i === text.length) break;
    const c = text[i]!;
    const frame = top();
    afterDollar = false;
    switch (frame.kind) {
      case 'single':
        if (c === "'") pop();
        continue;
      case 'ansi':
        if (c === '\\') i = skipEscaped(i);
        else if (c === "'") pop();
        continue;
      case 'backtick':
        if (c === '\\') i = skipEscaped(i);
        else if (c === '`') pop();
        continue;
      case 'comment':
        if (c === '\n') {
          pop();
          atWordStart = true;
          if (pending.length > 0) i = skipHeredocBodies(i);
        }
        continue;
      case 'arith':
        if (c === '(') frame.depth++;
        else if (c === ')') {
          if (frame.depth > 0) frame.depth--;
          else {
            if (text[i + 1] === ')') i++;
            pop();
          }
        }
        continue;
      case 'brace':
        if (c === '\\') i = skipEscaped(i);
        else if (c === "'") push('single');
        else if (c === '"') push('double');
        else if (c === '}') pop();
        continue;
      case 'double':
        if (c === '\\') i = skipEscaped(i);
        else if (c === '"') pop();
        else if (c === '`') push('backtick');
        else if (c === '$') i = openDollar(i, true);
        continue;
      default:
        break; // plain-like frames below
    }
    if (c === '\\') {
      i = skipEscaped(i);
      atWordStart = false;
    } else if (c === "'") {
      push('single');
      atWordStart = false;
    } else if (c === '"') {
      push('double');
      atWordStart = false;
    } else if (c === '`') {
      push('backtick');
      atWordStart = false;
    } else if (c === '$') {
      atWordStart = false;
      i = openDollar(i, false);
    } else if (c === '#' && atWordStart) {
      push('comment');
    } else if (c === '(') {
      push('paren');
      atWordStart = true;
    } else if (c === ')') {
      if ((frame.kind === 'paren' || frame.kind === 'subst') && frame.depth === 0) pop();
      atWordStart = true;
    } else if (c === '<' && text[i + 1] === '<' && text[i + 2] !== '<') {
      i = readHeredocOperator(i + 2);
      atWordStart = true;
    } else if (c === '<' && text[i + 1] === '<' && text[i + 2] === '<') {
      i += 2; // bash here-string: an ordinary word follows
      atWordStart = true;
    } else if (c === '\n') {
      atWordStart = true;
      if (pending.length > 0) i = skipHeredocBodies(i);
    } else if (WORD_BREAK.has(c)) {
      atWordStart = true;
    } else {
      if (atWordStart) trackCase(frame, i);
      atWordStart = false;
    }
  }

  // `$(`, `$((`, `${`, `$'` open frames; a bare `$` makes the next hole unsafe.
  function openDollar(i: number, inDouble: boolean): number {
    const next = text[i + 1];
    if (next === '(' && text[i + 2] === '(') {
      push('arith');
      return i + 2;
    }
    if (next === '(') {
      push('subst');
      atWordStart = true; // a command starts here: `case` must be seen as a keyword
      return i + 1;
    }
    if (next === '{') {
      push('brace');
      return i + 1;
    }
    if (next === "'" && !inDouble) {
      push('ansi');
      return i + 1;
    }
    afterDollar = true;
    return i;
  }

  // `case x in a) ...;; esac` has unbalanced `)`: they must not close a $( ).
  function trackCase(frame: Frame, i: number): void {
    const word = /^[a-z]+/.exec(text.slice(i, i + 5))?.[0];
    const after = text[i + (word?.length ?? 0)];
    if (after !== undefined && !WORD_BREAK.has(after)) return;
    if (word === 'case') frame.depth++;
    else if (word === 'esac' && frame.depth > 0) frame.depth--;
  }

  const open = stack.slice(1).filter((f) => f.kind !== 'comment');
  const names: Record<string, string> = { single: "a ' quote", double: 'a " quote', subst: 'a $( substitution', paren: 'a ( group', backtick: 'a ` substitution', brace: 'a ${ expansion', arith: 'a $(( expression', ansi: "a $' quote" };
  const heredoc = unterminated ?? pending[0]?.delimiter;
  const unclosed = open.length > 0 ? names[open[open.length - 1]!.kind] : heredoc !== undefined ? `a here-document (no line \`${heredoc}\`)` : undefined;
  return unclosed ? { holes: result, unclosed } : { holes: result };
}
