// The runbook format, v1, as strict zod schemas (unknown keys are errors: typos are
// caught, not ignored), and the normalisation of a validated document into the
// Runbook/StepSpec shapes the engine uses. Cross-field rules zod cannot express
// without hiding other errors (exactly one of uses/run, unique ids) live in
// checkStepShapes, which looks at the raw data so that every problem is reported at once.

import { z } from 'zod';
import type { InputIssue } from '../core/errors.js';
import type { ParamSpec, Runbook, StepSpec } from './types.js';
import { durationSchema, toMs } from '../input/duration.js';
import { issueAt, placeOf, type YamlSource } from '../input/yaml-source.js';

export const STEP_ID_PATTERN = /^[a-z0-9][a-z0-9-_]*$/;
export const PARAM_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Pause between attempts when a step says `retries:` but no `retryDelay:`. */
export const DEFAULT_RETRY_DELAY_MS = 1000;

const PARAM_TYPES = ['string', 'number', 'boolean', 'path'] as const;

export const paramSpecSchema = z
  .strictObject({
    type: z.enum(PARAM_TYPES, { error: `expected one of ${PARAM_TYPES.join(', ')}` }),
    required: z.boolean().optional(),
    default: z.union([z.string(), z.number(), z.boolean()], { error: 'expected a string, number or boolean' }).optional(),
    secret: z.boolean().optional(),
    description: z.string().optional(),
  })
  .superRefine((param, ctx) => {
    if (param.default === undefined) return;
    const want = param.type === 'path' ? 'string' : param.type;
    if (typeof param.default !== want) {
      ctx.addIssue({ code: 'custom', path: ['default'], message: `the default of a ${param.type} param must be a ${want}, got ${JSON.stringify(param.default)}` });
    } else if (param.type === 'path' && param.default === '') {
      ctx.addIssue({ code: 'custom', path: ['default'], message: 'the default of a path param must not be empty' });
    }
  });

export const stepSchema = z.strictObject({
  id: z.string().regex(STEP_ID_PATTERN, { error: 'expected a step id: lowercase letters, digits, "-" and "_", starting with a letter or digit' }),
  name: z.string().min(1, { error: 'expected a non-empty name' }),
  uses: z.string().optional().describe('A built-in action. Exactly one of `uses` and `run`.'),
  with: z.record(z.string(), z.unknown(), { error: "expected a mapping of the action's parameters" }).optional(),
  run: z.string().optional().describe('A shell command (template). Exactly one of `uses` and `run`.'),
  rollback: z.string().optional().describe('The shell command that undoes `run`.'),
  check: z
    .string()
    .optional()
    .describe(
      'A read-only command that tells whether `run` happened: it exits 0 and prints `applied` (its effect is there) or `reverted` (the state before it is there) first; anything else means "cannot tell". Rollback and resume run it wherever the journal cannot tell.',
    ),
  when: z.union([z.string(), z.boolean()], { error: 'expected a template string or a boolean' }).optional(),
  timeout: durationSchema.optional(),
  retries: z.int({ error: 'expected a whole number ≥ 0' }).nonnegative({ error: 'expected a whole number ≥ 0' }).optional(),
  retryDelay: durationSchema.optional(),
  serial: z.int({ error: 'expected a whole number ≥ 1 (hosts at a time)' }).min(1, { error: 'expected a whole number ≥ 1 (hosts at a time)' }).optional(),
  onHosts: z.array(z.string()).min(1, { error: 'expected at least one host or group name' }).optional(),
});

export const runbookSchema = z.strictObject({
  apiVersion: z.literal('drbook/v1', { error: 'expected "drbook/v1"' }),
  kind: z.literal('Runbook', { error: 'expected "Runbook"' }),
  metadata: z.strictObject({
    name: z.string().min(1, { error: 'expected a non-empty name' }),
    description: z.string().optional(),
  }),
  params: z.record(z.string().regex(PARAM_NAME_PATTERN, { error: 'a param name is letters, digits and _, not starting with a digit' }), paramSpecSchema).optional(),
  targets: z.string().min(1).optional().describe('An inventory group or host name, or `local` (the default).'),
  steps: z.array(stepSchema, { error: 'expected a list of steps' }).min(1, { error: 'a runbook needs at least one step' }),
});

