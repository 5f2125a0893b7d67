// Output of the crictl stand-in, shaped like the real crictl's so that scripts and
// runbooks written for real nodes (column positions, `-q` ids, `-o json` fields) work on
// the sandbox unchanged.

import type { ContainerRecord, ContainerState } from '../runner/state.js';

export interface ListedContainer {
  record: ContainerRecord;
  /** The state after checking the PID, not what the runner last wrote. */
  state: ContainerState;
}

/** go-units' HumanDuration, which crictl uses for CREATED ("5 seconds ago"). */
export function describeAge(fromIso: string, now: number = Date.now()): string {
  const seconds = Math.max(0, Math.floor((now - Date.parse(fromIso)) / 1000));
  const minutes = Math.floor(seconds / 60);
  const hours = Math.floor(minutes / 60);
  let text: string;
  if (seconds < 1) text = 'Less than a second';
  else if (seconds === 1) text = '1 second';
  else if (seconds < 60) text = `${seconds} seconds`;
  else if (minutes === 1) text = 'About a minute';
  else if (minutes < 60) text = `${minutes} minutes`;
  else if (hours === 1) text = 'About an hour';
  else if (hours < 48) text = `${hours} hours`;
  else text = `${Math.floor(hours / 24)} days`;
  return `${text} ago`;
}

/** Columns separated like Go's tabwriter with padding 3, as crictl prints them. */
export function renderColumns(rows: string[][]): string {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)));
  return rows.map((row) => row.map((cell, col) => (col === row.length - 1 ? cell : cell.padEnd(widths[col]! + 3))).join('')).join('\n') + '\n';
}

const truncate = (id: string, noTrunc: boolean) => (noTrunc ? id : id.slice(0, 13));
const stateWord = (state: ContainerState) => (state === 'running' ? 'Running' : 'Exited');

export function renderPsTable(containers: ListedContainer[], noTrunc = false, now = Date.now()): string {
  const header = ['CONTAINER', 'IMAGE', 'CREATED', 'STATE', 'NAME', 'ATTEMPT', 'POD ID', 'POD'];
  const rows = containers.map(({ record, state }) => [
    truncate(record.id, noTrunc),
    record.image,
    describeAge(record.createdAt, now),
    stateWord(state),
    record.name,
    String(record.attempt),
    truncate(record.podId, noTrunc),
    record.podName,
  ]);
  return renderColumns([header, ...rows]);
}

const nanos = (iso: string) => (BigInt(Date.parse(iso)) * 1_000_000n).toString();

/** `crictl ps -o json`: the CRI ListContainers response as crictl prints it. */
export function renderPsJson(containers: ListedContainer[]): string {
  const list = containers.map(({ record, state }) => ({
    id: record.id,
    podSandboxId: record.podId,
    metadata: { name: record.name, attempt: record.attempt },
    image: { image: record.image, annotations: {} },
    imageRef: record.image,
    state: state === 'running' ? 'CONTAINER_RUNNING' : 'CONTAINER_EXITED',
    createdAt: nanos(record.createdAt),
    labels: {
      'io.kubernetes.container.name': record.name,
      'io.kubernetes.pod.name': record.podName,
      'io.kubernetes.pod.namespace': record.podNamespace,
      'io.kubernetes.pod.uid': record.podId.slice(0, 32),
    },
    annotations: { 'io.kubernetes.container.restartCount': String(record.attempt) },
    // Not in the CRI; the sandbox's own facts, handy for tests and debugging.
    pid: record.pid,
  }));
  return JSON.stringify({ containers: list }, null, 2) + '\n';
}

/** `crictl pods`: one line per pod, ready when its newest container runs. */
export function renderPodsTable(containers: ListedContainer[], now = Date.now()): string {
  const pods = new Map<string, ListedContainer>();
  for (const c of containers) {
    const seen = pods.get(c.record.podId);
    if (!seen || Date.parse(seen.record.createdAt) < Date.parse(c.record.createdAt)) pods.set(c.record.podId, c);
  }
  const header = ['POD ID', 'CREATED', 'STATE', 'NAME', 'NAMESPACE', 'ATTEMPT', 'RUNTIME'];
  const rows = [...pods.values()].map(({ record, state }) => [
    record.podId.slice(0, 13),
    describeAge(record.createdAt, now),
    state === 'running' ? 'Ready' : 'NotReady',
    record.podName,
    record.podNamespace,
    '0',
    '(default)',
  ]);
  return renderColumns([header, ...rows]);
}
