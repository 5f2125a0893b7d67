// The check building blocks run for real (sh, stat, sha256sum) on real files: each one
// must say `reverted` before the change, `applied` after it, `reverted` again after the
// undo, and `cannot tell` where the host matches neither.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createdDirsCheck,
  guardedMove,
  holdsCheck,
  keptCheck,
  moveCheck,
  ownerModeCheck,
  podsCheck,
  probeIdentity,
  removeEmptyDirs,
  removeWrittenFile,
  restoredDirCheck,
  writtenFileCheck,
} from '../../src/actions/checks.js';
import { readVerdict } from '../../src/engine/change-check.js';
import type { ShellCommand } from '../../src/shell/command.js';
import { makeContext } from '../etcd/helpers/context.js';

const ctx = makeContext();
async function verdict(check: ShellCommand): Promise<string> {
  const found = readVerdict(await ctx.probe(check));
  return found.verdict === 'unknown' ? `unknown: ${found.detail}` : found.verdict;
}
async function run(command: ShellCommand): Promise<number | null> {
  return (await ctx.exec(command)).exitCode;
}
async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'drbook-checks-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('drbook_id: a file by its SHA-256, a directory by device:inode, nothing as absent', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'f'), 'hello\n');
  assert.equal(await probeIdentity(ctx, join(dir, 'f')), 'sha256 5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03');
  const s = await stat(dir);
  assert.equal(await probeIdentity(ctx, dir), `inode ${s.dev}:${s.ino}`);
  assert.equal(await probeIdentity(ctx, join(dir, 'nothing')), 'absent');
});

test('a manifest move: reverted before, applied after, reverted after the way back; a changed manifest cannot be told', async (t) => {
  const dir = await tempDir(t);
  const [from, to] = [join(dir, 'manifests/etcd.yaml'), join(dir, 'stash/etcd.yaml')];
  await mkdir(join(dir, 'manifests'));
  await mkdir(join(dir, 'stash'));
  await writeFile(from, 'kind: Pod\n');
  const check = moveCheck({ from, to, identity: await probeIdentity(ctx, from) });
  assert.equal(await verdict(check), 'reverted');
  await rename(from, to);
  assert.equal(await verdict(check), 'applied');
  assert.equal(await run(guardedMove(to, from)), 0);
  assert.equal(await verdict(check), 'reverted');
  // The same name with other bytes is not the manifest that was moved.
  await writeFile(from, 'kind: Pod\n# edited\n');
  assert.match(await verdict(check), /^unknown: .*etcd\.yaml is sha256 /);
  // A copy left in the stash is not "reverted" either: the kubelet must find it in one place only.
  await writeFile(from, 'kind: Pod\n');
  await writeFile(to, 'kind: Pod\n');
  assert.match(await verdict(check), /^unknown/);
  // ... unless the stash held that identical copy before the move (then it is the state before).
  assert.equal(await verdict(moveCheck({ from, to, identity: await probeIdentity(ctx, from), toBefore: await probeIdentity(ctx, to) })), 'reverted');
});

test('a data-dir swap: the original is known by its inode, never by its name', async (t) => {
  const dir = await tempDir(t);
  const [current, keepAs, replacement] = [join(dir, 'etcd'), join(dir, 'etcd-old'), join(dir, 'etcd-restore')];
  await mkdir(join(current, 'member'), { recursive: true });
  await mkdir(join(replacement, 'member'), { recursive: true });
  const [original, restored] = [await probeIdentity(ctx, current), await probeIdentity(ctx, replacement)];
  const kept = keptCheck(current, keepAs, original);
  const moved = holdsCheck(current, restored, replacement);
  assert.deepEqual([await verdict(kept), await verdict(moved)], ['reverted', 'reverted']);
  await rename(current, keepAs); // the first move: a crash here is what the reviewers hit
  assert.deepEqual([await verdict(kept), await verdict(moved)], ['applied', 'reverted']);
  await rename(replacement, current);
  assert.deepEqual([await verdict(kept), await verdict(moved)], ['applied', 'applied']);
  // The way back, in reverse, with the guarded moves of the undos.
  assert.equal(await run(guardedMove(current, replacement)), 0);
  assert.equal(await run(guardedMove(keepAs, current)), 0);
  assert.deepEqual([await verdict(kept), await verdict(moved)], ['reverted', 'reverted']);
  // A NEW empty dir in place of the original (etcd started on nothing) is not the original.
  await rename(current, keepAs);
  await mkdir(current);
  assert.match(await verdict(kept), /^unknown|^applied/);
  assert.equal(await verdict(kept), 'applied', 'the original is still at keepAs: the undo must put it back');
});