export type RunbookDocument = z.infer<typeof runbookSchema>;
type StepDocument = z.infer<typeof stepSchema>;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Rules across keys of a step, checked on the raw data so they show up with the schema's issues. */
export function checkStepShapes(data: unknown, source: YamlSource): InputIssue[] {
  if (!isObject(data) || !Array.isArray(data.steps)) return [];
  const issues: InputIssue[] = [];
  const firstSeen = new Map<string, number>();
  data.steps.forEach((step, i) => {
    if (!isObject(step)) return;
    const has = (key: string): boolean => step[key] !== undefined;
    if (has('uses') && has('run')) issues.push(issueAt(source, ['steps', i, 'run'], 'a step has either `uses:` or `run:`, not both'));
    else if (!has('uses') && !has('run')) issues.push(issueAt(source, ['steps', i], 'a step needs `uses:` (a built-in action) or `run:` (a shell command)'));
    if (has('rollback') && !has('run')) issues.push(issueAt(source, ['steps', i, 'rollback'], '`rollback:` goes with `run:`; an action declares its own undo'));
    if (has('check') && !has('run')) issues.push(issueAt(source, ['steps', i, 'check'], '`check:` goes with `run:`; an action declares its own checks'));
    if (has('with') && !has('uses')) issues.push(issueAt(source, ['steps', i, 'with'], '`with:` goes with `uses:`'));
    if (typeof step.id === 'string') {
      const first = firstSeen.get(step.id);
      if (first === undefined) firstSeen.set(step.id, i);
      else {
        const at = placeOf(source, ['steps', first, 'id']);
        issues.push(issueAt(source, ['steps', i, 'id'], `duplicate step id \`${step.id}\` (first used at line ${at.line})`));
      }
    }
  });
  return issues;
}

function toParam(spec: z.infer<typeof paramSpecSchema>): ParamSpec {
  const param: ParamSpec = { type: spec.type, required: spec.required ?? false, secret: spec.secret ?? false };
  if (spec.default !== undefined) param.default = spec.default;
  if (spec.description !== undefined) param.description = spec.description;
  return param;
}

function toStep(step: StepDocument, index: number, source: YamlSource): StepSpec {
  const spec: StepSpec = {
    id: step.id,
    name: step.name,
    uses: step.run !== undefined ? 'shell' : step.uses!,
    with:
      step.run !== undefined
        ? { run: step.run, ...(step.rollback !== undefined ? { rollback: step.rollback } : {}), ...(step.check !== undefined ? { check: step.check } : {}) }
        : { ...(step.with ?? {}) },
    retries: step.retries ?? 0,
    retryDelayMs: step.retryDelay !== undefined ? toMs(step.retryDelay) : DEFAULT_RETRY_DELAY_MS,
    source: { file: source.file, ...placeOf(source, ['steps', index]) },
  };
  // `when: true` is the same as no `when`; `when: false` keeps the step visible in the plan, skipped.
  if (step.when === false) spec.when = 'false';
  else if (typeof step.when === 'string') spec.when = step.when;
  if (step.timeout !== undefined) spec.timeoutMs = toMs(step.timeout);
  if (step.serial !== undefined) spec.serial = step.serial;
  if (step.onHosts !== undefined) spec.onHosts = [...step.onHosts];
  return spec;
}

/** A document that passed every check, in the engine's shapes. */
export function toRunbook(document: RunbookDocument, source: YamlSource, sha256: string): Runbook {
  return {
    apiVersion: document.apiVersion,
    kind: document.kind,
    metadata: { name: document.metadata.name, ...(document.metadata.description !== undefined ? { description: document.metadata.description } : {}) },
    params: Object.fromEntries(Object.entries(document.params ?? {}).map(([name, spec]) => [name, toParam(spec)])),
    targets: document.targets ?? 'local',
    steps: document.steps.map((step, i) => toStep(step, i, source)),
    file: source.file,
    sha256,
  };
}
