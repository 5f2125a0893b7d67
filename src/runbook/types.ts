// The shapes the rest of drbook sees once a runbook has been loaded and validated.
// (schema.ts validates the YAML into these; the engine never sees raw YAML.)

export type ParamType = 'string' | 'number' | 'boolean' | 'path';
export type ParamValue = string | number | boolean;

export interface ParamSpec {
  type: ParamType;
  required: boolean;
  default?: ParamValue;
  secret: boolean;
  description?: string;
}

export interface StepSpec {
  id: string;
  name: string;
  /** Built-in action name. A `run:` step is normalised to uses: 'shell', with: { run, rollback, check }. */
  uses: string;
  /** Raw (unrendered) parameters of the action; template strings are rendered per host at plan time. */
  with: Record<string, unknown>;
  /** Template rendering to a truthy/falsy value; the step is skipped on a host where it is falsy. */
  when?: string;
  timeoutMs?: number;
  retries: number;
  retryDelayMs: number;
  /** Hosts at a time; undefined = all in parallel. */
  serial?: number;
  /** Subset of the run's hosts (names or group names). */
  onHosts?: string[];
  /** Where the step was written, for runtime messages: file:line:col. */
  source?: SourcePlace;
}

export interface SourcePlace {
  file: string;
  line: number;
  col: number;
}

export interface Runbook {
  apiVersion: 'drbook/v1';
  kind: 'Runbook';
  metadata: { name: string; description?: string };
  params: Record<string, ParamSpec>;
  /** An inventory group or host name, or 'local'. */
  targets: string;
  steps: StepSpec[];
  /** The file it came from and a hash of its text, so resume can refuse a changed runbook. */
  file: string;
  sha256: string;
}
