// Loading a runbook: YAML with places → schema → cross-field rules → each step's
// `with:` against its action → every template reference. All problems are collected
// and thrown together as one InputError, each with file:line:col, key path and what
// was expected; nothing touches a host before the whole runbook is valid.

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { InputError, type InputIssue } from '../core/errors.js';
import type { Runbook } from './types.js';
import { checkActionArgs, findAction } from './check-args.js';
import { checkCommandTemplate, checkValueTemplates, type TemplateCheckContext } from './check-templates.js';
import { checkStepShapes, runbookSchema, toRunbook } from './schema.js';
import { findTemplateRefs } from './template-syntax.js';
import { issueAt, parseYamlSource, sortIssues, type YamlSource } from '../input/yaml-source.js';

export { sortIssues } from '../input/yaml-source.js';
import { translateZodError } from '../input/zod-issues.js';

export async function loadRunbook(file: string): Promise<Runbook> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new InputError([{ file, message: `cannot read the runbook: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` }]);
  }
  return parseRunbook(text, file);
}

export function parseRunbook(text: string, file: string): Runbook {
  const { source, issues } = parseYamlSource(text, file);
  if (issues.length > 0) throw new InputError(sortIssues(issues));
  const found = checkRunbookSource(source);
  if (found.issues.length > 0 || !found.runbook) throw new InputError(sortIssues(found.issues));
  return found.runbook;
}

/** Every issue of a parsed document (empty: valid) and, when valid, the runbook. */
export function checkRunbookSource(source: YamlSource): { issues: InputIssue[]; runbook?: Runbook } {
  const data = source.data;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return { issues: [{ file: source.file, line: 1, col: 1, message: 'expected a runbook: a mapping with apiVersion: drbook/v1, kind: Runbook, metadata, params, targets, steps' }] };
  }
  const kind = (data as Record<string, unknown>).kind;
  if (kind === 'Inventory') {
    return { issues: [{ file: source.file, line: 1, col: 1, path: 'kind', message: 'this is an inventory (kind: Inventory), not a runbook; pass it with -i' }] };
  }
  const issues: InputIssue[] = [];
  const parsed = runbookSchema.safeParse(data);
  if (!parsed.success) issues.push(...translateZodError(parsed.error, { source, schema: runbookSchema, data }));
  issues.push(...checkStepShapes(data, source));
  issues.push(...checkSteps(data as Record<string, unknown>, source));
  if (issues.length > 0 || !parsed.success) return { issues: dedupe(issues) };
  const sha256 = createHash('sha256').update(source.text).digest('hex');
  return { issues: [], runbook: toRunbook(parsed.data, source, sha256) };
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Actions and templates, step by step, on the raw data (so they run even when other keys are wrong). */
function checkSteps(data: Record<string, unknown>, source: YamlSource): InputIssue[] {
  if (!Array.isArray(data.steps)) return [];
  const ctx: TemplateCheckContext = { source, declaredParams: isObject(data.params) ? Object.keys(data.params) : [] };
  const issues: InputIssue[] = [];
  data.steps.forEach((step, i) => {
    if (!isObject(step)) return;
    const at = ['steps', i];
    let commandFields: readonly string[] = [];
    if (step.run !== undefined) {
      commandFields = ['run', 'rollback', 'check'];
    } else if (step.uses !== undefined) {
      const { action, issue } = findAction(step.uses, source, [...at, 'uses']);
      if (issue) issues.push(issue);
      if (action) {
        commandFields = action.commandFields ?? [];
        const args = step.with === undefined ? {} : step.with;
        if (isObject(args)) issues.push(...checkActionArgs(action, args, source, [...at, 'with']));
      }
    }
    for (const [key, value] of Object.entries(step)) {
      if (key === 'id') continue;
      if (key === 'onHosts' && Array.isArray(value)) {
        // Hosts are chosen before anything is rendered: a template here could never match.
        value.forEach((name, k) => {
          if (typeof name === 'string' && findTemplateRefs(name).length > 0) issues.push(issueAt(source, [...at, key, k], '`onHosts` lists host or group names as written; templates are not rendered here'));
        });
        continue;
      }
      if ((key === 'run' || key === 'rollback' || key === 'check') && typeof value === 'string') {
        issues.push(...checkCommandTemplate(value, [...at, key], ctx));
      } else if (key === 'with' && isObject(value)) {
        for (const [field, v] of Object.entries(value)) {
          const path = [...at, 'with', field];
          if (commandFields.includes(field) && typeof v === 'string') issues.push(...checkCommandTemplate(v, path, ctx));
          else issues.push(...checkValueTemplates(v, path, ctx));
        }
      } else {
        issues.push(...checkValueTemplates(value, [...at, key], ctx));
      }
    }
  });
  return issues;
}

function dedupe(issues: InputIssue[]): InputIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.line}:${issue.col}:${issue.path}:${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
