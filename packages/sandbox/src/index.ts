// @drbook/sandbox: a local stand-in for a kubeadm control plane (real etcd per master,
// a minimal API server, a static-pod runner as kubelet, a crictl stand-in, optionally one
// OpenSSH server per node), built the way kubeadm builds clusters. This is its one entry
// point: drbook's `sandbox` command, rehearse and demo, the benchmarks and the tests use
// only what is exported here. The node programs it starts (runner, API server, crictl)
// are files of this package, found beside this one.

// Lifecycle: up, status, down, and what up describes.
export { sandboxUp, type SandboxUpOptions } from './lifecycle.js';
export { sandboxStatus, type NodeStatus, type SandboxStatus } from './status.js';
export { sandboxDown, stopSandboxProcesses, type SandboxDownReport, type StopReport } from './teardown.js';
export { allNodesOf, readSandboxInfo, type SandboxInfo, type SandboxNodeInfo, type SandboxWorkerInfo } from './info.js';
export { SandboxError, SandboxInputError, type SandboxErrorKind } from './errors.js';

// Where things are on a node (the kubeadm layout under <dir>/<node>).
export { DEFAULT_IP_PREFIX, DEFAULT_WORKERS, commandOfEntry, manifestPath, pathsOfNode, type NodePaths, type SandboxNode } from './layout.js';
export { readManifest } from './runner/static-pod-file.js';

// Health, snapshots and the cluster state.
export { probeApiServerReady, probeEtcdHealth, waitForProbe, type ProbeResult } from './health.js';
export { saveSandboxSnapshot, type SaveSnapshotOptions, type SnapshotInfo } from './cluster-state/snapshot.js';
export { buildSeedEntries, seedClusterState, type SeedOptions, type SeedSummary } from './cluster-state/seed.js';
export { countKeys, countRegistryKeys } from './cluster-state/count-keys.js';
export { openEtcdClient, type EtcdClientOptions } from './cluster-state/etcd-client.js';
export { describeStorageMediaType, parseStorageMediaType, JSON_MEDIA_TYPE, PROTOBUF_MEDIA_TYPE, type StorageMediaType } from './cluster-state/storage-media-type.js';
export { decodeStoredObject, encodeStoredObject } from './cluster-state/protobuf/storage-value.js';
export { decodeUnknown } from './cluster-state/protobuf/envelope.js';

// PKI and SSH: the sandbox's certificates, and one way to run OpenSSH's sshd (also used
// by drbook's SSH transport tests).
export { generateSandboxPki } from './pki.js';
export { sshCommandOf } from './ssh/access.js';
export { sshFilesOfSandbox, type SandboxSshAccess } from './ssh/files.js';
export { generateKeyPair, knownHostsLine, readPublicKey, type KeyType } from './ssh/keys.js';
export { renderSshdConfig } from './ssh/sshd-config.js';
export { SSHD_BINARY, crashSshd, launchSshd, stopSshd, type LaunchSshdOptions, type LaunchedSshd, type StopSshdReport } from './ssh/sshd-process.js';

// Processes by PID, from /proc (what a test must check before it signals anything).
export { findProcesses, listDescendants, parentOf, readCmdline } from './processes.js';
