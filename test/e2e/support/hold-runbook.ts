// The lock tests' runbook of shell steps over the sandbox's masters: (optionally) a slow
// read-only check, a change with an undo, then a command that, with `-p hold=true`, runs
// until the test creates its release file (at most a minute), so the run holds its locks
// meanwhile; (optionally) it writes when it really ended. One text for both lock files.

export interface HoldRunbookOptions {
  name: string;
  /** A `look` step first (`-p look=true`): a 30 s read-only wait, which takes no lock on a change. */
  look?: boolean;
  /** The slow step writes `<dir>/slow-done-<run id>` (the time it ended). */
  sayWhenDone?: boolean;
}

export function holdRunbook(options: HoldRunbookOptions): string {
  const lookParam = options.look ? '\n  look: { type: boolean, default: false }' : '';
  const lookStep = options.look
    ? `
  - id: look
    name: A slow read-only check
    when: "{{ params.look }}"
    uses: wait
    with: { command: "sleep 30", timeout: 1m }`
    : '';
  const done = options.sayWhenDone ? '\n      date +%s.%N > {{ params.dir }}/slow-done-{{ run.id }}' : '';
  return `apiVersion: drbook/v1
kind: Runbook
metadata: { name: ${options.name} }
params:
  dir: { type: path, required: true }
  hold: { type: boolean, default: false }${lookParam}
targets: masters
steps:${lookStep}
  - id: make
    name: Make a folder named after the run
    run: mkdir -p {{ params.dir }}/made-{{ run.id }}
    rollback: rmdir {{ params.dir }}/made-{{ run.id }}
  - id: slow
    name: A slow command
    run: |
      echo slow-started
      i=0
      while {{ params.hold }} && [ ! -e {{ params.dir }}/release-{{ run.id }} ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done${done}
`;
}
