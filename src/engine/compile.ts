// Compile: turn the runbook into concrete per-host step instances before anything
// touches a host. Parameters are resolved per host (-p > host vars > defaults),
// templates rendered (commands quoted), `when` evaluated and every step's `with:`
// validated by its action's own schema. Any problem anywhere is an InputError.

import { getAction } from '../actions/registry.js';
import type { ActionDefinition } from '../core/action.js';
import { InputError, type InputIssue } from '../core/errors.js';
import type { Host } from '../core/inventory.js';
import { selectHosts } from '../inventory/targets.js';
import { resolveParams, secretParamNames } from '../runbook/params.js';
import { evaluateWhen, renderArgs, type TemplateScope } from '../runbook/template.js';
import type { Runbook, StepSpec } from '../runbook/types.js';
import type { Masker } from '../shell/masker.js';

export interface HostStep {
  step: StepSpec;
  host: Host;
  action: ActionDefinition;
  /** Validated, rendered arguments of the action. */
  args: unknown;
  /** false when `when` rendered falsy on this host: the step is skipped there. */
  enabled: boolean;
  /** The host's secret param values by name (for the plan's warnings about command lines). */
  secrets?: Record<string, string>;
}

export interface CompiledStep {
  step: StepSpec;
  /** One entry per host the step targets, in inventory order. */
  hosts: HostStep[];
}

export interface CompileInput {
  runbook: Runbook;
  hosts: Host[];
  cliParams: Record<string, string>;
  run: { id: string; startedAt: string };
  masker: Masker;
}

export interface CompiledRunbook {
  steps: CompiledStep[];
  /** Secret parameter values per host, by name: undo commands reference secrets by name only. */
  secretsByHost: Map<string, Record<string, string>>;
}

export function compileRunbook(input: CompileInput): CompiledRunbook {
  const issues: InputIssue[] = [];
  const scopes = new Map<string, TemplateScope>();
  for (const host of input.hosts) {
    try {
      scopes.set(host.name, buildScope(input, host));
    } catch (error) {
      collect(issues, error, undefined, host);
    }
  }
  if (issues.length) throw new InputError(issues);

  const compiled = input.runbook.steps.map((step) => {
    const hosts = step.onHosts ? selectHosts(input.hosts, step.onHosts) : input.hosts;
    const action = getAction(step.uses)!; // the loader has checked the name
    return {
      step,
      hosts: hosts.flatMap((host) => {
        try {
          return [compileHostStep(step, action, host, scopes.get(host.name)!, input.masker)];
        } catch (error) {
          collect(issues, error, step, host);
          return [];
        }
      }),
    };
  });
  if (issues.length) throw new InputError(issues);
  const secretsByHost = new Map(
    [...scopes].map(([host, scope]) => [host, Object.fromEntries([...scope.secretParams].filter((n) => scope.params[n] !== undefined).map((n) => [n, String(scope.params[n])]))]),
  );
  return { steps: compiled, secretsByHost };
}

function buildScope(input: CompileInput, host: Host): TemplateScope {
  const params = resolveParams(input.runbook, input.cliParams, host);
  const secretParams = secretParamNames(input.runbook);
  for (const name of secretParams) if (params[name] !== undefined) input.masker.add(String(params[name]));
  return {
    params,
    secretParams,
    host: { name: host.name, address: host.ssh.address ?? host.name, vars: host.vars },
    run: input.run,
  };
}

function compileHostStep(step: StepSpec, action: ActionDefinition, host: Host, scope: TemplateScope, masker: Masker): HostStep {
  const enabled = evaluateWhen(step.when, scope);
  const { args: rendered, secrets } = renderArgs(step.with, action.commandFields, scope);
  masker.add(...secrets);
  // A step that does not run on this host (its `when` is false) is never planned nor
  // applied: its `with:` may be incomplete there (e.g. an optional upload whose source
  // param is empty), so it is not validated for this host.
  const hostSecrets = Object.fromEntries([...scope.secretParams].filter((n) => scope.params[n] !== undefined).map((n) => [n, String(scope.params[n])]));
  if (!enabled) return { step, host, action, args: rendered, enabled, secrets: hostSecrets };
  const parsed = action.schema.safeParse(rendered);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => ({
      file: step.source?.file,
      line: step.source?.line,
      col: step.source?.col,
      path: `step ${step.id}.with${issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}`,
      message: `${issue.message} (on host ${host.name}, after rendering templates)`,
    }));
    throw new InputError(issues);
  }
  return { step, host, action, args: parsed.data, enabled, secrets: hostSecrets };
}

function collect(issues: InputIssue[], error: unknown, step: StepSpec | undefined, host: Host): void {
  if (error instanceof InputError) {
    for (const issue of error.issues) {
      issues.push({
        ...issue,
        file: issue.file ?? step?.source?.file,
        line: issue.line ?? step?.source?.line,
        col: issue.col ?? step?.source?.col,
        message: issue.message.includes(`host ${host.name}`) ? issue.message : `${issue.message} (on host ${host.name})`,
      });
    }
  } else throw error;
}
