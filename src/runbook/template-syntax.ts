// The template language, kept deliberately tiny: `{{ path }}` or `{{ path | raw }}`,
// where path is one of the variables below. No expressions, no filters beyond `raw`:
// a runbook is read under stress, and what you see must be what runs.
//
//   params.NAME          a runbook parameter (after -p / host vars / default)
//   host.name            the inventory name of the host the step runs on
//   host.address         its address (ssh address, or 127.0.0.1 for a local host)
//   host.vars.NAME[.KEY] a host variable (defaults < groups < host)
//   run.id, run.startedAt
//
// `\{{` is a literal `{{` (for kubectl/crictl Go templates: `-o go-template='\{{.metadata.name}}'`);
// the backslash is dropped when rendered. A template right after a real backslash is
// refused in commands anyway, so the escape is never ambiguous there.

import { closestName } from '../input/suggest.js';

export interface TemplateRef {
  /** Offsets of `{{` and just after `}}` in the text. */
  start: number;
  end: number;
  /** The text between the braces, trimmed. */
  expr: string;
  /** The dotted path, e.g. ['params', 'snapshot']. Empty when the expression is malformed. */
  path: string[];
  /** `| raw`: the author opts out of shell quoting (commands only). */
  raw: boolean;
  /** Why the expression cannot be read, if it cannot. */
  error?: string;
}

const SEGMENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;
export const KNOWN_VARIABLES = ['params.<name>', 'host.name', 'host.address', 'host.vars.<name>', 'run.id', 'run.startedAt'];

/** Every `{{ ... }}` in the text, in order, with offsets (also the malformed ones). */
export function findTemplateRefs(text: string): TemplateRef[] {
  const refs: TemplateRef[] = [];
  let from = 0;
  for (;;) {
    const start = text.indexOf('{{', from);
    if (start < 0) break;
    if (start > 0 && text[start - 1] === '\\') {
      from = start + 2;
      continue;
    }
    const close = text.indexOf('}}', start + 2);
    if (close < 0) {
      refs.push({ start, end: text.length, expr: text.slice(start + 2).trim(), path: [], raw: false, error: 'unclosed `{{`: expected `}}`' });
      break;
    }
    refs.push(parseRef(text.slice(start + 2, close), start, close + 2));
    from = close + 2;
  }
  return refs;
}

function parseRef(inner: string, start: number, end: number): TemplateRef {
  const expr = inner.trim();
  const [head = '', ...filters] = expr.split('|').map((s) => s.trim());
  const ref: TemplateRef = { start, end, expr, path: [], raw: false };
  for (const filter of filters) {
    if (filter === 'raw' && !ref.raw) ref.raw = true;
    else return { ...ref, error: `unknown filter \`${filter}\` in \`{{ ${expr} }}\` (the only filter is \`raw\`)` };
  }
  if (head === '') return { ...ref, error: 'empty template `{{ }}`' };
  const path = head.split('.');
  if (!path.every((s) => SEGMENT.test(s))) {
    return { ...ref, error: `\`${head}\` is not a variable name; expected one of ${KNOWN_VARIABLES.join(', ')}` };
  }
  return { ...ref, path };
}

/** Literal text between templates: `\{{` stands for `{{`. */
export function unescapeLiteral(text: string): string {
  return text.includes('\\{{') ? text.replaceAll('\\{{', '{{') : text;
}

/** True when the whole string is a single template (it then keeps the value's own type). */
export function soleRef(text: string): TemplateRef | undefined {
  const refs = findTemplateRefs(text);
  if (refs.length !== 1) return undefined;
  const ref = refs[0]!;
  return !ref.error && text.slice(0, ref.start).trim() === '' && text.slice(ref.end).trim() === '' ? ref : undefined;
}

/**
 * Load-time check of a reference against what the runbook declares. Returns what is
 * wrong, or undefined. Host variables cannot be checked here: the inventory is not
 * known yet, and an undefined one fails at render time, never as an empty string.
 */
export function checkRefPath(path: readonly string[], declaredParams: readonly string[]): string | undefined {
  const [root, name, ...rest] = path;
  const dotted = path.join('.');
  const unknown = `unknown template variable \`${dotted}\`; expected one of ${KNOWN_VARIABLES.join(', ')}`;
  switch (root) {
    case 'params': {
      if (name === undefined) return `\`params\` needs a name: \`params.<name>\` (declared: ${declaredParams.join(', ') || 'none'})`;
      if (!declaredParams.includes(name)) {
        const close = closestName(name, declaredParams);
        return `unknown param \`${name}\` in \`{{ ${dotted} }}\`${close ? ` (did you mean \`params.${close}\`?)` : ''}; declared params: ${declaredParams.join(', ') || 'none'}`;
      }
      return rest.length > 0 ? `params are plain values: \`params.${name}\` has no field \`${rest.join('.')}\`` : undefined;
    }
    case 'host':
      if ((name === 'name' || name === 'address') && rest.length === 0) return undefined;
      if (name === 'vars' && rest.length > 0) return undefined;
      return unknown;
    case 'run':
      return (name === 'id' || name === 'startedAt') && rest.length === 0 ? undefined : unknown;
    default:
      return unknown;
  }
}