test('guardedMove never moves a directory INTO an existing one, and is a no-op when run twice', async (t) => {
  const dir = await tempDir(t);
  const [a, b] = [join(dir, 'a'), join(dir, 'b')];
  await mkdir(a);
  await mkdir(b);
  await writeFile(join(a, 'data'), 'x');
  assert.equal(await run(guardedMove(a, b)), 1, 'refused: b exists');
  assert.deepEqual(await readdir(b), [], 'nothing moved into b');
  await rm(b, { recursive: true });
  assert.equal(await run(guardedMove(a, b)), 0);
  assert.equal(await run(guardedMove(a, b)), 0, 'run twice: nothing left to move, no error');
  assert.deepEqual(await readdir(b), ['data']);
});

test('created folders and their removal, only while empty', async (t) => {
  const dir = await tempDir(t);
  const created = [join(dir, 'a/b/c'), join(dir, 'a/b'), join(dir, 'a')];
  const check = createdDirsCheck(created);
  assert.equal(await verdict(check), 'reverted');
  await mkdir(created[0]!, { recursive: true });
  assert.equal(await verdict(check), 'applied');
  await writeFile(join(created[1]!, 'keep'), '');
  assert.equal(await run(removeEmptyDirs(created)), 0);
  assert.equal(await verdict(check), 'applied', 'a folder that still holds something stays, and the check says so');
  await rm(join(created[1]!, 'keep'));
  assert.equal(await run(removeEmptyDirs(created)), 0);
  assert.equal(await run(removeEmptyDirs(created)), 0, 'twice: no error');
  assert.equal(await verdict(check), 'reverted');
});

test('owner and mode: found wherever the directory is, by its inode', async (t) => {
  const dir = await tempDir(t);
  const [current, replacement] = [join(dir, 'cur'), join(dir, 'rep')];
  await mkdir(replacement, { mode: 0o755 });
  await chmod(replacement, 0o755);
  const s = await stat(replacement);
  const identity = await probeIdentity(ctx, replacement);
  const check = ownerModeCheck(current, replacement, identity, `${s.uid}:${s.gid} 755`, `${s.uid}:${s.gid} 700`);
  assert.equal(await verdict(check), 'reverted');
  await rename(replacement, current);
  await chmod(current, 0o700);
  assert.equal(await verdict(check), 'applied');
  await chmod(current, 0o711);
  assert.match(await verdict(check), /^unknown: .*711/);
  await rm(current, { recursive: true });
  assert.equal(await verdict(check), 'reverted', 'gone: nothing carries the change any more');
});

test('a written file: applied by its hash, a partial .part counts as applied, the undo removes only that file', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'snap.db');
  const sha = 'b5bb9d8014a0f9b1d61e21e796d78dccdf1352f23cd32812f4850b878ae4944c'; // sha256("foo\n")
  const check = writtenFileCheck(path, sha, 'absent');
  assert.equal(await verdict(check), 'reverted');
  await writeFile(`${path}.part`, 'fo');
  assert.equal(await verdict(check), 'applied');
  await rename(`${path}.part`, path);
  await writeFile(path, 'foo\n');
  assert.equal(await verdict(check), 'applied');
  await writeFile(path, 'other\n');
  assert.match(await verdict(check), /^unknown/);
  assert.equal(await run(removeWrittenFile(path, sha)), 0);
  assert.ok(existsSync(path), 'another file of that name is not removed');
  await writeFile(path, 'foo\n');
  assert.equal(await run(removeWrittenFile(path, sha)), 0);
  assert.equal(await verdict(check), 'reverted');
});

