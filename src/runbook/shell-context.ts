// Where, in the author's shell text, does each template value land? A value is only
// safe if it is quoted for the context it lands in: outside quotes, inside '...', or
// inside "...". This is a small POSIX sh lexer over the author's literal text; the
// values themselves never take part (holes are opaque), so no value can change the
// outcome. Contexts where a quoted value cannot be made safe — backticks, ${...},
// $((...)), $'...', comments, here-document bodies, right after `\` or `$` — are
// refused with a reason rather than guessed.
//
// The lexer also follows simple commands (the first word that is not an assignment is
// the program), so it can tell where a value ends up when the shell runs: in an
// assignment, in a redirection, in the arguments of a shell builtin (no new process),
// or in the argv of a program, where every user of the host can read it
// (/proc/PID/cmdline). `argvOf` names that program; it matters for secrets.

export type HoleContext = { kind: 'plain' | 'single' | 'double'; argvOf?: string } | { kind: 'refused'; reason: string };

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
  /** The simple command being read (plain-like frames only). */
  command: SimpleCommand;
}

/** Where the lexer is within a simple command: its program name and the word being read. */
interface SimpleCommand {
  /** undefined: no program word yet (only assignments so far); null: a name drbook cannot read. */
  program: string | null | undefined;
  inWord: boolean;
  /** The word's literal text up to its first quote, expansion or template. */
  literal: string;
  dirty: boolean;
  /** The word being read is the target of a redirection (`> file`), not an argument. */
  redirect: boolean;
}

const newCommand = (): SimpleCommand => ({ program: undefined, inWord: false, literal: '', dirty: false, redirect: false });

/** Builtins of dash and bash: their arguments reach no new process's argv. */
const BUILTINS = new Set(
  ': . [ alias bg break cd command continue echo eval exec exit export false fc fg getopts hash jobs kill local printf pwd read readonly return set shift test times trap true type ulimit umask unalias unset wait for case select'.split(
    ' ',
  ),
);
/** Words after which the next word is the program again. */
const COMMAND_PREFIXES = new Set(['if', 'then', 'else', 'elif', 'do', 'while', 'until', '!', '{', 'time', 'exec', 'command', 'builtin']);
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;
const PLAIN_LIKE = new Set<FrameKind>(['top', 'subst', 'paren']);

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

  const stack: Frame[] = [{ kind: 'top', depth: 0, command: newCommand() }];
  const top = (): Frame => stack[stack.length - 1]!;
  const push = (kind: FrameKind): void => void stack.push({ kind, depth: 0, command: newCommand() });
  const plainFrame = (): Frame => [...stack].reverse().find((f) => PLAIN_LIKE.has(f.kind))!;

  // Words of simple commands, in the innermost plain-like frame.
  const wordChar = (c: string, literal: boolean): void => {
    const command = plainFrame().command;
    command.inWord = true;
    if (!literal) command.dirty = true;
    else if (!command.dirty) command.literal += c;
  };
  const endWord = (): void => {
    const command = plainFrame().command;
    if (!command.inWord) return;
    const word = command.literal;
    if (command.redirect) command.redirect = false;
    else if (command.program === undefined && !(ASSIGNMENT.test(word) || (!command.dirty && COMMAND_PREFIXES.has(word)))) {
      command.program = command.dirty ? null : word;
    }
    Object.assign(command, { inWord: false, literal: '', dirty: false });
  };
  const endCommand = (): void => {
    endWord();
    plainFrame().command = newCommand();
  };
  /** Where a value at this point of the current word lands when the shell runs. */
  const argvOf = (): string | undefined => {
    const command = plainFrame().command;
    if (command.redirect) return undefined;
    if (command.program === undefined) {
      return command.inWord && ASSIGNMENT.test(command.literal) ? undefined : '(the program name itself)';
    }
    if (command.program === null) return '(a program whose name is not plain text)';
    return BUILTINS.has(command.program) ? undefined : command.program;
  };
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
      else {
        const program = argvOf();
        result[h] = { kind: frame.kind === 'single' ? 'single' : frame.kind === 'double' ? 'double' : 'plain', ...(program !== undefined ? { argvOf: program } : {}) };
      }
    }
    wordChar('', false);
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
      wordChar(c, false);
      i = skipEscaped(i);
      atWordStart = false;
    } else if (c === "'") {
      wordChar(c, false);
      push('single');
      atWordStart = false;
    } else if (c === '"') {
      wordChar(c, false);
      push('double');
      atWordStart = false;
    } else if (c === '`') {
      wordChar(c, false);
      push('backtick');
      atWordStart = false;
    } else if (c === '$') {
      wordChar(c, false);
      atWordStart = false;
      i = openDollar(i, false);
    } else if (c === '#' && atWordStart) {
      push('comment');
    } else if (c === '(') {
      endCommand();
      push('paren');
      atWordStart = true;
    } else if (c === ')') {
      endCommand();
      if ((frame.kind === 'paren' || frame.kind === 'subst') && frame.depth === 0) {
        pop();
        if (frame.kind === 'paren') endCommand(); // a `$( )` is part of a word of the outer command; a `( )` group ends it
      }
      atWordStart = true;
    } else if (c === '<' && text[i + 1] === '<' && text[i + 2] !== '<') {
      endWord();
      i = readHeredocOperator(i + 2);
      atWordStart = true;
    } else if (c === '<' && text[i + 1] === '<' && text[i + 2] === '<') {
      endWord();
      plainFrame().command.redirect = true; // a bash here-string: the word goes to stdin
      i += 2;
      atWordStart = true;
    } else if (c === '<' || c === '>') {
      startRedirect();
      // `>>`, `>&`, `>|`, `<>`: one operator
      while ('>&|'.includes(text[i + 1] ?? '.') && !holesAt.has(i + 1)) i++;
      atWordStart = true;
    } else if (c === '\n') {
      endCommand();
      atWordStart = true;
      if (pending.length > 0) i = skipHeredocBodies(i);
    } else if (c === ' ' || c === '\t') {
      endWord();
      atWordStart = true;
    } else if (WORD_BREAK.has(c)) {
      endCommand(); // ; & |
      atWordStart = true;
    } else {
      if (atWordStart) trackCase(frame, i);
      wordChar(c, true);
      atWordStart = false;
    }
  }

  // `2>file`: the digits are the descriptor, not a word; the next word is the target.
  function startRedirect(): void {
    const command = plainFrame().command;
    if (command.inWord && !command.dirty && /^\d+$/.test(command.literal)) Object.assign(command, { inWord: false, literal: '' });
    endWord();
    command.redirect = true;
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
  const names: Record<string, string> = {
    single: "a ' quote",
    double: 'a " quote',
    subst: 'a $( substitution',
    paren: 'a ( group',
    backtick: 'a ` substitution',
    brace: 'a ${ expansion',
    arith: 'a $(( expression',
    ansi: "a $' quote",
  };
  const heredoc = unterminated ?? pending[0]?.delimiter;
  const unclosed = open.length > 0 ? names[open[open.length - 1]!.kind] : heredoc !== undefined ? `a here-document (no line \`${heredoc}\`)` : undefined;
  return unclosed ? { holes: result, unclosed } : { holes: result };
}
