// Load-time checks of every `{{ ... }}` in a runbook's steps: the expression reads,
// its variable exists (a param that is not declared is an error here, not an empty
// string at 3 a.m.), `| raw` appears only in commands, and in commands every value
// lands somewhere it can be quoted safely. Each issue points at the template itself.

import type { InputIssue } from '../core/errors.js';
import { findTemplateRefs, checkRefPath, unescapeLiteral, type TemplateRef } from './template-syntax.js';
import { scanShellContexts } from './shell-context.js';
import { formatPath, placeAt, placeOf, scalarAt, type KeyPath, type YamlSource } from '../input/yaml-source.js';

export interface TemplateCheckContext {
  source: YamlSource;
  declaredParams: readonly string[];
}

/** Where the k-th template of the scalar at `path` was written (falls back to the scalar). */
function placeOfRef(source: YamlSource, path: KeyPath, index: number): { line: number; col: number } {
  const scalar = scalarAt(source, path);
  if (!scalar) return placeOf(source, path);
  let at = -1;
  for (let k = 0; k <= index; k++) {
    do at = scalar.raw.indexOf('{{', at + 1);
    while (at > 0 && scalar.raw[at - 1] === '\\'); // `\{{` is a literal, not a template
    if (at < 0) return placeAt(source, scalar.start);
  }
  return placeAt(source, scalar.start + at);
}

function refIssue(ctx: TemplateCheckContext, path: KeyPath, index: number, message: string): InputIssue {
  return { file: ctx.source.file, ...placeOfRef(ctx.source, path, index), path: formatPath(path), message };
}

/** Check the templates of a plain value (deep); `| raw` is refused here. */
export function checkValueTemplates(value: unknown, path: KeyPath, ctx: TemplateCheckContext): InputIssue[] {
  if (typeof value === 'string') {
    return findTemplateRefs(value).flatMap((ref, i) => {
      const problem = refProblem(ref, ctx) ?? (ref.raw ? `\`| raw\` only applies to shell commands (in \`{{ ${ref.expr} }}\`)` : undefined);
      return problem ? [refIssue(ctx, path, i, problem)] : [];
    });
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => checkValueTemplates(v, [...path, i], ctx));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => checkValueTemplates(v, [...path, k], ctx));
  }
  return [];
}

/** Check a shell command template: its variables and the shell context of every value. */
export function checkCommandTemplate(command: string, path: KeyPath, ctx: TemplateCheckContext): InputIssue[] {
  const refs = findTemplateRefs(command);
  const issues: InputIssue[] = [];
  // Raw values are unknown at load: treat them as an opaque word, like any other hole.
  let text = '';
  const holes: number[] = [];
  let from = 0;
  for (const ref of refs) {
    text += unescapeLiteral(command.slice(from, ref.start));
    holes.push(text.length);
    from = ref.end;
  }
  text += unescapeLiteral(command.slice(from));
  const scan = scanShellContexts({ text, holes });
  refs.forEach((ref, i) => {
    const problem = refProblem(ref, ctx);
    const context = scan.holes[i]!;
    if (problem) issues.push(refIssue(ctx, path, i, problem));
    else if (!ref.raw && context.kind === 'refused') issues.push(refIssue(ctx, path, i, `\`{{ ${ref.expr} }}\` cannot be quoted safely ${context.reason}`));
  });
  if (scan.unclosed) issues.push({ file: ctx.source.file, ...placeOf(ctx.source, path), path: formatPath(path), message: `the command does not parse: ${scan.unclosed} is never closed` });
  return issues;
}

function refProblem(ref: TemplateRef, ctx: TemplateCheckContext): string | undefined {
  return ref.error ?? checkRefPath(ref.path, ctx.declaredParams);
}
