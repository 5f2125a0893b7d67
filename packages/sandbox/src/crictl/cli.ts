// The crictl stand-in of a sandbox node: `crictl ps [-a] [-q] [--name RE] [--state S]
// [-o json|table] [--no-trunc]` and `crictl pods`, over the runner's containers.json.
// It never trusts the file alone: each "running" PID is checked, so a dead runner cannot
// make it lie; with no state file it fails, because it cannot tell (like crictl when the
// runtime socket is missing), and the static-pods actions rely on that.

import { readContainersState, liveState } from '../runner/state.js';
import { readLiveRunnerPid } from '../runner/pid-file.js';
import { errorMessage } from '../errors.js';
import { renderPodsTable, renderPsJson, renderPsTable, type ListedContainer } from './format.js';
import { dirname } from 'node:path';

export interface CrictlIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** Global flags of the real crictl that take a value; accepted and ignored (no socket here). */
const IGNORED_GLOBALS_WITH_VALUE = new Set(['-r', '--runtime-endpoint', '-i', '--image-endpoint', '-t', '--timeout', '-c', '--config']);
const IGNORED_GLOBAL_SWITCHES = new Set(['-D', '--debug']);

interface PsOptions {
  all: boolean;
  quiet: boolean;
  name?: RegExp;
  state?: 'running' | 'exited';
  output: 'table' | 'json';
  noTrunc: boolean;
  pod?: string;
}

class UsageError extends Error {}

/** Splits `--flag=value` and `--flag value`; returns [flag, value, consumedNext]. */
function valueOf(args: string[], i: number): [string, string | undefined, boolean] {
  const arg = args[i]!;
  const eq = arg.indexOf('=');
  if (arg.startsWith('--') && eq > 0) return [arg.slice(0, eq), arg.slice(eq + 1), false];
  return [arg, args[i + 1], true];
}

function parsePs(args: string[]): PsOptions {
  const options: PsOptions = { all: false, quiet: false, output: 'table', noTrunc: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-a' || arg === '--all') options.all = true;
    else if (arg === '-q' || arg === '--quiet') options.quiet = true;
    else if (arg === '--no-trunc') options.noTrunc = true;
    else if (/^-[aq]{2}$/.test(arg)) {
      options.all = true;
      options.quiet = true;
    } else {
      const [flag, value, next] = valueOf(args, i);
      if (value === undefined) throw new UsageError(`flag needs an argument: ${flag}`);
      if (flag === '--name') {
        try {
          options.name = new RegExp(value);
        } catch {
          throw new UsageError(`--name: not a regular expression: ${value}`);
        }
      } else if (flag === '--state' || flag === '-s') {
        const state = value.toLowerCase();
        if (state !== 'running' && state !== 'exited') throw new UsageError(`--state: expected running or exited, got ${value}`);
        options.state = state;
      } else if (flag === '-o' || flag === '--output') {
        if (value !== 'json' && value !== 'table') throw new UsageError(`--output: expected json or table, got ${value}`);
        options.output = value;
      } else if (flag === '-p' || flag === '--pod') options.pod = value;
      else throw new UsageError(`unknown flag for ps: ${arg}`);
      if (next) i++;
    }
  }
  return options;
}

function selectContainers(listed: ListedContainer[], options: PsOptions): ListedContainer[] {
  return listed
    .filter((c) => (options.state ? c.state === options.state : options.all || c.state === 'running'))
    .filter((c) => !options.name || options.name.test(c.record.name))
    .filter((c) => !options.pod || c.record.podId.startsWith(options.pod))
    .sort((a, b) => Date.parse(b.record.createdAt) - Date.parse(a.record.createdAt)); // newest first, as crictl
}

export async function runCrictl(argv: string[], io: CrictlIo): Promise<number> {
  let stateFile: string | undefined;
  let i = 0;
  for (; i < argv.length && argv[i]!.startsWith('-'); i++) {
    const [flag, value, next] = valueOf(argv, i);
    if (flag === '--state') stateFile = value;
    else if (IGNORED_GLOBAL_SWITCHES.has(flag)) continue;
    else if (!IGNORED_GLOBALS_WITH_VALUE.has(flag)) {
      io.err(`crictl: unknown global flag ${argv[i]}\n`);
      return 1;
    }
    if (next) i++;
  }
  const [command, ...rest] = argv.slice(i);
  if (!stateFile) {
    io.err("crictl (drbook sandbox): no --state FILE given; run the node's bin/crictl wrapper\n");
    return 1;
  }
  if (command === 'version') {
    io.out('Version:  0.1.0\nRuntimeName:  drbook-sandbox\nRuntimeVersion:  0.1.0\nRuntimeApiVersion:  v1\n');
    return 0;
  }
  if (command !== 'ps' && command !== 'pods') {
    io.err(`crictl (drbook sandbox): unsupported command ${command ?? '(none)'}; supported: ps, pods, version\n`);
    return 1;
  }
  try {
    const options = parsePs(command === 'ps' ? rest : []); // pods: every pod, its flags ignored
    const records = await readContainersState(stateFile);
    if (!records) {
      io.err(`crictl (drbook sandbox): cannot tell which containers run: ${stateFile} does not exist (is the node's static-pod runner started?)\n`);
      return 1;
    }
    // Layout: <node>/run/containers.json, and the runner's pid file beside it.
    if (readLiveRunnerPid(dirname(dirname(stateFile))) === undefined) {
      io.err("crictl (drbook sandbox): warning: the node's runner is not running; listing only processes still alive\n");
    }
    const listed = records.map((record) => ({ record, state: liveState(record) }));
    if (command === 'pods') {
      io.out(renderPodsTable(listed));
      return 0;
    }
    const selected = selectContainers(listed, options);
    if (options.quiet) io.out(selected.map((c) => c.record.id + '\n').join(''));
    else if (options.output === 'json') io.out(renderPsJson(selected));
    else io.out(renderPsTable(selected, options.noTrunc));
    return 0;
  } catch (error) {
    io.err(`crictl (drbook sandbox): ${error instanceof UsageError ? error.message : errorMessage(error)}\n`);
    return 1;
  }
}
