// The one command table: every command and subcommand drbook has, with the line shown
// in the help list and a loader. Bodies are imported only when their command runs (or
// its --help is asked for), so `drbook --help` loads nothing but this file and
// `drbook validate` never loads ssh2, etcd3 or listr2.

import type { CommandSpec, ParsedArgs } from './args.js';

/** What a command's module gives the table: its spec (options, positionals, help) and its body. */
export interface CommandModule {
  spec: CommandSpec;
  run(args: ParsedArgs): Promise<number>;
}

export interface LeafCommand {
  summary: string;
  load(): Promise<CommandModule>;
}

/** A command with subcommands (`drbook sandbox up`); the root is one too. */
export interface CommandGroup {
  summary: string;
  /** The help's first paragraph. */
  about: string;
  /** Text after the command list. */
  footer?: string;
  subcommands: Record<string, LeafCommand | CommandGroup>;
}

export function isGroup(entry: LeafCommand | CommandGroup): entry is CommandGroup {
  return 'subcommands' in entry;
}

const sandbox = async () => (await import('./commands/sandbox.js')).SANDBOX_COMMANDS;

const SANDBOX: CommandGroup = {
  summary: 'A local stand-in for a kubeadm control plane: up, down, status, snapshot',
  about: 'A local stand-in for a kubeadm control plane, to rehearse, demonstrate and test restores.',
  subcommands: {
    up: { summary: 'Create and start a local cluster built the way kubeadm builds one (real etcd with TLS, API server, kubelet stand-ins).', load: async () => (await sandbox()).up },
    down: { summary: 'Stop every process the sandbox started (also after a crash) and remove its folder. Safe to repeat.', load: async () => (await sandbox()).down },
    status: { summary: "Show each node's kubelet, sshd, containers and etcd health. Exit 0 when healthy, 1 otherwise.", load: async () => (await sandbox()).status },
    snapshot: { summary: 'Save an etcd snapshot of the running sandbox to FILE (etcdctl snapshot save, checked).', load: async () => (await sandbox()).snapshot },
  },
};

/**
 * A leaf: its spec from a light module (options and help: no body, no library), its body
 * imported only when it runs, so `drbook run --help` and a flag error load neither
 * execa nor zod nor the engine.
 */
const leaf = (summary: string, spec: () => Promise<{ spec: CommandSpec }>, body: () => Promise<{ default: CommandModule['run'] }>): LeafCommand => ({
  summary,
  load: async () => ({ spec: (await spec()).spec, run: async (args) => (await body()).default(args) }),
});

export const DRBOOK: CommandGroup = {
  summary: 'disaster-recovery runbooks for Kubernetes control planes',
  about: 'disaster-recovery runbooks for Kubernetes control planes',
  footer: `Exit codes: 0 done, 1 failed and rolled back (or the plan shows the run would fail),
2 invalid input, 3 failed and changes are still applied (a human must look), 130 interrupted.
State (journals, locks): $DRBOOK_STATE_DIR, else $XDG_STATE_HOME/drbook, else ~/.local/state/drbook.`,
  subcommands: {
    run: leaf(
      "Run a runbook (on the inventory's hosts, or locally)",
      () => import('./specs/run.js'),
      () => import('./commands/run.js'),
    ),
    plan: leaf(
      "Show what a run would do: the plan and the probes' findings (= run --dry-run)",
      () => import('./specs/plan.js'),
      () => import('./commands/plan.js'),
    ),
    validate: leaf(
      'Check runbooks and inventories; every error with file:line:col',
      () => import('./specs/validate.js'),
      () => import('./commands/validate.js'),
    ),
    schema: leaf(
      'Print the JSON Schema of the runbook (or --inventory) format, for editors',
      () => import('./specs/schema.js'),
      () => import('./commands/schema.js'),
    ),
    runs: leaf(
      'List runs and their state',
      () => import('./specs/runs.js'),
      () => import('./commands/runs.js'),
    ),
    resume: leaf(
      'Continue a run that was cut off (re-probes the step in flight)',
      () => import('./specs/resume.js'),
      () => import('./commands/resume.js'),
    ),
    rollback: leaf(
      'Undo what a stopped or crashed run changed',
      () => import('./specs/rollback.js'),
      () => import('./commands/rollback.js'),
    ),
    report: leaf(
      'Print a Markdown timeline of a run, for the post-incident write-up',
      () => import('./specs/report.js'),
      () => import('./commands/report.js'),
    ),
    rehearse: leaf(
      'Prove a snapshot and a runbook restore, for real, on a throw-away sandbox',
      () => import('./specs/rehearse.js'),
      () => import('./commands/rehearse.js'),
    ),
    demo: leaf(
      'Watch a disaster and its recovery on a local sandbox (kubectl before and after)',
      () => import('./specs/demo.js'),
      () => import('./commands/demo.js'),
    ),
    sandbox: SANDBOX,
  },
};