test('a restore into a new dir through a staging dir', async (t) => {
  const dir = await tempDir(t);
  const [dataDir, staging] = [join(dir, 'etcd-restore-r1'), join(dir, 'etcd-restore-r1.partial-r1')];
  const check = restoredDirCheck(dataDir, staging);
  assert.equal(await verdict(check), 'reverted');
  await mkdir(join(staging, 'member/snap'), { recursive: true });
  assert.equal(await verdict(check), 'applied', 'a restore cut off leaves the staging dir: its undo must remove it');
  await writeFile(join(staging, 'member/snap/db'), 'db');
  await rename(staging, dataDir);
  assert.equal(await verdict(check), 'applied');
  await rm(dataDir, { recursive: true });
  await mkdir(dataDir);
  assert.equal(await verdict(check), 'reverted', 'an empty dir: the state the plan accepted');
  await writeFile(join(dataDir, 'other'), '');
  assert.match(await verdict(check), /^unknown: .*no member\/snap\/db/);
});

test('pods by crictl: all running is the state before a stop, and after a start', async (t) => {
  const dir = await tempDir(t);
  const crictl = join(dir, 'crictl');
  // Runs a pod while DIR/up-POD exists; fails like an unreachable runtime while DIR/broken exists.
  await writeFile(
    crictl,
    // Shaped like the real `crictl ps --state running -o json` (indented; name first in metadata); each call logged in DIR/calls.
    `#!/bin/sh\necho "$*" >> '${dir}/calls'\n[ -e '${dir}/broken' ] && exit 1\nsep=""; printf '{\\n  "containers": ['\nfor n in etcd kube-apiserver etcd-backup; do [ -e '${dir}/up-'"$n" ] && { printf '%s\\n    {"id": "id-%s", "metadata": {\\n      "name": "%s", "attempt": 0}, "state": "CONTAINER_RUNNING"}' "$sep" "$n" "$n"; sep=","; }; done\nprintf '\\n  ]\\n}\\n'\n`,
  );
  await chmod(crictl, 0o755);
  const pods = ['etcd', 'kube-apiserver'];
  const stopped = podsCheck(crictl, pods, 'reverted');
  const started = podsCheck(crictl, pods, 'applied');
  for (const p of pods) await writeFile(join(dir, `up-${p}`), '');
  assert.deepEqual([await verdict(stopped), await verdict(started)], ['reverted', 'applied']);
  await rm(join(dir, 'up-etcd'));
  assert.deepEqual([await verdict(stopped), await verdict(started)], ['applied', 'applied'], 'one down: a stop is (partly) applied, a start too');
  await rm(join(dir, 'up-kube-apiserver'));
  assert.deepEqual([await verdict(stopped), await verdict(started)], ['applied', 'reverted']);
  await writeFile(join(dir, 'up-etcd-backup'), ''); // a container whose name only starts with "etcd" is not etcd
  assert.deepEqual([await verdict(stopped), await verdict(started)], ['applied', 'reverted']);
  const calls = (await readFile(join(dir, 'calls'), 'utf8')).trim().split('\n');
  assert.equal(calls.length, 8, 'one crictl call per check, whatever the number of pods');
  assert.ok(
    calls.every((c) => c === 'ps --state running -o json'),
    calls.join('; '),
  );
  await writeFile(join(dir, 'broken'), '');
  assert.match(await verdict(stopped), /^unknown: .*ps failed/);
});
