// Loading a runbook: YAML with places → schema → cross-field rules → each step's
// `with:` against its action → every template reference. All problems are collected
// and thrown together as one InputError, each with file:line:col, key path and what
// was expected; nothing touches a host before the whole runbook is valid.

import type { ActionCatalog } from '../core/action-catalog.js';
import type { InputIssue } from '../core/errors.js';
import { checkSchema, documentRoot, documentSha256, parseDocument, readDocumentText } from '../input/load-document.js';
import { issueAt, type YamlSource } from '../input/yaml-source.js';
import type { Runbook } from './types.js';
import { checkActionArgs, findAction } from './check-args.js';
import { checkCommandTemplate, checkValueTemplates, type TemplateCheckContext } from './check-templates.js';
import { checkStepShapes, runbookSchema, toRunbook } from './schema.js';
import { findTemplateRefs } from './template-syntax.js';

export { sortIssues } from '../input/yaml-source.js';

/** `actions`: the actions `uses:` may name (src/actions/registry.ts `builtinActions`). */
export async function loadRunbook(file: string, actions: ActionCatalog): Promise<Runbook> {
  return parseRunbook(await readDocumentText(file, 'runbook'), file, actions);
}

export function parseRunbook(text: string, file: string, actions: ActionCatalog): Runbook {
  return parseDocument(text, file, (source) => {
    const found = checkRunbookSource(source, actions);
    return { issues: found.issues, value: found.runbook };
  });
}

const RUNBOOK = {
  expected: 'expected a runbook: a mapping with apiVersion: drbook/v1, kind: Runbook, metadata, params, targets, steps',
  otherKinds: { Inventory: 'this is an inventory (kind: Inventory), not a runbook; pass it with -i' },
};

/** Every issue of a parsed document (empty: valid) and, when valid, the runbook. */
export function checkRunbookSource(source: YamlSource, actions: ActionCatalog): { issues: InputIssue[]; runbook?: Runbook } {
  const root = documentRoot(source, RUNBOOK);
  if (!root.data) return { issues: root.issues };
  const { issues, parsed } = checkSchema(runbookSchema, root.data, source);
  issues.push(...checkStepShapes(root.data, source));
  issues.push(...checkSteps(root.data, source, actions));
  if (issues.length > 0 || !parsed) return { issues: dedupe(issues) };
  return { issues: [], runbook: toRunbook(parsed, source, documentSha256(source)) };
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Actions and templates, step by step, on the raw data (so they run even when other keys are wrong). */
function checkSteps(data: Record<string, unknown>, source: YamlSource, actions: ActionCatalog): InputIssue[] {
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
      const { action, issue } = findAction(actions, step.uses, source, [...at, 'uses']);
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
          if (typeof name === 'string' && findTemplateRefs(name).length > 0)
            issues.push(issueAt(source, [...at, key, k], '`onHosts` lists host or group names as written; templates are not rendered here'));
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
